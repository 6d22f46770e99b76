"""The scene interface shared by the procedural styles."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from artgen_tui.local.art.palettes import Palette


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

    @property
    def span_x(self) -> float:
        """Frame width in short-side units (the coordinates of :func:`fields.grid`)."""
        return self.width / min(self.width, self.height)

    @property
    def span_y(self) -> float:
        return self.height / min(self.width, self.height)

    def has(self, *ws: str) -> bool:
        return any(w in self.words for w in ws)


@dataclass
class Finish:
    """How a scene's working frame becomes an output frame."""

    grain: float = 0.0
    vignette: float = 0.0
    letterbox: bool = False
    nearest: bool = False


class Scene(ABC):
    work_short = 270
    no_weather = False  # styles whose look particles would spoil (pixel art)
    finish: Finish
    bottom: int | None = None
    """Set by the source when rows from here down are covered (letterbox): may be left undrawn."""

    def __init__(self, ctx: SceneContext) -> None:
        self.ctx = ctx
        self.finish = Finish()

    @abstractmethod
    def render(self, t: float) -> np.ndarray:
        """New float32 RGB planes (3, h, w), 0–1, at the working size for ``t`` seconds in."""
