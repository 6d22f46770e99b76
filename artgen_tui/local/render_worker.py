"""A render worker process: ``python -m artgen_tui.local.render_worker SPEC.json``.

It talks to the backend only through files next to the job: ``<id>.progress`` (an integer percent,
rewritten as it changes), ``<id>.cancel`` (exists = stop), and ``<id>.result.json`` (the outcome).
The output is written to ``<id>.part.mp4`` and renamed to ``<id>.mp4`` only when complete.
Kept free of heavy imports so the process starts fast; the renderer is imported inside.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

NICE = 19
"""How much the worker lowers its priority: a render uses every core it gets, and the backend's
event loop (and the app around it) must stay responsive while one or two run."""


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def _jsonable(info: Any) -> Any:
    if dataclasses.is_dataclass(info) and not isinstance(info, type):
        info = dataclasses.asdict(info)
    try:
        return json.loads(json.dumps(info, default=str))
    except (TypeError, ValueError):
        return str(info)


def run(spec: dict[str, Any]) -> None:
    """Render ``spec["draft"]`` to ``spec["out"]``; always leaves a result file behind."""
    out = Path(spec["out"])
    part = out.with_name(out.stem + ".part.mp4")
    progress_file = Path(spec["progress_file"])
    cancel_file = Path(spec["cancel_file"])
    result_file = Path(spec["result_file"])
    last = -1

    def progress(fraction: float) -> None:
        nonlocal last
        pct = int(max(0.0, min(1.0, float(fraction))) * 100)
        if pct != last:
            last = pct
            _write(progress_file, str(pct))

    def should_cancel() -> bool:
        return cancel_file.exists()

    result: dict[str, Any]
    try:
        from artgen_tui.local.render import render_draft

        assets = {key: Path(value) for key, value in spec.get("assets", {}).items()}
        info = render_draft(
            spec["draft"],
            part,
            canvas=spec.get("canvas"),
            output=spec.get("output"),
            assets=assets,
            progress=progress,
            should_cancel=should_cancel,
        )
        if should_cancel():
            result = {"ok": False, "cancelled": True}
        elif not part.exists() or part.stat().st_size == 0:
            result = {"ok": False, "error": "the renderer produced no output file"}
        else:
            os.replace(part, out)
            result = {"ok": True, "info": _jsonable(info)}
    except BaseException as exc:  # report every failure, including a missing renderer
        result = {
            "ok": False,
            "cancelled": should_cancel(),
            "error": f"{type(exc).__name__}: {exc}",
        }
    finally:
        part.unlink(missing_ok=True)
    _write(result_file, json.dumps(result))


def _lower_priority() -> None:
    """Before any thread starts (threads inherit it): the encoder's and the frame producer's."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(NICE)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m artgen_tui.local.render_worker SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text("utf-8"))
    _lower_priority()
    run(spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
