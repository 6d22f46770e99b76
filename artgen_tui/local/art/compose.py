"""Per-frame composition: the active video segment, then the titles on top."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from artgen_tui.local.art.output import OutputSpec
from artgen_tui.local.art.spec import DraftSpec, VideoItem, stable_seed


class Compositor:
    def __init__(self, spec: DraftSpec, out: OutputSpec, assets: Mapping[str, Path]) -> None:
        self._spec = spec
        self._out = out
        self._assets = assets
        self._black = np.zeros((out.height, out.width, 3), dtype=np.uint8)

    def _active(self, t_ms: float) -> VideoItem | None:
        found = None
        for item in self._spec.video:
            if item.start_ms <= t_ms < item.end_ms:
                found = item
        return found

    def frame(self, t: float) -> np.ndarray:
        item = self._active(t * 1000)
        if item is None:
            return self._black
        rng = np.random.default_rng([item.seed & 0xFFFFFFFF, stable_seed(item.prompt)])
        colour = rng.integers(0, 256, 3, dtype=np.uint8)
        return np.broadcast_to(colour, self._black.shape)

    def close(self) -> None:
        pass
