"""Colour palettes from the words of a prompt ("sunset" → warm oranges and pinks, …)."""

from __future__ import annotations

import colorsys
import itertools
import re
from dataclasses import dataclass

import numpy as np

from artgen_tui.local.art.spec import stable_seed

# Each entry lists colours from dark to light; several matched words are blended.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "sunset": ("#2b1055", "#7c2c6b", "#d7425e", "#f47c48", "#ffc36b"),
    "sunrise": ("#30305e", "#8a4f7d", "#f08a5d", "#f9c784", "#fff1c1"),
    "dusk": ("#1d1843", "#4b2a63", "#a0426c", "#e27d60", "#f6c28b"),
    "golden": ("#3d2407", "#8a5a12", "#d49a2a", "#f2c94c", "#fff0b3"),
    "fire": ("#1a0500", "#6b0f00", "#d1330b", "#ff8c1a", "#ffe066"),
    "autumn": ("#2e1408", "#7a2e0e", "#c2571a", "#e39b32", "#f3d28b"),
    "desert": ("#4a2c17", "#9c5b2e", "#d99559", "#efc88b", "#fbead0"),
    "neon": ("#07001a", "#3a0ca3", "#f72585", "#4cc9f0", "#b8f2ff"),
    "futuristic": ("#050a1f", "#2d1b69", "#00b4d8", "#ff2bd6", "#caf0f8"),
    "cyberpunk": ("#0b0221", "#51087e", "#ff0090", "#00f0ff", "#fdfd96"),
    "synthwave": ("#12002b", "#5d1a8b", "#ff3cac", "#2bd2ff", "#ffd319"),
    "vaporwave": ("#241e4e", "#6c5ce7", "#ff71ce", "#01cdfe", "#b967ff"),
    "forest": ("#0b1f10", "#1e4d2b", "#3f7d3a", "#8cb369", "#d8e8b0"),
    "jungle": ("#06200f", "#0f5132", "#2a9d5c", "#7cc16b", "#e9f5a1"),
    "spring": ("#23452b", "#5aa36a", "#a8d67f", "#f7b2c4", "#fdf6d8"),
    "ocean": ("#03122b", "#0a3d62", "#1e6f9f", "#3fa7d6", "#bde4f4"),
    "sea": ("#041c32", "#04293a", "#0f5e85", "#45a5c4", "#cdeef7"),
    "underwater": ("#001219", "#005f73", "#0a9396", "#94d2bd", "#e9f5db"),
    "beach": ("#0e4d64", "#2a9d8f", "#8ecae6", "#f4d58d", "#fff8e7"),
    "night": ("#020512", "#0b1533", "#1b2a5a", "#3b4f8c", "#a9b8e6"),
    "midnight": ("#01030b", "#070f2b", "#142457", "#2e3f7f", "#8797d1"),
    "space": ("#000005", "#0d0630", "#3a1a6e", "#6b5cc4", "#e0d7ff"),
    "galaxy": ("#03001c", "#301e67", "#5b8fb9", "#b6eada", "#fde2f3"),
    "aurora": ("#020b1a", "#0b3d4f", "#13a07a", "#7ae582", "#c8a2ff"),
    "winter": ("#1b2838", "#4b6584", "#a5b8cf", "#dfe7f0", "#ffffff"),
    "snow": ("#2c3e50", "#7f8fa6", "#c8d6e5", "#ecf0f4", "#ffffff"),
    "ice": ("#0a2540", "#2e6f95", "#7fc8e8", "#c9ecf7", "#f2fbff"),
    "rain": ("#101820", "#2c3e50", "#4f6d7a", "#89a3b2", "#c9d6df"),
    "storm": ("#0d0d14", "#22223b", "#4a4e69", "#9a8c98", "#d8d3da"),
    "fog": ("#3d4147", "#6b7178", "#9aa1a8", "#c7ccd1", "#eef0f2"),
    "dream": ("#2d1e4f", "#7b5ea7", "#c39bd3", "#f7c6d9", "#fdf1f7"),
    "pastel": ("#7d8cc4", "#a0c4e8", "#f7c6d9", "#fde2b8", "#fffaf0"),
    "candy": ("#5e239d", "#f15bb5", "#fee440", "#00bbf9", "#00f5d4"),
    "romantic": ("#3b0a1f", "#8c1c3f", "#d6456b", "#f29cb4", "#fde3ea"),
    "lavender": ("#3c2a5c", "#6f5a9c", "#a391d1", "#d3c7ee", "#f5f0ff"),
    "noir": ("#050505", "#262626", "#595959", "#a6a6a6", "#f2f2f2"),
    "mono": ("#0a0a0a", "#333333", "#666666", "#b3b3b3", "#f0f0f0"),
    "red": ("#2b0000", "#7a0a0a", "#c81d25", "#ff5a5f", "#ffc2c2"),
    "orange": ("#3a1500", "#9a3f00", "#f77f00", "#fcbf49", "#ffe8c2"),
    "yellow": ("#3b3000", "#8f7500", "#f9c80e", "#fde74c", "#fff9c4"),
    "green": ("#002b12", "#13653f", "#2dc653", "#92e6a7", "#e3fcef"),
    "teal": ("#002b2b", "#006d6f", "#14a3a3", "#7fd8d3", "#e0fbf9"),
    "blue": ("#000c2e", "#0b3a8c", "#2a6fdb", "#7fb2ff", "#dceaff"),
    "purple": ("#1a0033", "#4b0f80", "#8b3fd9", "#c49bff", "#efe3ff"),
    "pink": ("#3d0a26", "#a3245e", "#f45b9c", "#ffa6c9", "#ffe5f0"),
    "gold": ("#2e1f00", "#7a5600", "#c99700", "#f5d061", "#fff4cc"),
    "brown": ("#1f120a", "#4e3020", "#8a5a3c", "#c49a6c", "#eddcc5"),
}
_ALIAS_GROUPS: dict[str, tuple[str, ...]] = {
    "sunset": ("sundown",),
    "dusk": ("evening", "twilight"),
    "sunrise": ("dawn", "morning"),
    "fire": ("flame", "flames", "lava", "volcano"),
    "autumn": ("fall",),
    "desert": ("sand", "dune", "dunes", "sahara"),
    "futuristic": ("futurist", "future", "scifi", "sci"),
    "neon": ("tron", "glow", "glowing", "electric"),
    "synthwave": ("retrowave",),
    "forest": ("woods", "woodland", "trees", "tree"),
    "jungle": ("rainforest",),
    "spring": ("meadow", "garden", "blossom", "flowers", "sakura"),
    "sea": ("seas",),
    "ocean": ("oceans", "waves", "wave", "lake", "river"),
    "underwater": ("reef",),
    "beach": ("coast", "tropical"),
    "night": ("nocturnal", "moon", "moonlight"),
    "space": ("stars", "starry", "cosmos", "cosmic"),
    "galaxy": ("nebula",),
    "aurora": ("northern",),
    "ice": ("frozen", "arctic", "glacier"),
    "snow": ("snowy", "snowfall", "snowing", "blizzard", "snowflakes"),
    "rain": ("rainy",),
    "storm": ("stormy", "thunder"),
    "fog": ("misty", "mist", "foggy"),
    "dream": ("dreamy", "dreamlike", "ethereal"),
    "romantic": ("love", "rose", "roses"),
    "purple": ("violet",),
    "pink": ("magenta",),
    "teal": ("cyan", "turquoise"),
    "green": ("emerald",),
    "blue": ("azure", "navy"),
    "red": ("crimson",),
    "orange": ("amber",),
    "golden": ("golden_hour",),
    "mono": ("monochrome", "grayscale", "greyscale", "sketch", "pencil", "charcoal"),
    "noir": ("black_and_white",),
}
_ALIASES = {alias: key for key, aliases in _ALIAS_GROUPS.items() for alias in aliases}
_BRIGHTNESS: dict[str, float] = {
    "dark": 0.7,
    "gloomy": 0.7,
    "moody": 0.8,
    "mysterious": 0.8,
    "sad": 0.85,
    "melancholy": 0.85,
    "bright": 1.15,
    "happy": 1.1,
    "cheerful": 1.12,
    "sunny": 1.15,
    "vivid": 1.05,
    "light": 1.1,
}
_WORD_RE = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case words, with a few two-word phrases joined by ``_`` (``golden_hour``)."""
    ws = _WORD_RE.findall(text.lower())
    joined = [f"{a}_{b}" for a, b in itertools.pairwise(ws)]
    joined += [f"{a}_{b}_{c}" for a, b, c in zip(ws, ws[1:], ws[2:], strict=False)]
    return joined + ws


def _hex(c: str) -> tuple[float, float, float]:
    return (int(c[1:3], 16) / 255, int(c[3:5], 16) / 255, int(c[5:7], 16) / 255)


def _luma(c: np.ndarray) -> float:
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


@dataclass(frozen=True)
class Palette:
    """Colours ordered dark → light (float RGB 0–1) plus a 256-entry lookup table."""

    colours: np.ndarray  # (n, 3) float32
    lut: np.ndarray  # (256, 3) uint8
    matched: tuple[str, ...]  # the colour and mood words that were recognised

    @property
    def darkest(self) -> np.ndarray:
        c: np.ndarray = self.colours[0]
        return c

    @property
    def lightest(self) -> np.ndarray:
        c: np.ndarray = self.colours[-1]
        return c

    @property
    def lut_f(self) -> np.ndarray:
        return self.lut.astype(np.float32) / 255


def _build(colours: np.ndarray, matched: tuple[str, ...]) -> Palette:
    order = np.argsort([_luma(c) for c in colours], kind="stable")
    cols = np.clip(colours[order], 0, 1).astype(np.float32)
    xs = np.linspace(0, 1, len(cols))
    grid = np.linspace(0, 1, 256)
    lut = np.stack([np.interp(grid, xs, cols[:, k]) for k in range(3)], axis=1)
    return Palette(cols, np.round(lut * 255).astype(np.uint8), matched)


def _random_palette(rng: np.random.Generator) -> np.ndarray:
    base = float(rng.random())
    spread = float(rng.uniform(0.08, 0.3))
    cols = []
    for i, (light, sat) in enumerate(
        ((0.12, 0.6), (0.3, 0.7), (0.5, 0.75), (0.68, 0.6), (0.88, 0.35))
    ):
        hue = (base + spread * (i - 2) * float(rng.uniform(0.6, 1.2))) % 1.0
        cols.append(colorsys.hls_to_rgb(hue, light, sat))
    return np.array(cols, dtype=np.float32)


_MONO = {"noir", "mono"}

# Palettes that suit a style when the prompt names no colour or mood (one is picked by seed).
_STYLE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "cinematic": ("dusk", "golden", "sunset", "fog", "sunrise", "autumn"),
    "neon": ("neon", "synthwave", "cyberpunk", "vaporwave"),
    "watercolor": ("pastel", "spring", "lavender", "beach", "autumn"),
    "pixel": ("synthwave", "candy", "sunset", "ocean"),
    "anime": ("spring", "beach", "sunrise", "pastel", "golden"),
}


def palette_for(prompt: str, seed: int, *, style_hint: str = "") -> Palette:
    """The palette a prompt asks for; deterministic for ``(prompt, seed)``.

    Colour and mood words are looked up (up to three are blended); with none, the style
    (``style_hint``) suggests one, else a harmonious palette is drawn from the seed.
    """
    rng = np.random.default_rng([stable_seed("palette", prompt), seed & 0xFFFFFFFF])
    found: list[str] = []
    brightness = 1.0
    for w in words(prompt):
        key = _ALIASES.get(w, w)
        if key in _KEYWORDS and key not in found:
            found.append(key)
        brightness *= _BRIGHTNESS.get(w, 1.0)
    defaults = _STYLE_DEFAULTS.get(style_hint, ())
    if not found and defaults:
        found.append(defaults[int(rng.integers(0, len(defaults)))])
    if found:
        sets = [np.array([_hex(c) for c in _KEYWORDS[k]], dtype=np.float32) for k in found[:3]]
        # With several words the first gives the dark and light ends, the others the middle.
        cols = np.concatenate([sets[0], *(s[1:4] for s in sets[1:])])
    else:
        cols = _random_palette(rng)
    # A small seeded hue/brightness jitter so seeds differ while the mood stays.
    jitter = rng.uniform(-0.04, 0.04, size=(1, 3)).astype(np.float32)
    cols = np.clip(cols * np.float32(min(brightness, 1.3)) + jitter, 0, 1)
    if _MONO & set(found):
        # Black-and-white looks stay colourless whatever else the prompt mentions.
        grey = cols @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
        cols = grey[:, None] * np.array([1.0, 0.98, 0.95], dtype=np.float32)
    return _build(cols, tuple(found))
