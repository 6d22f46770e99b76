"""The soundtrack encoded on its own thread: the same packets as encoding it up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from artgen_tui.local.art.audio import SAMPLE_RATE, AudioMix
from artgen_tui.local.art.output import resolve_output
from artgen_tui.local.art.soundtrack import CHUNK, Soundtrack
from artgen_tui.local.art.spec import BgmItem
from artgen_tui.local.render import open_encoder

TOTAL = SAMPLE_RATE * 3 // 2


def _mix() -> AudioMix:
    return AudioMix([BgmItem(0, 1500, "warm", "", 0.8, 200, 4)])


def _stream(tmp_path: Path, name: str) -> tuple[Any, Any]:
    spec = resolve_output({"resolution": "90p"}, None, None)
    container, _, astream = open_encoder(tmp_path / name, spec, audio=True)
    container.start_encoding()
    return container, astream


def _key(packets: list[Any]) -> list[tuple[int | None, bytes]]:
    return [(p.pts, bytes(p)) for p in packets]


def test_packets_match_up_front_encoding_in_order(tmp_path: Path) -> None:
    container, astream = _stream(tmp_path, "a.mp4")
    mix = _mix()
    expected: list[Any] = []
    for n0 in range(0, TOTAL, CHUNK):
        expected += astream.encode(mix.frame(n0, min(CHUNK, TOTAL - n0)))
    expected += astream.encode()
    container.close()

    container, astream = _stream(tmp_path, "b.mp4")
    track = Soundtrack(astream, _mix(), TOTAL)
    first = track.before(SAMPLE_RATE // 2)
    got = first + track.rest()
    track.close()
    container.close()
    assert first and all(p.pts is None or p.pts < SAMPLE_RATE // 2 for p in first)
    assert len(first) < len(got)
    assert _key(got) == _key(expected)


class _Broken(AudioMix):
    def frame(self, n0: int, n: int) -> Any:
        if n0 >= CHUNK:
            raise RuntimeError("synthesis failed")
        return super().frame(n0, n)


def test_an_encoding_error_reaches_the_consumer(tmp_path: Path) -> None:
    container, astream = _stream(tmp_path, "c.mp4")
    track = Soundtrack(astream, _Broken([BgmItem(0, 1500, "warm", "", 0.8, 200, 4)]), TOTAL)
    with pytest.raises(RuntimeError, match="synthesis failed"):
        track.rest()
    track.close()
    container.close()
