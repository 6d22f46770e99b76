"""A 10,000-segment timeline (every segment sharing one id, the worst case for row keys).

Reports medians of ``--runs`` (default 3), in seconds:

* ``state``: ``artgen state --no-json`` wall time against a local backend holding that state;
* ``state_json``: the same with ``--json``;
* ``table``: a headless TimelineTable from ``show_state`` until every row is in the table.

The figures are for the closing note of issue #11 (before the fix: 19 s, 50 s and about a
minute); the tests assert the work is linear and off the event loop, never a wall-clock time.

Usage: ``python bench/big_timeline.py [--segments N] [--runs K] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from artgen_tui.api.models import SessionState
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend


def draft(segments: int) -> dict[str, Any]:
    sg = [{"id": "dup", "s": i * 1000, "d": 1000, "n": f"shot {i}"} for i in range(segments)]
    return {"d": segments * 1000, "m": {}, "t": [{"tt": 0, "sg": sg}]}


def artgen(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args], env=env, capture_output=True, check=False
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"artgen {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return took


def cli_figures(segments: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        options = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05)
        with LocalBackend(root / "backend", options=options) as backend:
            env = {**os.environ, "NEMO_API_URL": backend.url, "ARTGEN_HOME": str(root / "home")}
            artgen(env, "state", "--no-json")  # a token and a session, with an empty state
            (session_file,) = (root / "backend" / "sessions").glob("*.json")
            session = json.loads(session_file.read_text())
            session["state"]["draft"] = draft(segments)
            session_file.write_text(json.dumps(session))
            human = [artgen(env, "state", "--no-json") for _ in range(runs)]
            machine = [artgen(env, "state", "--json") for _ in range(runs)]
    return {"state": statistics.median(human), "state_json": statistics.median(machine)}


async def table_seconds(segments: int) -> float:
    from textual.app import App, ComposeResult

    from artgen_tui.tui.widgets.timeline_table import TimelineTable

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TimelineTable()

    state = SessionState.model_validate({"session_id": "s", "state": {"draft": draft(segments)}})
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TimelineTable)
        started = time.perf_counter()
        table.show_state(state)
        while table.row_count < segments:
            await pilot.pause(0.01)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    figures = cli_figures(args.segments, args.runs)
    figures["table"] = statistics.median(
        asyncio.run(table_seconds(args.segments)) for _ in range(args.runs)
    )
    if args.json:
        print(json.dumps({"segments": args.segments, "runs": args.runs, **figures}))
        return
    print(f"{args.segments} segments sharing one id, median of {args.runs}:")
    for name, seconds in figures.items():
        print(f"  {name:<11} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
