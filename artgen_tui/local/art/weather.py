"""Falling snow or rain drawn over generated art when the prompt asks for it."""

from __future__ import annotations

import numpy as np

_SNOW = frozenset({"snow", "snowy", "snowfall", "snowing", "blizzard", "snowflakes"})
_RAIN = frozenset({"rain", "rainy", "raining", "storm", "stormy", "drizzle", "downpour"})
_FLAKE = ((0, 0), (0, 1), (1, 0), (1, 1))  # 2×2 at the working size: soft dots once upscaled


class Weather:
    """Particles with closed-form motion (position is a function of time), so any frame can be
    drawn on its own and the result is deterministic. Nearer particles fall faster and show
    brighter."""

    def __init__(self, kind: str, width: int, height: int, rng: np.random.Generator) -> None:
        self.snow = kind == "snow"
        self.w, self.h = width, height
        n = int(width * height / (1400 if self.snow else 500))
        self.x0 = rng.uniform(0, width, n).astype(np.float32)
        self.y0 = rng.uniform(0, height, n).astype(np.float32)
        self.near = rng.uniform(0.3, 1.0, n).astype(np.float32)
        self.sway = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
        scale = height / 270
        if self.snow:
            self.vy = (12 + 28 * self.near) * scale
            self.vx = rng.uniform(-4, 4, n).astype(np.float32) * scale
            self.alpha = 0.35 + 0.55 * self.near
        else:
            self.vy = (180 + 160 * self.near) * scale
            self.vx = np.full(n, -25 * scale, dtype=np.float32)
            self.alpha = 0.12 + 0.2 * self.near
        self.trail = max(2, round(5 * scale))  # rain streak length in pixels

    def draw(self, img: np.ndarray, t: float) -> None:
        """Lighten the particles' pixels in ``img`` (float RGB 0–1, working size) in place."""
        x = self.x0 + self.vx * t
        y = self.y0 + self.vy * t
        if self.snow:
            x = x + 3 * np.sin(t * 1.3 + self.sway) * self.near
            for dy, dx in _FLAKE:
                self._dab(img, y + dy, x + dx, self.alpha)
            return
        step = 1.5 / float(self.vy.max())
        for k in range(self.trail):  # a streak: a few pixels back along the direction of fall
            fade = 1 - k / (self.trail + 1)
            self._dab(img, y - self.vy * k * step, x - self.vx * k * step, self.alpha * fade)

    def _dab(self, img: np.ndarray, y: np.ndarray, x: np.ndarray, alpha: np.ndarray) -> None:
        yi = (np.floor(y) % self.h).astype(np.intp)
        xi = (np.floor(x) % self.w).astype(np.intp)
        img[yi, xi] += alpha[:, None] * (1.0 - img[yi, xi])


def weather_for(words: frozenset[str], width: int, height: int, seed: int) -> Weather | None:
    """Snow or rain when the prompt's words ask for it, else None."""
    kind = "snow" if words & _SNOW else "rain" if words & _RAIN else None
    if kind is None:
        return None
    return Weather(kind, width, height, np.random.default_rng([seed & 0xFFFFFFFF, 0x5EA7]))
