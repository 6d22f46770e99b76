"""Small numpy helpers shared by the procedural styles."""

from __future__ import annotations

import numpy as np
from PIL import Image


def grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates scaled so the short side spans 0–1: ``(X, Y)`` float32."""
    s = float(min(w, h))
    xs = (np.arange(w, dtype=np.float32) + 0.5) / s
    ys = (np.arange(h, dtype=np.float32) + 0.5) / s
    return np.broadcast_to(xs[None, :], (h, w)), np.broadcast_to(ys[:, None], (h, w))


def smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int) -> np.ndarray:
    """Smooth value noise in −1…1 (random coarse grid, bicubic upscaled), float32 (h, w)."""
    cw = max(2, round(cells * w / max(w, h)) + 2)
    ch = max(2, round(cells * h / max(w, h)) + 2)
    coarse = rng.uniform(-1, 1, size=(ch, cw)).astype(np.float32)
    img = Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC)
    out = np.asarray(img, dtype=np.float32)
    peak = float(np.abs(out).max()) or 1.0
    return out / peak


def noise_1d(rng: np.random.Generator, n: int, points: int) -> np.ndarray:
    """Smooth 1-D noise in −1…1 over ``n`` samples (cosine-interpolated random points)."""
    knots = rng.uniform(-1, 1, size=points + 2)
    x = np.linspace(0, points, n, dtype=np.float64)
    i = np.floor(x).astype(int)
    f = x - i
    f = (1 - np.cos(f * np.pi)) / 2
    out: np.ndarray = (knots[i] * (1 - f) + knots[i + 1] * f).astype(np.float32)
    return out


def fractal_1d(rng: np.random.Generator, n: int, points: int, octaves: int = 4) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        out += amp * noise_1d(rng, n, points * 2**o)
        total += amp
        amp *= 0.5
    return out / total


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0, 1)
    return t * t * (3 - 2 * t)


def saturation(c: np.ndarray) -> float:
    return float(c.max() - c.min())


def planes(rgb: np.ndarray) -> np.ndarray:
    """A (h, w, 3) RGB array as contiguous float32 planes (3, h, w).

    Per-frame work runs on planes: a colour or a mask broadcast over a plane is a long inner
    loop for numpy, while the same broadcast over interleaved RGB runs three values at a time.
    """
    out: np.ndarray = np.ascontiguousarray(np.moveaxis(rgb, -1, 0), dtype=np.float32)
    return out


def vignette(w: int, h: int, strength: float) -> np.ndarray:
    """A (h, w, 1) multiplier darkening the corners by up to ``strength``."""
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    r2 = (x * x + y * y) / 2
    return (1 - strength * r2**1.5)[..., None].astype(np.float32)
