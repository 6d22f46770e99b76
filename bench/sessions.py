"""The session list and its search, over a large local history.

Writes ``SESSIONS`` transcripts of ``TURNS`` turns each into a temporary folder, then reports
medians of:

* ``cold_list_ms``: listing every session with a fresh index (every transcript parsed);
* ``warm_search_ms``: a search with the index the Sessions screen keeps (transcripts parsed once,
  re-read only when a file changes), i.e. the cost of one keystroke in the search box;
* ``ratio`` = warm / cold (the baseline is the cold listing, measured in the same run).

Usage: ``python bench/sessions.py [--sessions N] [--turns K] [--runs R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from artgen_tui.core.sessions import SessionIndex


def build(root: Path, sessions: int, turns: int) -> None:
    (root / "t").mkdir(parents=True)
    items = {}
    for n in range(sessions):
        sid = f"sess_{n:06d}"
        lines = []
        for k in range(turns):
            prompt = f"make scene {k} of story {n}" + (" with a lighthouse" if n == 7 else "")
            at = 1000.0 + n * 100 + k
            lines.append(json.dumps({"role": "user", "text": prompt, "at": at}))
            reply = {"role": "assistant", "text": "Done: " + "words " * 80, "at": at, "credits": 10}
            lines.append(json.dumps(reply))
        (root / "t" / f"{sid}.jsonl").write_text("\n".join(lines) + "\n")
        items[sid] = {"created": 1000.0 + n, "used": 1000.0 + n}
    index = fresh(root)
    index.path.parent.mkdir(parents=True, exist_ok=True)
    index.path.write_text(json.dumps({"sessions": items}))


def fresh(root: Path) -> SessionIndex:
    return SessionIndex("bench", state_dir=root, transcripts=root / "t", journal=root / "j.json")


def median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.sessions, args.turns)
        cold = median_ms(lambda: fresh(root).sessions(), args.runs)
        kept = fresh(root)
        kept.search("lighthouse")
        warm = median_ms(lambda: kept.search("lighthouse"), args.runs)
    result = {
        "sessions": args.sessions,
        "turns": args.turns,
        "cold_list_ms": round(cold, 1),
        "warm_search_ms": round(warm, 1),
        "ratio": round(warm / cold, 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>15}  {value}")


if __name__ == "__main__":
    main()
