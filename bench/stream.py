"""Streaming responsiveness of the TUI: event-loop lag and render time for a long Markdown reply.

Runs the real app headless (120×40) against an in-process local backend and sends
``/bench-stream N`` (N small Markdown chunks sent as fast as the backend can). Reports:

* ``arrival_s``: how long the same stream takes to arrive with the bare client (no UI), measured
  in the same run;
* ``render_s``: from pressing Enter until the reply is fully rendered in the app;
* ``core_s``: how long ``core.conversation.run_turn`` takes to consume it with no UI;
* ``ratio`` = render_s / arrival_s (target ≤ 1.5);
* ``keep_up`` = render_s / turn_s: rendering finished vs the last chunk reaching the app (1.0 =
  the display is complete the moment the stream ends);
* process CPU seconds for the arrival and the in-app phases (less sensitive to other load);
* ``lag_p99_ms`` / ``lag_max_ms``: lateness of a 10 ms ticker on the app's event loop while the
  reply streams, i.e. how long a key press could wait (target p99 < 50 ms).

The same app then receives a *paced* stream, ``/bench-stream N over S`` (the N chunks spread evenly
over S seconds, default 10, as a real agent sends them), and reports its p99 event-loop lag
(target < 30 ms) and ``after_ms``: from the last chunk reaching the app (the reply's last
``write``) to the first frame the screen draws after the reply has finished, i.e. the whole reply on
screen (target < 100 ms). ``turn_after_ms`` is the older, coarser figure: until the turn is over
and the app idle (it includes what the app does after the turn, such as its garbage collection).

Usage: ``python bench/stream.py [N] [--over S] [--runs K] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = (120, 40)
_CPU: dict[str, float] = {}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _arrival(settings: Any, message: str) -> tuple[float, int, int]:
    """Seconds for the bare client to receive the whole stream; (seconds, chunks, chars)."""
    from artgen_tui.api.events import TextDelta
    from artgen_tui.core.workspace import Workspace

    async with Workspace(settings) as ws:
        await ws.ready()
        started = time.perf_counter()
        cpu = time.process_time()
        chunks = chars = 0
        async for event in ws.client.stream_chat(ws.session_id, message):
            if isinstance(event, TextDelta):
                chunks += 1
                chars += len(event.text)
        _CPU["arrival"] = time.process_time() - cpu
        return time.perf_counter() - started, chunks, chars


async def _core_only(settings: Any, message: str) -> float:
    """Seconds for ``core.conversation.run_turn`` to consume the stream with no UI at all."""
    from artgen_tui.core.conversation import run_turn
    from artgen_tui.core.workspace import Workspace

    async with Workspace(settings) as ws:
        await ws.ready()
        started = time.perf_counter()
        async for _event in run_turn(ws, message, record=False):
            pass
        return time.perf_counter() - started


class _Timeline:
    """Records when a reply last received a chunk (the moment the last chunk reached the app),
    when a reply finished (all its text handed to the display), and when the screen drew each
    frame (the end of Textual's ``Screen._compositor_refresh``, which writes a frame out)."""

    def __init__(self) -> None:
        self.last_write = 0.0
        self.finished = 0.0
        self.frames: list[float] = []

    def drawn_after(self, moment: float) -> float:
        """When the first frame after ``moment`` was drawn (0.0: none yet)."""
        return next((t for t in self.frames if t >= moment), 0.0)

    def __enter__(self) -> _Timeline:
        from textual.screen import Screen

        from artgen_tui.tui.widgets.chat_log import Reply

        write, finish = self._write, self._finish = Reply.write, Reply.finish
        refresh = self._refresh = Screen._compositor_refresh

        def timed_write(reply: Reply, chunk: str) -> None:
            self.last_write = time.perf_counter()
            write(reply, chunk)

        async def timed_finish(reply: Reply) -> None:
            await finish(reply)
            self.finished = time.perf_counter()

        def timed_refresh(screen: Screen[Any]) -> None:
            refresh(screen)
            self.frames.append(time.perf_counter())

        Reply.write = timed_write  # type: ignore[method-assign]
        Reply.finish = timed_finish  # type: ignore[method-assign]
        Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from textual.screen import Screen

        from artgen_tui.tui.widgets.chat_log import Reply

        Reply.write = self._write  # type: ignore[method-assign]
        Reply.finish = self._finish  # type: ignore[method-assign]
        Screen._compositor_refresh = self._refresh  # type: ignore[method-assign]


async def _in_app(settings: Any, message: str, paced: str) -> dict[str, float]:
    from artgen_tui.tui.app import ArtgenApp

    app = ArtgenApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 30
        while not app.ready:
            if time.monotonic() > deadline:
                raise SystemExit("the app did not connect to the local backend")
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        result = await _stream_in(app, pilot, message)
        await pilot.pause(0.3)
        with _Timeline() as seen:
            fields = await _stream_in(app, pilot, paced)
        drawn = seen.drawn_after(seen.finished) or fields["rendered_at"]
        fields["after_ms"] = (drawn - seen.last_write) * 1000
        fields["turn_after_ms"] = (fields["rendered_at"] - seen.last_write) * 1000
        result.update({f"paced_{k}": v for k, v in fields.items()})
    return result


async def _stream_in(app: Any, pilot: Any, message: str) -> dict[str, float]:
    """Type ``message``, press Enter, and time the reply until it is fully rendered."""
    from artgen_tui.tui.widgets.chat_log import Reply

    lags: list[float] = []
    before_replies = {id(m) for m in app.chat.messages()}
    app.prompt.value = message
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    cpu = time.process_time()
    await pilot.press("enter")
    await pilot.pause()
    while app.turn_running:
        await asyncio.sleep(0.005)
    turn_done = time.perf_counter() - started
    replies = [
        m for m in app.chat.messages() if isinstance(m, Reply) and id(m) not in before_replies
    ]
    while any(r.streaming for r in replies):
        await asyncio.sleep(0.005)
    await pilot.pause()
    rendered_at = time.perf_counter()
    rendered = rendered_at - started
    cpu_render = time.process_time() - cpu
    stop.set()
    await tick
    blocks = sum(len(r.children) for r in replies)
    text = sum(len(r.text) for r in replies)
    return {
        "rendered_at": rendered_at,
        "render_s": rendered,
        "turn_s": turn_done,
        "cpu_render_s": cpu_render,
        "lag_p99_ms": _percentile(lags, 0.99) * 1000,
        "lag_max_ms": max(lags, default=0.0) * 1000,
        "lag_median_ms": statistics.median(lags) * 1000 if lags else 0.0,
        "segments": float(blocks),
        "reply_chars": float(text),
    }


async def _one_run(n: int, over: float, work: Path) -> dict[str, float]:
    os.environ["ARTGEN_HOME"] = str(work / "home")
    from artgen_tui.config import Settings
    from artgen_tui.core.workspace import register_local_backend
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import LocalBackend

    message = f"/bench-stream {n}"
    options = LocalOptions(stage_delay=0.0, heartbeat_interval=5.0, seed=7)
    with LocalBackend(work / "backend", options=options) as backend:
        register_local_backend(backend.url, work / "backend")
        settings = Settings(api_url=backend.url, theme="textual-dark")
        arrival, chunks, chars = await _arrival(settings, message)
        core = await _core_only(settings, message)
        result = await _in_app(settings, message, f"{message} over {over:g}")
    result.update(arrival_s=arrival, core_s=core, chunks=float(chunks), chars=float(chars))
    result["cpu_arrival_s"] = _CPU.get("arrival", 0.0)
    result["ratio"] = result["render_s"] / arrival if arrival > 0 else float("inf")
    turn = result["turn_s"]
    result["keep_up"] = result["render_s"] / turn if turn > 0 else float("inf")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=5000, help="chunks (default 5000)")
    parser.add_argument(
        "--over", type=float, default=10.0, help="seconds the paced stream lasts (default 10)"
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat and print medians")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="artgen-bench-") as tmp:
            results.append(asyncio.run(_one_run(args.n, args.over, Path(tmp))))
    keys = results[0].keys()
    med = {k: statistics.median(r[k] for r in results) for k in keys}
    if args.json:
        print(json.dumps({"n": args.n, "over": args.over, "runs": args.runs, **med}))
        return 0
    print(f"/bench-stream {args.n}: {med['chunks']:.0f} chunks, {med['chars']:.0f} chars")
    print(f"  arrival (bare client)   {med['arrival_s']:.2f} s")
    print(f"  core.run_turn, no UI    {med['core_s']:.2f} s")
    print(f"  turn over in the app    {med['turn_s']:.2f} s")
    print(f"  rendered in the app     {med['render_s']:.2f} s   ratio {med['ratio']:.2f}  (≤ 1.5)")
    print(f"  rendered / last chunk in the app  {med['keep_up']:.2f}")
    print(
        f"  process CPU             arrival {med['cpu_arrival_s']:.2f} s · "
        f"in the app {med['cpu_render_s']:.2f} s (includes the in-process backend)"
    )
    print(
        f"  event-loop lag          p99 {med['lag_p99_ms']:.0f} ms  (< 50)  "
        f"max {med['lag_max_ms']:.0f} ms  median {med['lag_median_ms']:.1f} ms"
    )
    print(f"  reply widgets           {med['segments']:.0f} segments")
    print(f"/bench-stream {args.n} over {args.over:g} (paced, as an agent sends)")
    print(
        f"  event-loop lag          p99 {med['paced_lag_p99_ms']:.0f} ms  (< 30)  "
        f"max {med['paced_lag_max_ms']:.0f} ms  median {med['paced_lag_median_ms']:.1f} ms"
    )
    print(f"  rendered after the last chunk  {med['paced_after_ms']:.0f} ms  (< 100)")
    print(
        f"  turn over and idle after it    {med['paced_turn_after_ms']:.0f} ms  "
        "(includes the app's end-of-turn garbage collection)"
    )
    print(f"  process CPU in the app  {med['paced_cpu_render_s']:.2f} s")
    paced_ok = med["paced_lag_p99_ms"] < 30 and med["paced_after_ms"] < 100
    print(f"  paced targets {'met' if paced_ok else 'NOT met'}")
    print("firehose:")
    lag_ok, ratio_ok = med["lag_p99_ms"] < 50, med["ratio"] <= 1.5
    print(
        f"  lag target {'met' if lag_ok else 'NOT met'} · ratio target {'met' if ratio_ok else 'NOT met'}"
    )
    if not ratio_ok and med["core_s"] / med["arrival_s"] > 1.0:
        print(
            f"  note: core.run_turn alone takes {med['core_s'] / med['arrival_s']:.1f}× the "
            "bare arrival time, before any drawing"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
