"""The local renderer: real MP4 files checked with PyAV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest

from artgen_tui.local.render import RenderCancelled, RenderInfo, render_draft

SMALL = {"resolution": "90p", "fps": 24}


def _draft(*tracks: dict[str, Any], d: int = 1000, **meta: Any) -> dict[str, Any]:
    return {"d": d, "m": meta, "t": list(tracks)}


def _gen(
    prompt: str = "sunset",
    style: str = "",
    seed: int = 1,
    start: int = 0,
    dur: int = 1000,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "kind": "generated",
        "start_ms": start,
        "duration_ms": dur,
        "prompt": prompt,
        "style": style,
        "seed": seed,
        **extra,
    }


def _video_track(*segs: dict[str, Any]) -> dict[str, Any]:
    return {"tt": 0, "id": "v", "sg": list(segs)}


def _probe(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return {
            "codec": v.codec_context.name,
            "pix_fmt": v.codec_context.pix_fmt,
            "size": (v.codec_context.width, v.codec_context.height),
            "fps": float(v.average_rate),
            "frames": sum(1 for _ in c.decode(video=0)),
            "duration": float(c.duration) / av.time_base if c.duration else 0.0,
            "audio": len(c.streams.audio),
        }


def test_basic_mp4(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    info = render_draft(_draft(_video_track(_gen())), out, output=SMALL)
    assert isinstance(info, RenderInfo)
    p = _probe(out)
    assert p["codec"] == "h264" and p["pix_fmt"] == "yuv420p"
    assert p["size"] == (160, 90) == (info.width, info.height)
    assert p["fps"] == 24 and p["frames"] == 24 == info.frames
    assert abs(p["duration"] - 1.0) <= 1 / 24
    assert p["audio"] == 0 and not info.has_audio


def test_empty_draft_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        render_draft({"d": 0, "t": []}, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_cancel_removes_partial(tmp_path: Path) -> None:
    out = tmp_path / "c.mp4"
    calls = iter(range(1000))
    with pytest.raises(RenderCancelled):
        render_draft(
            _draft(_video_track(_gen())), out, output=SMALL, should_cancel=lambda: next(calls) >= 5
        )
    assert list(tmp_path.iterdir()) == []
