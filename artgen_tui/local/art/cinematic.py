"""The cinematic style: a wide landscape with parallax layers and a slow camera move.

Layers (ridges, skylines, tree lines) are height profiles over a strip wider than the
frame, pre-computed once; each frame slides them at depth-dependent speeds and fills only
the rows their edge crosses (everything below an edge is solid), so the per-frame cost stays
small. The camera dollies forward and sideways (near layers grow and slide more than far
ones). The finish adds film grain, a vignette and letterbox bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artgen_tui.local.art.fields import fractal_1d, grid, noise_1d, planes, smooth_noise
from artgen_tui.local.art.palettes import Palette
from artgen_tui.local.art.scene import Finish, Scene, SceneContext

_CITY = ("city", "urban", "skyline", "buildings", "building", "metropolis", "downtown", "street")
_FOREST = ("forest", "woods", "trees", "tree", "jungle", "woodland", "pine", "rainforest")
_MOUNTAINS = ("mountain", "mountains", "peak", "peaks", "alps", "valley", "canyon", "hills")
_WATER = ("ocean", "sea", "beach", "lake", "coast", "waves", "wave", "river", "bay", "harbor")
_NIGHT = ("night", "midnight", "moon", "moonlight", "space", "stars", "starry", "galaxy")
_WINDOW = np.array([1.0, 0.8, 0.5], dtype=np.float32) * 0.85


@dataclass
class _Layer:
    heights: np.ndarray  # (n,) edge row per strip column
    colour: np.ndarray  # (3, h, 1) fill colour per row (planes)
    texture: np.ndarray | None  # (3, h, n) fill with details (lit windows), or None
    speed: float  # px/s of horizontal travel at the working size
    depth: float  # 0 far … 1 near: how strongly the camera's dolly and pan affect it


class CinematicScene(Scene):
    work_short = 432

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(grain=0.014, vignette=0.35, letterbox=True)
        rng, w, h = ctx.rng, ctx.width, ctx.height
        pal = ctx.palette
        self.night = ctx.has(*_NIGHT)
        self.water = ctx.has(*_WATER)
        self.horizon = int(h * (0.6 if ctx.aspect >= 1 else 0.62))
        top_speed = 26 * ctx.speed * (w / 960)
        self.span = int(min(top_speed * ctx.duration_s + 4, 3 * w))
        sky = self._sky(rng, w, h, pal)
        self.sky = planes(sky)
        self.layers = self._ground(rng, w, h, pal, sky)
        self.Y = np.arange(h, dtype=np.float32)[:, None]
        self.xs = np.arange(w, dtype=np.float32)
        self.strip = np.arange(w + self.span + 2, dtype=np.float32)
        self.pan = rng.uniform(-1, 1, 2)
        if self.water:
            rows = h - self.horizon
            self.reflection = planes(sky[self.horizon - 1 :: -1][:rows] * 0.6)
            self.shimmer = smooth_noise(rng, w, rows, 40)
            # Wave phase grows like log(distance below the horizon): ripples bunch up far away.
            scale = h / 432
            depth = np.arange(rows, dtype=np.float32)[:, None] + 6 * scale
            self.rows = (20 * np.log(depth)).astype(np.float32)
            sx = self.sun[0] * min(w, h)
            self.spark_cols = np.exp(-(((np.arange(w) - sx) / (0.08 * w)) ** 2)).astype(np.float32)
            glow = (pal.colours[-2] if len(pal.colours) > 1 else pal.lightest) * 1.2
            self.glow = glow[:, None, None]

    # -- pre-rendered pieces -------------------------------------------------------------

    def _sky(self, rng: np.random.Generator, w: int, h: int, pal: Palette) -> np.ndarray:
        ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None] * (h / max(1, self.horizon))
        top = pal.colours[0] * (0.6 if self.night else 0.9) + 0.1 * pal.colours[1]
        mid = pal.colours[min(2, len(pal.colours) - 1)]
        low = pal.colours[min(2, len(pal.colours) - 1)] if self.night else pal.colours[-2]
        t1 = np.clip(ys, 0, 1)
        sky = np.where(
            t1 < 0.6, top + (mid - top) * (t1 / 0.6), mid + (low - mid) * ((t1 - 0.6) / 0.4)
        )
        sky = np.broadcast_to(sky, (h, w, 3)).astype(np.float32).copy()
        X, Y = grid(w, h)
        hz = self.horizon / min(w, h)
        sx = float(rng.uniform(0.3, 0.7)) * self.ctx.span_x
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
        self.sun = (sx, sy)
        clouds = smooth_noise(rng, w, h, 9) * 0.6 + smooth_noise(rng, w, h, 24) * 0.4
        band = np.exp(-(((Y - hz * 0.35) / (hz * 0.22)) ** 2))
        amount = np.clip(clouds * 1.6 - 0.2, 0, 1) * band * (0.3 if self.night else 0.45)
        sky += amount[..., None] * (pal.lightest * 0.9 + 0.1 - sky)
        out: np.ndarray = np.clip(sky, 0, 1).astype(np.float32)
        return out

    def _ground(
        self, rng: np.random.Generator, w: int, h: int, pal: Palette, sky: np.ndarray
    ) -> list[_Layer]:
        ctx = self.ctx
        n = w + self.span + 2
        hz = self.horizon
        dark = pal.darkest * 0.35
        haze = np.median(sky[int(hz * 0.8) : hz].reshape(-1, 3), axis=0)  # ignores the sun glow
        city, forest = ctx.has(*_CITY), ctx.has(*_FOREST)
        mountains = ctx.has(*_MOUNTAINS)
        rows = np.arange(h, dtype=np.float32)[:, None]
        layers = []
        count = 2 if self.water else 3
        for i in range(count):
            near = i / 2  # 0 far … 1 near
            if city:
                heights = self._skyline(rng, n, hz, h, near)
            elif forest and i > 0:
                heights = self._treeline(rng, n, hz, h, near)
            elif mountains or forest:
                ridge = 0.6 + 0.4 * fractal_1d(rng, n, max(2, 6 * n // w), 5)
                heights = hz - (0.12 + 0.2 * (1 - near)) * h * ridge + near * 0.12 * h
            else:
                hills = 0.5 + 0.5 * noise_1d(rng, n, max(2, 3 * n // w))
                heights = hz - 0.05 * h + near * 0.1 * h - 0.1 * h * hills
            if self.water:
                heights = np.minimum(heights + 0.05 * h * near, hz + 1)
            k = 0.6 + 0.4 * near
            col = haze * (1 - k) + dark * k
            shade = np.clip((rows - hz) / max(1, h - hz), 0, 1)[..., None]
            colour = col * (1 - 0.4 * shade) + dark * 0.4 * shade  # (h, 1, 3)
            fill = planes(colour)  # (3, h, 1)
            texture = None
            if city and i > 0:
                texture = self._window_lights(rng, n, h, heights) * (_WINDOW[:, None, None] - fill)
                texture *= 0.8
                texture += fill
            speed = (4 + 22 * near) * ctx.speed * (w / 960)
            layers.append(_Layer(heights.astype(np.float32), fill, texture, speed, near))
        return layers

    def _skyline(
        self, rng: np.random.Generator, n: int, hz: int, h: int, near: float
    ) -> np.ndarray:
        base = hz + near * 0.12 * h
        heights = np.full(n, base - 0.02 * h, dtype=np.float32)
        x = 0
        while x < n:
            bw = int(rng.uniform(0.025, 0.07) * h * (1 + near))
            tall = rng.uniform(0.05, 0.28) * h * (0.6 + 0.5 * near)
            if rng.random() < 0.1:
                tall *= 1.7
            heights[x : x + bw] = base - tall
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

    def _window_lights(
        self, rng: np.random.Generator, n: int, h: int, heights: np.ndarray
    ) -> np.ndarray:
        """Lit windows (h, n) in 0–1, fixed to the buildings."""
        cw, ch = max(3, round(h / 70)), max(4, round(h / 52))
        cols, rows = n // cw + 1, h // ch + 1
        lit = (rng.random((rows, cols)) < 0.28).astype(np.float32)
        lit *= rng.uniform(0.5, 1.0, (rows, cols)).astype(np.float32)
        cells = np.kron(lit, np.ones((ch, cw), dtype=np.float32))[:h, :n]
        xs, ys = np.arange(n) % cw, np.arange(h) % ch
        shape = ((ys >= ch * 0.35)[:, None] & (xs >= cw * 0.4)[None, :]).astype(np.float32)
        inside = np.arange(h, dtype=np.float32)[:, None] > heights[None, :] + ch
        out: np.ndarray = cells * shape * inside
        return out

    # -- per frame ----------------------------------------------------------------------

    def _water(self, out: np.ndarray, t: float) -> None:
        wave = np.sin(self.rows - t * 2.2 * self.ctx.speed + self.shimmer * 3)
        spark = np.clip(wave, 0, 1) ** 6 * self.spark_cols[None, :]
        out[:, self.horizon :] = self.reflection * (0.85 + 0.15 * wave) + spark * self.glow

    def render(self, t: float) -> np.ndarray:
        """The camera dollies slowly forward and sideways: near layers grow and slide more than
        far ones, and the sky (at infinity) stays put, so no whole-frame resampling is needed."""
        out = self.sky.copy()
        h, w = out.shape[1:]
        if self.water:
            self._water(out, t)
        p = min(1.0, t / max(self.ctx.duration_s, 1e-3))
        p = p * p * (3 - 2 * p) * 0.6 + p * 0.4  # gentle ease in and out
        floor = self.horizon if self.water else h  # over water, land stops at the horizon
        if self.bottom is not None:
            floor = min(floor, self.bottom)
        # Where each layer's edge runs this frame: (layer, strip columns, edge rows, top, bottom).
        placed = []
        for layer in self.layers:
            reach = 0.3 + 0.7 * layer.depth
            z = 1 + 0.08 * p * reach
            pan_x = float(self.pan[0]) * w * 0.03 * p * reach
            pan_y = float(self.pan[1]) * h * 0.015 * p * reach
            # Slide across the strip, turning back gently if a long segment runs out of it.
            d = (layer.speed * t) % (2 * self.span) if self.span else 0.0
            off = (d if d <= self.span else 2 * self.span - d) + pan_x
            # Screen column → strip column, and the layer's edge → screen row, zoomed about
            # the frame centre.
            sx = off + w / 2 + (self.xs - w / 2) / z
            hs = np.interp(sx, self.strip, layer.heights)
            hx = (h / 2 + (hs - h / 2) * z + pan_y).astype(np.float32)
            top = max(0, int(hx.min()))
            placed.append((layer, z, pan_y, sx, hx, top, int(np.ceil(hx.max())) + 1))
        # Rows below a nearer layer's lowest edge are covered by it: farther layers stop there.
        covered = floor
        limits = []
        for _layer, _z, _pan_y, _sx, _hx, top, low in reversed(placed):
            limits.append(covered)
            if top < covered:
                covered = min(covered, low)
        for (layer, z, pan_y, sx, hx, top, low), stop in zip(placed, reversed(limits), strict=True):
            bot = min(stop, low)
            if top >= stop:
                continue
            rows = np.clip(np.round(h / 2 + (self.Y[top:stop, 0] - pan_y - h / 2) / z), 0, h - 1)
            rows = rows.astype(np.intp)
            edge = bot - top
            if layer.texture is None:
                fill = layer.colour[:, rows]  # (3, rows, 1)
                if edge > 0:
                    cov = np.clip(self.Y[top:bot] - hx[None, :] + 0.5, 0, 1)
                    band = out[:, top:bot]
                    band += cov * (fill[:, :edge] - band)
                out[:, max(bot, top) : stop] = fill[:, max(edge, 0) :]
                continue
            cols = np.clip(np.round(sx), 0, layer.texture.shape[2] - 1).astype(np.intp)
            # Two 1-D gathers per plane from the covering window (much cheaper than 2-D
            # indexing), the rows under the edge straight into the frame.
            r0, c0 = int(rows.min()), int(cols.min())
            window = layer.texture[:, r0 : int(rows.max()) + 1, c0 : int(cols.max()) + 1]
            cols -= c0
            rows -= r0
            below = max(bot, top)
            mask = self.Y[top:bot] > hx[None, :] if edge > 0 else None
            for plane, dest in zip(window, out, strict=True):
                if mask is not None:
                    # Flat-topped buildings: a plain masked copy, no blending needed.
                    fill = plane.take(rows[:edge], axis=0).take(cols, axis=1)
                    np.copyto(dest[top:bot], fill, where=mask)
                if below < stop:
                    strip = plane.take(rows[below - top :], axis=0)
                    strip.take(cols, axis=1, out=dest[below:stop], mode="clip")
        return out


class AnimeScene(CinematicScene):
    """The same layered landscape drawn clean, like a painted animation background: no
    grain or letterbox, a lighter vignette."""

    def __init__(self, ctx: SceneContext) -> None:
        super().__init__(ctx)
        self.finish = Finish(vignette=0.15)
