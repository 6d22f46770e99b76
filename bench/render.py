"""Local renderer speed: a cinematic draft at 720p and 1080p against the encoder's floor.

For each resolution the same draft (a generated cinematic segment, a BGM bed and a title)
is rendered ``--runs`` times; the floor is encoding the same number of plain black frames of
the same size with the same encoder settings (``open_encoder``: libx264 with the renderer's
preset, CRF and threading — frame threads, as many as x264 picks for the cores —, rgb24 frames
converted to yuv420p by the encoder). Reports medians:

* ``s_per_s``: wall seconds per second of video (below 1 is faster than real time);
* ``floor_s_per_s``: the same for the black-frame encode;
* ``ratio`` = render / floor: the cost of the art, titles and audio on top of encoding;
* ``cpu_s_per_s``: process CPU seconds (all threads) per second of video, render and floor;
* ``cpu_ratio``: render / floor in CPU time, steadier than wall time on a busy machine.

With ``--concurrent``: the backend's responsiveness while it renders. A local backend is started
in its own process (as ``artgen serve-local`` runs it), ``GET /api/credits/balance/simple`` is
polled every 50 ms for a few seconds while idle (the baseline, before and again after the
renders, so a machine shared with other work is compared fairly), then two 1080p renders of the same
draft are submitted through the HTTP API and the polling goes on until both complete. Reports
p50/p99 of the credits request's latency, idle and during the renders (target: p99 < 50 ms).

Usage: ``python bench/render.py [--seconds S] [--runs K] [--res 720p 1080p] [--json]
[--concurrent]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
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
        "cpu_s_per_s": round(statistics.median(render_cpu) / info.duration_s, 3),
        "floor_cpu_s_per_s": round(statistics.median(floor_cpu) / info.duration_s, 3),
        "cpu_ratio": round(cpu_ratio, 2),
        "file_mb": round(size / 2**20, 2),
        "runs": runs,
    }


SKILL_HEADERS = {
    "X-Skill-Source": "art-generator",
    "X-Skill-Version": "0.1.0",
    "X-Skill-Platform": "unknown",
}
POLL_EVERY = 0.05
IDLE_SECONDS = 5.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_backend(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    root = str(Path(__file__).resolve().parent.parent)
    code = (
        "import sys; from pathlib import Path; from artgen_tui.local.runner import serve; "
        "serve(Path(sys.argv[1]), port=int(sys.argv[2]))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-c", code, str(data_dir), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def concurrent_runs(seconds: float, runs: int, workdir: Path) -> dict[str, Any]:
    """Medians over ``runs`` of :func:`concurrent`'s figures."""
    rows = [concurrent(seconds, workdir / f"run{k}") for k in range(runs)]
    merged: dict[str, Any] = {
        key: round(statistics.median(row[key] for row in rows), 1) for key in rows[0]
    }
    merged["runs"] = runs
    return merged


def _wait_until_up(http: Any, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            if http.get("/").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the local backend did not start")
        time.sleep(0.05)


def _finished(http: Any, headers: dict[str, str], pending: set[str]) -> set[str]:
    """The renders of ``pending`` that completed (a failed one stops the bench)."""
    done = set()
    for rid in pending:
        job = http.get(f"/api/render/proxy/lambda/{rid}", headers=headers).json()
        status = job["data"]["status"]
        if status in ("completed", "failed", "cancelled"):
            if status != "completed":
                raise RuntimeError(f"{rid} {status}: {job['data'].get('error')}")
            done.add(rid)
    return done


def concurrent(seconds: float, workdir: Path) -> dict[str, Any]:
    """Credits latency while idle and during two concurrent 1080p renders."""
    import httpx

    port = _free_port()
    proc = _start_backend(workdir / "backend", port)
    base = f"http://127.0.0.1:{port}"
    try:
        http = httpx.Client(base_url=base, timeout=30)
        _wait_until_up(http, proc)
        body = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "bench"}).json()
        headers = {"Authorization": f"Bearer {body['data']['token']}", **SKILL_HEADERS}
        sid = http.post(
            "/api/tasks/me/with-session/nemo_agent",
            json={"task_name": "bench", "language": "en"},
            headers=headers,
        ).json()["data"]["session_id"]

        def credits_latency() -> float:
            start = time.perf_counter()
            r = http.get("/api/credits/balance/simple", headers=headers)
            r.raise_for_status()
            return time.perf_counter() - start

        def pace(spent: float) -> None:
            time.sleep(max(0.0, POLL_EVERY - spent))

        for _ in range(5):  # warm the connection and the route
            credits_latency()
        idle: list[float] = []

        def idle_phase() -> None:
            end = time.monotonic() + IDLE_SECONDS
            while time.monotonic() < end:
                idle.append(credits_latency())
                pace(idle[-1])

        idle_phase()

        draft = cinematic_draft(seconds)
        output = {"resolution": "1080p", "fps": 24}
        ids = [f"render_bench_{k}" for k in range(2)]
        started = time.perf_counter()
        for rid in ids:
            r = http.post(
                "/api/render/proxy/lambda",
                json={"id": rid, "sessionId": sid, "draft": draft, "output": output},
                headers=headers,
            )
            r.raise_for_status()
        busy: list[float] = []
        pending = set(ids)
        n = 0
        while pending:
            busy.append(credits_latency())
            n += 1
            if n % 10 == 0:
                pending -= _finished(http, headers, pending)
            if time.perf_counter() - started > 600:
                raise RuntimeError("the renders did not finish within 10 minutes")
            pace(busy[-1])
        renders_s = time.perf_counter() - started
        idle_phase()  # again after the renders: the baseline spans the same stretch of time
        http.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ms = 1000
    return {
        "idle_p50_ms": round(statistics.median(idle) * ms, 1),
        "idle_p99_ms": round(_percentile(idle, 0.99) * ms, 1),
        "busy_p50_ms": round(statistics.median(busy) * ms, 1),
        "busy_p99_ms": round(_percentile(busy, 0.99) * ms, 1),
        "busy_max_ms": round(max(busy) * ms, 1),
        "idle_samples": len(idle),
        "busy_samples": len(busy),
        "renders_s": round(renders_s, 2),
        "video_s": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="video length (5–10 s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--res", nargs="+", default=["720p", "1080p"])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="credits latency during two concurrent 1080p renders in the local backend",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="artgen-render-bench-") as tmp:
        if args.concurrent:
            row = concurrent_runs(args.seconds, max(1, args.runs), Path(tmp))
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(
                    f"credits latency  idle p50 {row['idle_p50_ms']:.1f} ms p99 "
                    f"{row['idle_p99_ms']:.1f} ms ({row['idle_samples']} requests)  during two "
                    f"1080p renders p50 {row['busy_p50_ms']:.1f} ms p99 {row['busy_p99_ms']:.1f} "
                    f"ms max {row['busy_max_ms']:.1f} ms ({row['busy_samples']} requests)  "
                    f"renders took {row['renders_s']:.1f} s for {row['video_s']:.0f} s of video "
                    f"each  (target p99 < 50 ms; medians of {row['runs']} runs)",
                    flush=True,
                )
            return 0
        for res in args.res:
            row = bench(res, args.seconds, max(1, args.runs), Path(tmp))
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(
                    f"{row['resolution']:>9} @{row['fps']}  {row['video_s']:.1f} s video: "
                    f"render {row['render_s']:.2f} s ({row['s_per_s']:.3f} s/s)  "
                    f"floor {row['floor_s']:.2f} s ({row['floor_s_per_s']:.3f} s/s)  "
                    f"ratio {row['ratio']:.2f}  CPU {row['cpu_s_per_s']:.3f} s/s "
                    f"(floor {row['floor_cpu_s_per_s']:.3f}, ratio {row['cpu_ratio']:.2f})  "
                    f"{row['file_mb']:.1f} MB  (median of {row['runs']})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
