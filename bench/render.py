"""Local renderer speed: a cinematic draft at 720p and 1080p against the encoder's floor.

For each resolution the same draft (a generated cinematic segment, a BGM bed and a title)
is rendered ``--runs`` times; the floor is encoding the same number of plain black frames of
the same size with the same encoder settings (libx264, preset and CRF as the renderer,
rgb24 frames converted to yuv420p by the encoder). Reports medians:

* ``s_per_s``: wall seconds per second of video (below 1 is faster than real time);
* ``floor_s_per_s``: the same for the black-frame encode;
* ``ratio`` = render / floor: the cost of the art, titles and audio on top of encoding;
* ``cpu_ratio``: the same with process CPU time (all threads), steadier on a busy machine.

Usage: ``python bench/render.py [--seconds S] [--runs K] [--res 720p 1080p] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from artgen_tui.local.art.output import resolve_output
from artgen_tui.local.render import open_encoder, render_draft


def cinematic_draft(seconds: float) -> dict[str, Any]:
    d = round(seconds * 1000)
    prompt = "a futuristic city at sunset, cinematic"
    return {
        "d": d,
        "m": {"title": "Urban Dreams", "prompt": prompt, "style": "cinematic", "seed": 7},
        "t": [
            {"tt": 0, "id": "trk_video", "sg": [
                {"id": "seg_1", "kind": "generated", "start_ms": 0, "duration_ms": d,
                 "prompt": prompt, "style": "cinematic", "seed": 7},
            ]},
            {"tt": 1, "id": "trk_bgm", "sg": [
                {"id": "seg_2", "kind": "bgm", "start_ms": 0, "duration_ms": d, "mood": "warm",
                 "volume": 0.6},
            ]},
            {"tt": 7, "id": "trk_text", "sg": [
                {"id": "seg_3", "kind": "title", "start_ms": 0, "duration_ms": min(d, 3000),
                 "text": "Urban Dreams", "position": "center", "fade_ms": 500},
            ]},
        ],
    }  # fmt: skip


def floor_encode(path: Path, output: dict[str, Any], frames: int) -> tuple[float, float]:
    """(wall, CPU) seconds to encode ``frames`` black frames with the renderer's settings."""
    spec = resolve_output(output, None, None)
    black = np.zeros((spec.height, spec.width, 3), dtype=np.uint8)
    start, cpu = time.perf_counter(), time.process_time()
    container, stream, _ = open_encoder(path, spec, audio=False)
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(black, format="rgb24")
        frame.pts = i
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
    container.close()
    return time.perf_counter() - start, time.process_time() - cpu


def bench(resolution: str, seconds: float, runs: int, workdir: Path) -> dict[str, Any]:
    output = {"resolution": resolution, "fps": 24}
    draft = cinematic_draft(seconds)
    render_times: list[float] = []
    render_cpu: list[float] = []
    floor_times: list[float] = []
    floor_cpu: list[float] = []
    info = None
    size = 0
    for k in range(runs):
        out = workdir / f"render_{resolution}_{k}.mp4"
        start, cpu = time.perf_counter(), time.process_time()
        info = render_draft(draft, out, output=output)
        render_times.append(time.perf_counter() - start)
        render_cpu.append(time.process_time() - cpu)
        size = out.stat().st_size
        wall, fcpu = floor_encode(workdir / f"floor_{resolution}_{k}.mp4", output, info.frames)
        floor_times.append(wall)
        floor_cpu.append(fcpu)
    assert info is not None
    render_s, floor_s = statistics.median(render_times), statistics.median(floor_times)
    cpu_ratio = statistics.median(render_cpu) / statistics.median(floor_cpu)
    return {
        "resolution": f"{info.width}x{info.height}",
        "fps": info.fps,
        "video_s": info.duration_s,
        "render_s": round(render_s, 2),
        "floor_s": round(floor_s, 2),
        "s_per_s": round(render_s / info.duration_s, 3),
        "floor_s_per_s": round(floor_s / info.duration_s, 3),
        "ratio": round(render_s / floor_s, 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "file_mb": round(size / 2**20, 2),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="video length (5–10 s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--res", nargs="+", default=["720p", "1080p"])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="artgen-render-bench-") as tmp:
        for res in args.res:
            row = bench(res, args.seconds, max(1, args.runs), Path(tmp))
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(
                    f"{row['resolution']:>9} @{row['fps']}  {row['video_s']:.1f} s video: "
                    f"render {row['render_s']:.2f} s ({row['s_per_s']:.3f} s/s)  "
                    f"floor {row['floor_s']:.2f} s ({row['floor_s_per_s']:.3f} s/s)  "
                    f"ratio {row['ratio']:.2f} (CPU {row['cpu_ratio']:.2f})  "
                    f"{row['file_mb']:.1f} MB  (median of {row['runs']})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
