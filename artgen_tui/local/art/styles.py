"""Procedural animated art: one scene class per style, rendered at a reduced working size.

A scene returns float RGB (0–1) at its working size for time ``t`` (seconds into the
segment); :class:`artgen_tui.local.art.sources.GeneratedSource` finishes and upscales it.
All randomness comes from the seeded generator in the context, so output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artgen_tui.local.art.fields import (
    fractal_1d,
    grid,
    noise_1d,
    saturation,
    smooth_noise,
    smoothstep,
)
from artgen_tui.local.art.palettes import Palette, words

STYLES = ("flow", "cinematic", "watercolor", "neon", "pixel")
_STYLE_WORDS: dict[str, str] = {
    "cinematic": "cinematic",
    "film": "cinematic",
    "movie": "cinematic",
    "epic": "cinematic",
    "dramatic": "cinematic",
    "realistic": "cinematic",
    "photorealistic": "cinematic",
    "landscape": "cinematic",
    "filmic": "cinematic",
    "watercolor": "watercolor",
    "watercolour": "watercolor",
    "painting": "watercolor",
    "painted": "watercolor",
    "painterly": "watercolor",
    "oil": "watercolor",
    "ink": "watercolor",
    "impressionist": "watercolor",
    "gouache": "watercolor",
    "soft": "watercolor",
    "neon": "neon",
    "cyberpunk": "neon",
    "synthwave": "neon",
    "retrowave": "neon",
    "vaporwave": "neon",
    "glow": "neon",
    "glowing": "neon",
    "tron": "neon",
    "futuristic": "neon",
    "pixel": "pixel",
    "pixelated": "pixel",
    "retro": "pixel",
    "bit": "pixel",
    "arcade": "pixel",
    "flow": "flow",
    "abstract": "flow",
    "fluid": "flow",
    "gradient": "flow",
    "liquid": "flow",
    "psychedelic": "flow",
}
_SPEED_WORDS: dict[str, float] = {
    "calm": 0.6,
    "slow": 0.6,
    "peaceful": 0.6,
    "serene": 0.6,
    "gentle": 0.7,
    "tranquil": 0.6,
    "fast": 1.6,
    "energetic": 1.7,
    "dynamic": 1.4,
    "chaotic": 1.8,
    "wild": 1.6,
    "busy": 1.4,
}


def pick_style(style: str, prompt: str) -> str:
    """The scene style: the segment's ``style`` words first, then the prompt's, else ``flow``."""
    for text in (style, prompt):
        for w in words(text):
            if w in _STYLE_WORDS:
                return _STYLE_WORDS[w]
    return "flow"


def speed_for(prompt: str) -> float:
    s = 1.0
    for w in words(prompt):
        s *= _SPEED_WORDS.get(w, 1.0)
    return float(min(2.5, max(0.3, s)))


@dataclass
class SceneContext:
    width: int  # working size
    height: int
    palette: Palette
    rng: np.random.Generator
    words: frozenset[str]
    duration_s: float
    speed: float = 1.0

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def has(self, *ws: str) -> bool:
        return any(w in self.words for w in ws)


@dataclass
class Finish:
    """How a scene's working frame becomes an output frame."""

    grain: float = 0.0
    vignette: float = 0.0
    letterbox: bool = False
    drift: bool = False
    nearest: bool = False


class Scene:
    work_short = 270
    finish: Finish

    def __init__(self, ctx: SceneContext) -> None:
        self.ctx = ctx
        self.finish = Finish()

    def render(self, t: float) -> np.ndarray:
        raise NotImplementedError


class FlowScene(Scene):
    """A flowing, domain-warped gradient through the palette."""

    work_short = 240

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.25)
        rng = ctx.rng
        self.X, self.Y = grid(ctx.width, ctx.height)
        n = 4
        ang = rng.uniform(0, 2 * np.pi, n)
        freq = rng.uniform(1.2, 4.0, n)
        self.kx = (np.cos(ang) * freq * 2 * np.pi).astype(np.float32)
        self.ky = (np.sin(ang) * freq * 2 * np.pi).astype(np.float32)
        self.om = (rng.uniform(0.25, 0.7, n) * rng.choice([-1, 1], n) * ctx.speed).astype(
            np.float32
        )
        self.ph = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
        self.amp = (1 / freq).astype(np.float32)
        self.warp = rng.uniform(0, 2 * np.pi, 4).astype(np.float32)
        self.lut = ctx.palette.lut_f

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
        out: np.ndarray = self.lut[idx]
        return out


class PixelScene(FlowScene):
    """Chunky pixel art: the flow field posterised to the palette with ordered dithering."""

    work_short = 72

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(nearest=True)
        bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) / 16 - 0.5
        reps = (ctx.height // 4 + 1, ctx.width // 4 + 1)
        self.dither = np.tile(bayer, reps)[: ctx.height, : ctx.width].astype(np.float32)
        self.cols = ctx.palette.colours

    def render(self, t: float) -> np.ndarray:
        n = len(self.cols)
        # Quantise time too, so the motion steps like an old game.
        f = self.field(round(t * 12) / 12)
        idx = np.clip(np.floor(f * n + self.dither), 0, n - 1).astype(np.intp)
        out: np.ndarray = self.cols[idx]
        return out


class WatercolorScene(Scene):
    """Soft pigment blobs that drift, breathe and bleed into each other on textured paper."""

    work_short = 240

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.12)
        rng, w, h = ctx.rng, ctx.width, ctx.height
        pal = ctx.palette
        paper = 0.75 * np.array([0.97, 0.95, 0.9], dtype=np.float32) + 0.25 * pal.lightest
        tex = 1 + 0.035 * smooth_noise(rng, w, h, 60) + 0.02 * smooth_noise(rng, w, h, 12)
        self.paper = (paper[None, None, :] * tex[..., None]).astype(np.float32)
        self.noise = [smooth_noise(rng, w, h, 7) for _ in range(3)]
        self.X, self.Y = grid(w, h)
        n = int(rng.integers(8, 12))
        pigments = pal.colours[: max(2, len(pal.colours) - 1)]
        self.blobs = []
        for i in range(n):
            self.blobs.append(
                (
                    float(rng.uniform(0, ctx.aspect)),  # centre x
                    float(rng.uniform(0, 1)),  # centre y
                    float(rng.uniform(0.08, 0.25)),  # path amplitude
                    float(rng.uniform(0.1, 0.3) * ctx.speed),  # angular speed
                    float(rng.uniform(0, 2 * np.pi)),  # phase
                    float(rng.uniform(0.16, 0.42)),  # radius
                    float(rng.uniform(0.35, 0.7)),  # pigment strength
                    pigments[int(rng.integers(0, len(pigments)))].astype(np.float32),
                    i % 3,
                )
            )

    def render(self, t: float) -> np.ndarray:
        out = self.paper.copy()
        h, w = out.shape[:2]
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
            d = np.sqrt(dx * dx + dy * dy) / r + 0.22 * self.noise[k][y0:y1, x0:x1]
            a = strength * (1 - smoothstep(0.55, 1.0, d))
            a += strength * 0.45 * np.exp(-(((d - 0.97) / 0.06) ** 2))  # darker drying edge
            out[y0:y1, x0:x1] *= 1 - a[..., None] * (1 - colour)
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
            cx, r = ctx.aspect / 2, 0.22
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
        self.bg = bg.astype(np.float32)
        # Floor grid: the vertical lines are fixed; horizontal ones depend only on the row.
        fy = Y[self.horizon :, :1] - hz + 1.5 / min(w, h)
        self.depth = (0.12 / fy).astype(np.float32)  # (rows, 1)
        xw = (X[self.horizon :] - ctx.aspect / 2) * self.depth * 6
        dist = np.abs(xw - np.round(xw)) / (self.depth * 6) * min(w, h) / 40
        self.vlines = (1 / (1 + (dist * 25) ** 2)).astype(np.float32)
        fade = np.clip(1.5 / (self.depth * 6), 0, 1)
        self.floor_fade = fade.astype(np.float32)
        # Waves in the sky: per-line 1-D curves, so the per-frame cost is one distance per line.
        self.xs = np.linspace(0, ctx.aspect, w, dtype=np.float32)
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
                    self.glows[i % len(self.glows)],
                )
            )

    def render(self, t: float) -> np.ndarray:
        out = self.bg.copy()
        sky = out[: self.horizon]
        for base, amp, fr, om, ph, colour in self.lines:
            y = base + amp * (
                np.sin(fr[0] * self.xs + om[0] * t + ph[0])
                + 0.5 * np.sin(fr[1] * self.xs - om[1] * t + ph[1])
            )
            d = (self.Ysky - y[None, :]) * (min(self.ctx.width, self.ctx.height) / 2.2)
            g = 1 / (1 + d * d)
            sky += g[..., None] * (colour * 0.9 + 0.35 * g[..., None])
        zw = self.depth * 6 + t * 1.2 * self.ctx.speed
        hdist = (
            np.abs(zw - np.round(zw)) / (self.depth * 6) * min(self.ctx.width, self.ctx.height) / 40
        )
        hlines = 1 / (1 + (hdist * 25) ** 2)
        g = np.maximum(self.vlines, hlines) * self.floor_fade
        out[self.horizon :] += g[..., None] * self.glows[-1 if len(self.glows) > 1 else 0]
        return np.minimum(out, 1)


class CinematicScene(Scene):
    """A wide landscape (city, mountains, forest, sea, space, hills) with parallax layers.

    The finish adds the camera drift, film grain, a vignette and letterbox bars.
    """

    work_short = 432

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(grain=0.045, vignette=0.35, letterbox=True, drift=True)
        rng, w, h = ctx.rng, ctx.width, ctx.height
        pal = ctx.palette
        self.night = ctx.has("night", "midnight", "moon", "moonlight", "space", "stars", "starry")
        self.horizon = int(h * (0.6 if ctx.aspect >= 1 else 0.62))
        self.sky = self._sky(rng, w, h, pal)
        top_speed = 26 * ctx.speed * (w / 960)
        self.span = int(min(top_speed * ctx.duration_s + 4, 3 * w))
        self.layers = self._layers(rng, w, h, pal)
        self.Y = np.arange(h, dtype=np.float32)[:, None]
        self.xs = np.arange(w, dtype=np.float32)
        self.water = ctx.has("ocean", "sea", "beach", "lake", "coast", "waves", "wave", "river")
        if self.water:
            self.shimmer = smooth_noise(rng, w, h - self.horizon, 40)
        self.glow_col = pal.colours[-2] if len(pal.colours) > 1 else pal.lightest
        self.window_col = np.array([1.0, 0.8, 0.5], dtype=np.float32) * 0.85

    def _sky(self, rng: np.random.Generator, w: int, h: int, pal: Palette) -> np.ndarray:
        ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None] * (h / max(1, self.horizon))
        top = pal.colours[0] * (0.6 if self.night else 0.9) + 0.1 * pal.colours[1]
        mid = pal.colours[min(2, len(pal.colours) - 1)]
        low = pal.colours[-2] if not self.night else pal.colours[min(2, len(pal.colours) - 1)]
        t1 = np.clip(ys, 0, 1)
        sky = np.where(
            t1 < 0.6, top + (mid - top) * (t1 / 0.6), mid + (low - mid) * ((t1 - 0.6) / 0.4)
        )
        sky = np.broadcast_to(sky, (h, w, 3)).astype(np.float32).copy()
        X, Y = grid(w, h)
        hz = self.horizon / min(w, h)
        sx = float(rng.uniform(0.3, 0.7)) * self.ctx.aspect
        if self.night:
            sy = hz * float(rng.uniform(0.25, 0.45))
            d = np.sqrt((X - sx) ** 2 + (Y - sy) ** 2)
            sky += (np.exp(-((d / 0.16) ** 2)) * 0.25)[..., None] * pal.lightest
            sky = np.where((d < 0.045)[..., None], np.float32(0.95), sky)
            stars = rng.random((h, w)) < 0.002
            sky += (stars * rng.uniform(0.3, 0.9, (h, w)))[..., None].astype(np.float32)
        else:
            sy = hz * float(rng.uniform(0.78, 0.95))
            d = np.sqrt((X - sx) ** 2 + ((Y - sy) * 1.2) ** 2)
            glow = np.exp(-((d / 0.35) ** 2)) * 0.55 + np.exp(-((d / 0.07) ** 2)) * 0.6
            sky += glow[..., None] * pal.lightest
            sky = np.where((d < 0.05)[..., None], np.maximum(sky, pal.lightest * 1.05), sky)
        clouds = smooth_noise(rng, w, h, 9) * 0.6 + smooth_noise(rng, w, h, 22) * 0.4
        band = np.exp(-(((Y - hz * 0.45) / 0.25) ** 2))
        sky += (np.clip(clouds, 0, 1) * band * 0.12)[..., None] * pal.lightest
        self.sun = (sx, sy)
        return np.clip(sky, 0, 1).astype(np.float32)

    def _layers(
        self, rng: np.random.Generator, w: int, h: int, pal: Palette
    ) -> list[tuple[np.ndarray, np.ndarray, float, np.ndarray | None]]:
        """Far → near: (heights over the extended width, colour per row, parallax px/s, windows)."""
        ctx = self.ctx
        n = w + self.span + 2
        city = ctx.has(
            "city", "urban", "skyline", "buildings", "building", "metropolis", "downtown", "street"
        )
        forest = ctx.has("forest", "woods", "trees", "tree", "jungle", "woodland", "pine")
        mountains = ctx.has(
            "mountain", "mountains", "peak", "peaks", "alps", "valley", "canyon", "hills"
        )
        water = ctx.has("ocean", "sea", "beach", "lake", "coast", "waves", "wave", "river")
        hz = self.horizon
        dark = pal.darkest * 0.35
        haze = self.sky[hz - 1].mean(axis=0)
        layers = []
        count = 3
        for i in range(count):
            near = i / (count - 1)  # 0 far … 1 near
            k = 0.6 + 0.4 * near
            col = haze * (1 - k) + dark * k
            if water and i == count - 1:
                break
            if city:
                heights = self._skyline(rng, n, hz, h, near)
            elif forest and i > 0:
                heights = self._treeline(rng, n, hz, h, near)
            elif mountains or forest:
                heights = hz - (0.12 + 0.2 * (1 - near)) * h * (
                    0.6 + 0.4 * fractal_1d(rng, n, 6, 5)
                )
                heights = heights + near * 0.12 * h
            else:
                heights = (
                    hz - 0.05 * h + near * 0.1 * h - 0.1 * h * (0.5 + 0.5 * noise_1d(rng, n, 3))
                )
            if water:
                heights = np.minimum(heights + 0.05 * h * near, hz + 1)
            rows = np.arange(h, dtype=np.float32)[:, None]
            shade = np.clip((rows - hz) / max(1, h - hz), 0, 1)
            colour = (col[None, :] * (1 - 0.4 * shade) + dark * 0.4 * shade).astype(np.float32)
            speed = (4 + 22 * near) * ctx.speed * (w / 960)
            win = self._window_lights(rng, n, h, heights) if city and i > 0 else None
            layers.append((heights.astype(np.float32), colour, float(speed), win))
        return layers

    def _window_lights(
        self, rng: np.random.Generator, n: int, h: int, heights: np.ndarray
    ) -> np.ndarray:
        """Lit windows over the extended width (h, n) in 0–1, fixed to the buildings."""
        cw, ch = max(3, round(h / 70)), max(4, round(h / 52))
        cols, rows = n // cw + 1, h // ch + 1
        lit = (rng.random((rows, cols)) < 0.28).astype(np.float32)
        lit *= rng.uniform(0.5, 1.0, (rows, cols)).astype(np.float32)
        cells = np.kron(lit, np.ones((ch, cw), dtype=np.float32))[:h, :n]
        xs, ys = np.arange(n) % cw, np.arange(h) % ch
        shape = ((ys >= ch * 0.35)[:, None] & (xs >= cw * 0.4)[None, :]).astype(np.float32)
        inside = np.arange(h, dtype=np.float32)[:, None] > heights[None, :] + ch
        return (cells * shape * inside).astype(np.float32)

    def _skyline(
        self, rng: np.random.Generator, n: int, hz: int, h: int, near: float
    ) -> np.ndarray:
        heights = np.full(n, hz + near * 0.12 * h - 0.02 * h, dtype=np.float32)
        x = 0
        while x < n:
            bw = int(rng.uniform(0.025, 0.07) * h * (1 + near))
            tall = (
                rng.uniform(0.05, 0.35)
                * h
                * (0.7 + 0.6 * near)
                * (1.8 if rng.random() < 0.1 else 1)
            )
            heights[x : x + bw] = hz + near * 0.12 * h - tall
            x += bw + int(rng.integers(0, 3))
        return heights

    def _treeline(
        self, rng: np.random.Generator, n: int, hz: int, h: int, near: float
    ) -> np.ndarray:
        base = hz + near * 0.1 * h - 0.04 * h
        xs = np.arange(n, dtype=np.float32)
        heights = np.full(n, base, dtype=np.float32)
        step = max(3, int(0.02 * h * (1 + near)))
        for c in range(0, n, step):
            cx = c + rng.uniform(-step / 2, step / 2)
            tall = rng.uniform(0.06, 0.16) * h * (0.6 + 0.8 * near)
            lo, hi = max(0, int(cx - tall / 2.5)), min(n, int(cx + tall / 2.5) + 1)
            tree = base - tall + np.abs(xs[lo:hi] - cx) * 2.5
            heights[lo:hi] = np.minimum(heights[lo:hi], tree)
        return heights

    def render(self, t: float) -> np.ndarray:
        out = self.sky.copy()
        h = out.shape[0]
        if self.water:
            rows = out[self.horizon :]
            refl = self.sky[self.horizon - 1 :: -1][: h - self.horizon] * 0.55
            wave = np.sin(
                self.Y[: h - self.horizon] * 0.9 - t * 2.2 * self.ctx.speed + self.shimmer * 3
            )
            sx = self.sun[0] * min(self.ctx.width, self.ctx.height)
            col = np.exp(-(((self.xs - sx) / (0.08 * self.ctx.width)) ** 2))[None, :]
            spark = np.clip(wave, 0, 1) ** 6 * col
            rows[:] = refl * (0.85 + 0.15 * wave[..., None]) + spark[..., None] * self.glow_col
        for heights, colour, speed, windows in self.layers:
            # Layers slide across their extended width, turning back gently if it runs out.
            d = (speed * t) % (2 * self.span)
            off = d if d <= self.span else 2 * self.span - d
            hx = np.interp(self.xs + off, np.arange(len(heights), dtype=np.float32), heights)
            top = max(0, int(hx.min()) - 1)
            cov = np.clip(self.Y[top:] - hx[None, :] + 0.5, 0, 1)[..., None]
            region = out[top:]
            region += cov * (colour[top:, None, :] - region)
            if windows is not None:
                k = int(off)
                lights = windows[top:, k : k + self.ctx.width, None]
                region += lights * (self.window_col - region) * 0.8
        return out


SCENES: dict[str, type[Scene]] = {
    "flow": FlowScene,
    "cinematic": CinematicScene,
    "watercolor": WatercolorScene,
    "neon": NeonScene,
    "pixel": PixelScene,
}
