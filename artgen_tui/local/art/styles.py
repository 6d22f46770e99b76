"""Procedural animated art: one scene class per style, rendered at a reduced working size.

A scene returns float RGB (0–1) at its working size for time ``t`` (seconds into the
segment); :class:`artgen_tui.local.art.sources.GeneratedSource` finishes and upscales it.
All randomness comes from the seeded generator in the context, so output is deterministic.
"""

from __future__ import annotations

import numpy as np

from artgen_tui.local.art.cinematic import AnimeScene, CinematicScene
from artgen_tui.local.art.fields import (
    grid,
    planes,
    saturation,
    smooth_noise,
    smoothstep,
)
from artgen_tui.local.art.palettes import words
from artgen_tui.local.art.scene import Finish, Scene, SceneContext

STYLES = ("flow", "cinematic", "anime", "watercolor", "neon", "pixel")
# Words that name a style outright, then words that only hint at one; a name anywhere (the
# segment's style, then its prompt) beats a hint, so "futuristic city, cinematic" is cinematic.
_NAMES: dict[str, tuple[str, ...]] = {
    "cinematic": ("cinematic", "film", "filmic", "movie", "photorealistic", "realistic", "noir"),
    "anime": ("anime", "ghibli", "manga", "cartoon", "illustrated", "illustration"),
    "watercolor": ("watercolor", "watercolour", "painting", "painted", "painterly", "gouache"),
    "neon": ("neon", "cyberpunk", "synthwave", "retrowave", "vaporwave", "tron"),
    "pixel": ("pixel", "pixelated", "pixel_art", "8_bit", "16_bit", "arcade"),
    "flow": ("flow", "abstract", "fluid", "gradient", "liquid", "psychedelic", "minimal"),
}
_HINTS: dict[str, tuple[str, ...]] = {
    "cinematic": ("epic", "dramatic", "landscape", "skyline", "panorama", "vista", "scenery"),
    "watercolor": ("soft", "oil", "ink", "impressionist", "pastel", "dreamy", "sketch"),
    "neon": ("futuristic", "glow", "glowing", "electric", "laser", "scifi"),
    "pixel": ("retro", "bit", "game", "videogame", "8bit"),
}
_NAME_OF = {w: style for style, ws in _NAMES.items() for w in ws}
_HINT_OF = {w: style for style, ws in _HINTS.items() for w in ws}
_SPEED_WORDS: dict[str, float] = {
    **dict.fromkeys(("calm", "slow", "peaceful", "serene", "tranquil", "still"), 0.6),
    **dict.fromkeys(("gentle", "lazy", "quiet"), 0.75),
    **dict.fromkeys(("dynamic", "busy", "lively"), 1.4),
    **dict.fromkeys(("fast", "wild", "racing"), 1.6),
    **dict.fromkeys(("energetic", "chaotic", "frantic"), 1.8),
}


def pick_style(style: str, prompt: str) -> str:
    """The scene style: a style name in ``style`` or ``prompt``, else a hint, else ``flow``."""
    for table in (_NAME_OF, _HINT_OF):
        for text in (style, prompt):
            for w in words(text):
                if w in table:
                    return table[w]
    return "flow"


def speed_for(prompt: str) -> float:
    s = 1.0
    for w in words(prompt):
        s *= _SPEED_WORDS.get(w, 1.0)
    return float(min(2.5, max(0.3, s)))


class FlowScene(Scene):
    """A flowing, domain-warped gradient through the palette."""

    work_short = 240

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.25)
        rng = ctx.rng
        self.X, self.Y = grid(ctx.width, ctx.height)
        # Minimal prompts get fewer, broader waves; the rest a richer interference.
        simple = ctx.has("minimal", "minimalist", "simple", "clean", "plain")
        n = 2 if simple else 4
        ang = rng.uniform(0, 2 * np.pi, n)
        freq = rng.uniform(0.5, 1.4, n) if simple else rng.uniform(1.2, 4.0, n)
        self.kx = (np.cos(ang) * freq * 2 * np.pi).astype(np.float32)
        self.ky = (np.sin(ang) * freq * 2 * np.pi).astype(np.float32)
        self.om = (rng.uniform(0.25, 0.7, n) * rng.choice([-1, 1], n) * ctx.speed).astype(
            np.float32
        )
        self.ph = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
        self.amp = (1 / freq).astype(np.float32)
        self.warp = rng.uniform(0, 2 * np.pi, 4).astype(np.float32)
        self.lut = planes(ctx.palette.lut_f)  # (3, 256)

    def field(self, t: float) -> np.ndarray:
        s, w = self.ctx.speed, self.warp
        wx = 0.28 * np.sin(2.3 * self.Y + (0.35 * s * t + w[0]))
        wy = 0.28 * np.sin(1.9 * self.X - (0.3 * s * t + w[1]))
        X, Y = self.X + wx, self.Y + wy
        f = np.zeros_like(X)
        for i in range(len(self.kx)):
            f += self.amp[i] * np.sin(
                self.kx[i] * X + self.ky[i] * Y + (self.om[i] * t + self.ph[i])
            )
        f /= float(self.amp.sum())
        out: np.ndarray = np.clip(0.5 + 0.75 * f, 0, 1)
        return out

    def render(self, t: float) -> np.ndarray:
        idx = (self.field(t) * 255).astype(np.uint8)
        out: np.ndarray = self.lut[:, idx]
        return out


class PixelScene(FlowScene):
    """Chunky pixel art: the flow field posterised to the palette with ordered dithering."""

    work_short = 72
    no_weather = True

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(nearest=True)
        bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) / 16 - 0.5
        reps = (ctx.height // 4 + 1, ctx.width // 4 + 1)
        self.dither = np.tile(bayer, reps)[: ctx.height, : ctx.width].astype(np.float32)
        self.cols = planes(ctx.palette.colours)  # (3, n)

    def render(self, t: float) -> np.ndarray:
        n = self.cols.shape[1]
        # Quantise time too, so the motion steps like an old game.
        f = self.field(round(t * 12) / 12)
        idx = np.clip(np.floor(f * n + self.dither), 0, n - 1).astype(np.intp)
        out: np.ndarray = self.cols[:, idx]
        return out


class WatercolorScene(Scene):
    """Soft pigment blobs that drift, breathe and bleed into each other on textured paper."""

    work_short = 240

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.12)
        rng, w, h = ctx.rng, ctx.width, ctx.height
        pal = ctx.palette
        paper = 0.8 * np.array([0.97, 0.95, 0.9], dtype=np.float32) + 0.2 * pal.lightest
        fine = smooth_noise(rng, w, h, max(w, h) // 2)
        tex = 1 + 0.025 * fine + 0.02 * smooth_noise(rng, w, h, 12)
        self.paper = planes(paper[None, None, :] * tex[..., None])
        # Pigment settles in the paper's grain: a little more where the paper dips.
        self.granule = (1 + 0.18 * fine).astype(np.float32)
        self.noise = [
            smooth_noise(rng, w, h, 6) * 0.7 + smooth_noise(rng, w, h, 16) * 0.3 for _ in range(3)
        ]
        self.X, self.Y = grid(w, h)
        n = int(rng.integers(9, 14))
        # Mid-tones, pushed a little more saturated, make the strongest washes.
        mids = pal.colours[1:-1] if len(pal.colours) > 2 else pal.colours
        grey = mids.mean(axis=1, keepdims=True)
        pigments = np.clip(grey + (mids - grey) * 1.35, 0, 1).astype(np.float32)
        self.blobs = []
        for i in range(n):
            self.blobs.append(
                (
                    float(rng.uniform(-0.1, ctx.span_x + 0.1)),  # centre x
                    float(rng.uniform(-0.1, ctx.span_y + 0.1)),  # centre y
                    float(rng.uniform(0.06, 0.2)),  # path amplitude
                    float(rng.uniform(0.1, 0.3) * ctx.speed),  # angular speed
                    float(rng.uniform(0, 2 * np.pi)),  # phase
                    float(rng.uniform(0.14, 0.4)),  # radius
                    float(rng.uniform(0.3, 0.6)),  # pigment strength
                    pigments[int(rng.integers(0, len(pigments)))][:, None, None],
                    i % 3,
                )
            )

    def render(self, t: float) -> np.ndarray:
        out = self.paper.copy()
        h, w = out.shape[1:]
        s = float(min(w, h))
        for cx0, cy0, amp, om, ph, r0, strength, colour, k in self.blobs:
            cx = cx0 + amp * np.sin(om * t + ph)
            cy = cy0 + amp * 0.7 * np.cos(0.8 * om * t + 1.3 * ph)
            r = r0 * (1 + 0.1 * np.sin(0.5 * om * t + ph * 2))
            reach = r * 1.45
            x0, x1 = max(0, int((cx - reach) * s)), min(w, int((cx + reach) * s) + 1)
            y0, y1 = max(0, int((cy - reach) * s)), min(h, int((cy + reach) * s) + 1)
            if x0 >= x1 or y0 >= y1:
                continue
            dx = self.X[y0:y1, x0:x1] - cx
            dy = self.Y[y0:y1, x0:x1] - cy
            d = np.sqrt(dx * dx + dy * dy) / r + 0.3 * self.noise[k][y0:y1, x0:x1]
            a = 1 - smoothstep(0.7, 1.0, d)
            a += 0.4 * np.exp(-(((d - 0.9) / 0.06) ** 2))  # pigment pooling at the drying edge
            a *= strength * self.granule[y0:y1, x0:x1]
            out[:, y0:y1, x0:x1] *= 1 - np.minimum(a, 1) * (1 - colour)
        return out


class NeonScene(Scene):
    """Glowing lines over a dark sky and a perspective grid that rushes towards the viewer."""

    work_short = 360

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.3)
        rng, w, h = ctx.rng, ctx.width, ctx.height
        pal = ctx.palette
        by_sat = sorted(pal.colours[1:], key=saturation, reverse=True)
        self.glows = [np.clip(c / max(float(c.max()), 1e-3), 0, 1) for c in by_sat[:3]]
        self.horizon = int(h * (0.62 if ctx.aspect >= 1 else 0.7))
        dark = pal.darkest * 0.5
        mid = pal.colours[1] * 0.55
        ys = np.linspace(0, 1, self.horizon, dtype=np.float32)[:, None, None]
        sky = dark + (mid - dark) * ys**2
        bg = np.zeros((h, w, 3), dtype=np.float32)
        bg[: self.horizon] = sky
        bg[self.horizon :] = pal.darkest * 0.25
        X, Y = grid(w, h)
        hz = self.horizon / min(w, h)
        if (
            ctx.has("sunset", "sun", "sunrise", "synthwave", "retrowave", "dusk")
            or rng.random() < 0.4
        ):
            cx, r = ctx.span_x / 2, 0.22
            cy = hz - 0.06
            d = np.sqrt((X - cx) ** 2 + (Y - cy) ** 2)
            stripes = (np.sin((Y - cy) * 90) > (Y - cy) * 9 - 0.3) | (cy > Y)
            disc = (d < r) & stripes & (hz > Y)
            grad = np.clip((Y - (cy - r)) / (2 * r), 0, 1)[..., None]
            sun = pal.lightest * (1 - grad) + self.glows[0] * grad
            bg = np.where(disc[..., None], sun, bg)
            halo = 0.35 * np.exp(-(((d - r) / 0.12) ** 2)) * (d >= r) * (hz > Y)
            bg += halo[..., None] * self.glows[0]
        stars = (rng.random((h, w)) < 0.0015) & (np.arange(h)[:, None] < self.horizon)
        bg += stars[..., None] * 0.7
        self.bg = planes(bg)
        # Floor grid: the vertical lines are fixed; horizontal ones depend only on the row.
        fy = Y[self.horizon :, :1] - hz + 1.5 / min(w, h)
        self.depth = (0.12 / fy).astype(np.float32)  # (rows, 1)
        xw = (X[self.horizon :] - ctx.span_x / 2) * self.depth * 6
        dist = np.abs(xw - np.round(xw)) / (self.depth * 6) * min(w, h) / 40
        self.vlines = (1 / (1 + (dist * 25) ** 2)).astype(np.float32)
        fade = np.clip(1.5 / (self.depth * 6), 0, 1)
        self.floor_fade = fade.astype(np.float32)
        # Waves in the sky: per-line 1-D curves, so the per-frame cost is one distance per line.
        self.xs = np.linspace(0, ctx.span_x, w, dtype=np.float32)
        self.Ysky = Y[: self.horizon]
        self.lines = []
        for i in range(int(rng.integers(3, 6))):
            self.lines.append(
                (
                    float(rng.uniform(0.15, 0.85) * hz),
                    float(rng.uniform(0.02, 0.08)),
                    rng.uniform(1.5, 6.0, 2).astype(np.float32),
                    rng.uniform(0.4, 1.2, 2).astype(np.float32) * ctx.speed,
                    rng.uniform(0, 2 * np.pi, 2).astype(np.float32),
                    self.glows[i % len(self.glows)][:, None, None],
                )
            )

    def render(self, t: float) -> np.ndarray:
        out = self.bg.copy()
        sky = out[:, : self.horizon]
        for base, amp, fr, om, ph, colour in self.lines:
            y = base + amp * (
                np.sin(fr[0] * self.xs + om[0] * t + ph[0])
                + 0.5 * np.sin(fr[1] * self.xs - om[1] * t + ph[1])
            )
            d = (self.Ysky - y[None, :]) * (min(self.ctx.width, self.ctx.height) / 2.2)
            g = 1 / (1 + d * d)
            sky += g * (colour * 0.9 + 0.35 * g)
        zw = self.depth * 6 + t * 1.2 * self.ctx.speed
        hdist = (
            np.abs(zw - np.round(zw)) / (self.depth * 6) * min(self.ctx.width, self.ctx.height) / 40
        )
        hlines = 1 / (1 + (hdist * 25) ** 2)
        g = np.maximum(self.vlines, hlines) * self.floor_fade
        glow = self.glows[-1 if len(self.glows) > 1 else 0]
        out[:, self.horizon :] += g * glow[:, None, None]
        lit: np.ndarray = np.minimum(out, 1)
        return lit


SCENES: dict[str, type[Scene]] = {
    "flow": FlowScene,
    "cinematic": CinematicScene,
    "anime": AnimeScene,
    "watercolor": WatercolorScene,
    "neon": NeonScene,
    "pixel": PixelScene,
}
