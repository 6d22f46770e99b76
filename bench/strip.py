"""Frame strip speed: seeking to keyframes against decoding every frame, and half-block cost.

A test video (``--seconds`` of 1080p H.264 at 24 fps, a keyframe every 2 s, each second a new
colour) is made once; then, ``--runs`` times each:

* ``seek_s``: :func:`extract_strip` (5 frames, 160 px wide: seek + decode forward);
* ``all_s``: the baseline, decoding every frame and converting the 5 kept (a naive strip);
* ``ratio`` = seek / all (below 1 is faster);
* ``halfblock_ms``: rendering the 5 frames as a 5 x 30-column half-block strip.

Reports medians. Usage: ``python bench/strip.py [--seconds S] [--runs K] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from artgen_tui.core.imaging import extract_strip
from artgen_tui.core.termimage import halfblock_strip


def make_video(path: Path, seconds: int) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=24, options={"g": "48", "preset": "ultrafast"}
        )
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        rng = np.random.default_rng(1)
        for _ in range(seconds):
            pixels = np.empty((1080, 1920, 3), dtype=np.uint8)
            pixels[:] = rng.integers(0, 255, 3, dtype=np.uint8)
            pixels[::7, ::5] = 0
            for _ in range(24):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))


def decode_all(path: Path, count: int) -> int:
    """Decode every frame, convert only the ``count`` picked ones (the fair naive baseline)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        total = stream.frames
        picks = {int(total * (i + 0.5) / count) for i in range(count)}
        kept = [
            f.to_image().resize((160, 90))
            for i, f in enumerate(container.decode(stream))
            if i in picks
        ]
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench.mp4"
        make_video(video, args.seconds)
        seek, full, cells = [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            frames = extract_strip(video, 5, 160)
            seek.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            decode_all(video, 5)
            full.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            halfblock_strip(frames, 30)
            cells.append((time.perf_counter() - t0) * 1000)
    result = {
        "seconds": args.seconds,
        "seek_s": round(statistics.median(seek), 3),
        "all_s": round(statistics.median(full), 3),
        "ratio": round(statistics.median(seek) / statistics.median(full), 3),
        "halfblock_ms": round(statistics.median(cells), 2),
    }
    print(json.dumps(result) if args.json else "  ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
