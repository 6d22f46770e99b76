"""How the renderer uses the machine: encoder threading, letterbox work saved, worker priority."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import av

from artgen_tui.local.art.output import resolve_output
from artgen_tui.local.art.sources import GeneratedSource, letterbox_rows
from artgen_tui.local.art.spec import VideoItem
from artgen_tui.local.render import open_encoder, render_draft
from artgen_tui.local.render_worker import NICE


def _cinematic(seconds: float) -> dict[str, object]:
    d = round(seconds * 1000)
    seg = {
        "kind": "generated",
        "start_ms": 0,
        "duration_ms": d,
        "prompt": "a futuristic city at sunset",
        "style": "cinematic",
        "seed": 7,
    }
    title = {"kind": "title", "start_ms": 0, "duration_ms": d, "text": "Urban", "fade_ms": 200}
    return {"d": d, "m": {}, "t": [{"tt": 0, "sg": [seg]}, {"tt": 7, "sg": [title]}]}


def test_encoder_uses_frame_threads(tmp_path: Path) -> None:
    spec = resolve_output({"resolution": "360p"}, None, None)
    container, vstream, _ = open_encoder(tmp_path / "x.mp4", spec, audio=False)
    try:
        assert vstream.codec_context.thread_type == av.codec.context.ThreadType.FRAME
    finally:
        container.close()


def test_threaded_render_gives_identical_files(tmp_path: Path) -> None:
    output = {"resolution": "360p", "fps": 24}
    digests = []
    for name in ("a.mp4", "b.mp4"):
        render_draft(_cinematic(1.5), tmp_path / name, output=output)
        digests.append(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_letterbox_rows_stay_black_and_the_picture_fills_between() -> None:
    item = VideoItem("generated", 0, 2000, "a city at sunset", "cinematic", 3, "", "", "k")
    source = GeneratedSource(item, 640, 360)
    rgb = source.frame(0.9).rgb
    h = rgb.shape[0]
    bars = round(letterbox_rows(640, 360) * h / 360)
    assert bars > 0
    assert not rgb[:bars].any() and not rgb[h - bars :].any()
    inside = rgb[bars : h - bars]
    assert inside.min(axis=(1, 2)).max() > 0  # the picture reaches rows between the bars
    assert inside[0].any() and inside[-1].any()  # up to both bars
    assert inside.std() > 5


def test_render_worker_lowers_its_priority() -> None:
    code = (
        "import os; from artgen_tui.local.render_worker import _lower_priority; "
        "_lower_priority(); print(os.nice(0))"
    )
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert int(out.stdout) == min(19, os.nice(0) + NICE)
