"""How the renderer uses the machine: encoder threading, letterbox work saved, worker priority."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

from artgen_tui.local.art.compose import Compositor
from artgen_tui.local.art.output import resolve_output
from artgen_tui.local.art.pipeline import FramePipeline
from artgen_tui.local.art.sources import GeneratedSource, letterbox_rows
from artgen_tui.local.art.spec import VideoItem, parse_draft
from artgen_tui.local.render import open_encoder
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


def test_frames_fed_to_the_encoder_are_identical_across_renders() -> None:
    """Layers, letterbox, grain and the title blended into the frame's planes, produced ahead
    on the pipeline thread: the same draft gives the same frames."""
    spec = parse_draft(_cinematic(1.0))
    out = resolve_output({"resolution": "360p", "fps": 24}, None, None)

    def frames() -> list[np.ndarray]:
        comp = Compositor(spec, out, {})
        with FramePipeline(lambda i: comp.frame(i / 24), 24) as produced:
            return [f.to_ndarray() for f in produced]

    a, b = frames(), frames()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], a[12])  # the title fades in, the layers move


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
