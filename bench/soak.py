"""A long session in the real app: does memory stay flat and the screen stay responsive?

Runs the real app headless (Pilot, 120×40) against the local backend in its own process (as
``artgen --local`` does, so the RSS is the app's alone) with instant agent stages and types a mixed session into the prompt, pressing Enter like a user: generations, edits
(some close silently), ``/status``, ``/credits``, short Markdown replies (``/bench-stream``),
plain chat, and ``/export`` every few turns (each export is rendered and downloaded). Reports:

* RSS every 25 turns, and the slope after the first 50 turns (warm-up) in MB per 100 turns, from
  a least-squares fit (target < 10);
* the widgets mounted in the chat (its messages, and all its descendants) at each sample: they
  must stop growing once the chat's bound is reached;
* the app's full garbage collections of its frozen objects (``tui/gc_policy.py``) and how many
  objects are frozen out of the collector's view;
* p99 / max lateness of a 10 ms ticker on the app's event loop over the whole soak, i.e. how
  long a key press could wait (target p99 < 50 ms).

Usage: ``python bench/soak.py [--turns N] [--exports K] [--runs R] [--trace] [--json]``.
``--trace`` diffs tracemalloc snapshots (after warm-up vs the end) and prints the top growth
(much slower; for finding leaks, not for the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

SIZE = (120, 40)
SAMPLE_EVERY = 25
WARM_UP = 50

SCRIPT = [
    "generate a neon city at night",
    "add calm background music",
    'add title "Night Drive"',
    "/status",
    "make it 15 seconds",
    "/credits",
    "/bench-stream 120",
    "watercolor style",
    "remove the music",
    "what can you do?",
    "make it vertical",
    "/status",
    "add upbeat music",
    "/credits",
    "cinematic style",
    "remove the title",
]
"""One cycle of the session; turns walk it round and round."""


def rss_mb() -> float:
    """Resident set size now (Linux ``/proc``; elsewhere the peak from ``getrusage``)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (turn, MB) points, in MB per 100 turns."""
    if len(points) < 2:
        return 0.0
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return 0.0
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _settle(pilot: Any, app: Any, timeout: float = 60.0) -> None:
    """Wait until the typed line is handled: no turn, no reply drawing, no worker but exports."""
    from artgen_tui.tui.widgets.chat_log import Reply

    deadline = time.monotonic() + timeout
    await pilot.pause()
    while True:
        busy = (
            app.turn_running
            or any(isinstance(m, Reply) and m.streaming for m in app.chat.messages())
            or any(not w.is_finished and w.group != "export" for w in app.workers)
        )
        if not busy:
            return
        if time.monotonic() > deadline:
            raise SystemExit("a turn did not finish in time")
        await asyncio.sleep(0.005)


async def _type(pilot: Any, app: Any, text: str) -> None:
    app.prompt.focus()
    app.prompt.value = text
    await pilot.press("enter")
    await _settle(pilot, app)


def _downloaded(app: Any) -> int:
    jobs = app.jobs.jobs() if app.jobs is not None else []
    return sum(1 for job in jobs if job.status == "downloaded")


def _export_turns(turns: int, exports: int) -> set[int]:
    if exports <= 0:
        return set()
    step = max(1, turns // exports)
    return {step * (i + 1) - step // 2 for i in range(exports)}


async def _soak(settings: Any, turns: int, exports: int, trace: bool) -> dict[str, Any]:
    from artgen_tui.tui.app import ArtgenApp

    app = ArtgenApp(settings, export_resolution="360p")
    lags: list[float] = []
    samples: list[dict[str, Any]] = []
    top: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 30
        while not app.ready:
            if time.monotonic() > deadline:
                raise SystemExit("the app did not connect to the local backend")
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                before = loop.time()
                await asyncio.sleep(0.01)
                lags.append(loop.time() - before - 0.01)

        def sample(turn: int) -> None:
            chat = app.chat
            samples.append(
                {
                    "turn": turn,
                    "rss_mb": rss_mb(),
                    "chat_children": len(chat.children),
                    "chat_widgets": sum(1 for _ in chat.walk_children()),
                    "full_gcs": app.turn_flow.collector.full_collections,
                    "frozen": gc.get_freeze_count(),
                }
            )

        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        export_at = _export_turns(turns, exports)
        base = None
        sample(0)
        for turn in range(1, turns + 1):
            await _type(pilot, app, SCRIPT[(turn - 1) % len(SCRIPT)])
            if turn in export_at:
                await _type(pilot, app, "/export")
            if turn % SAMPLE_EVERY == 0 or turn == turns:
                sample(turn)
            if trace and turn == min(WARM_UP, turns):
                tracemalloc.start(10)
                base = tracemalloc.take_snapshot()
        wait_until = time.monotonic() + 120
        while _downloaded(app) < exports and time.monotonic() < wait_until:
            await pilot.pause(0.1)
        elapsed = time.perf_counter() - started
        stop.set()
        await tick
        if base is not None:
            diff = tracemalloc.take_snapshot().compare_to(base, "traceback")
            tracemalloc.stop()
            for stat in diff[:12]:
                top.append(f"{stat.size_diff / 1024:+.0f} KiB {stat.count_diff:+d} blocks")
                top.extend(f"    {line}" for line in stat.traceback.format()[-6:])
        downloaded = _downloaded(app)
    after = [(s["turn"], s["rss_mb"]) for s in samples if s["turn"] >= WARM_UP]
    return {
        "samples": samples,
        "slope_mb_per_100": slope_per_100(after),
        "lag_p99_ms": _percentile(lags, 0.99) * 1000,
        "lag_max_ms": max(lags, default=0.0) * 1000,
        "lag_median_ms": statistics.median(lags) * 1000 if lags else 0.0,
        "elapsed_s": elapsed,
        "downloaded": downloaded,
        "trace": top,
    }


async def _one_run(turns: int, exports: int, trace: bool, work: Path) -> dict[str, Any]:
    os.environ["ARTGEN_HOME"] = str(work / "home")
    os.environ["ARTGEN_LOCAL"] = json.dumps(
        {
            "data_dir": str(work / "backend"),
            **{"stage_delay": 0.0, "heartbeat_interval": 5.0, "seed": 7},
            **{"credits": 10_000_000, "silent_close_rate": 0.3},
        }
    )
    from artgen_tui.config import Settings
    from artgen_tui.core.identities import register_local_backend
    from artgen_tui.local.child import ChildBackend

    # Its own process, as with `artgen --local`: the RSS measured is the app's alone, not the
    # backend's store of every session's events.
    backend = ChildBackend(None).start()
    try:
        register_local_backend(backend.url, work / "backend")
        settings = Settings(
            api_url=backend.url,
            theme="textual-dark",
            output_dir=work / "videos",
            render_poll_interval=0.2,
        )
        return await _soak(settings, turns, exports, trace)
    finally:
        if failure := backend.stop():
            print(f"the backend stopped: {failure}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="turns typed (default 300)")
    parser.add_argument("--exports", type=int, default=20, help="exports (default 20)")
    parser.add_argument("--runs", type=int, default=1, help="repeat and print medians")
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth after warm-up")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="artgen-soak-") as tmp:
            results.append(asyncio.run(_one_run(args.turns, args.exports, args.trace, Path(tmp))))
    keys = ("slope_mb_per_100", "lag_p99_ms", "lag_max_ms", "lag_median_ms", "elapsed_s")
    med = {k: statistics.median(float(r[k]) for r in results) for k in keys}
    last = results[-1]
    widgets = [s["chat_children"] for r in results for s in r["samples"]]
    if args.json:
        print(json.dumps({"turns": args.turns, "runs": args.runs, **med, "last": last}))
        return 0
    print(
        f"soak: {args.turns} turns, {args.exports} exports ({last['downloaded']} downloaded), "
        f"{med['elapsed_s']:.0f} s"
    )
    print("  turn    RSS MB   chat messages   chat widgets   full GCs   frozen objects")
    for s in last["samples"]:
        print(
            f"  {s['turn']:4d}  {s['rss_mb']:8.1f}   {s['chat_children']:13d}"
            f"   {s['chat_widgets']:12d}   {s['full_gcs']:8d}   {s['frozen']:14d}"
        )
    print(
        f"  RSS slope after turn {WARM_UP}  {med['slope_mb_per_100']:+.1f} MB per 100 turns  (< 10)"
    )
    print(f"  chat messages mounted    max {max(widgets)}, at the end {widgets[-1]}")
    print(
        f"  event-loop lag           p99 {med['lag_p99_ms']:.0f} ms  (< 50)  "
        f"max {med['lag_max_ms']:.0f} ms  median {med['lag_median_ms']:.1f} ms"
    )
    slope_ok, lag_ok = med["slope_mb_per_100"] < 10, med["lag_p99_ms"] < 50
    print(
        f"  RSS target {'met' if slope_ok else 'NOT met'} · lag target "
        f"{'met' if lag_ok else 'NOT met'}"
    )
    for line in last["trace"]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
