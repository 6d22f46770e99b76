"""Regenerate the SVG screenshots of the app's main states into ``screenshots/``.

Uses the canned scenes of :mod:`artgen_tui.tui.demo` (frozen clocks, fixed data), so the files
only change when the UI does. Usage: ``python scripts/screenshots.py [SCENE...]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"


def scenes() -> dict[str, Any]:
    from artgen_tui.tui.demo import SCENES
    from artgen_tui.tui.demo_media import MEDIA_SCENES

    return {**SCENES, **MEDIA_SCENES}


async def shoot(name: str) -> Path:
    from artgen_tui.tui.demo import demo_app

    scene, size = scenes()[name]
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await scene(pilot)
        await pilot.pause()
        path = OUT / f"{name}.svg"
        app.save_screenshot(str(path))
    return path


def main(argv: list[str]) -> int:
    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    os.environ.pop("NO_COLOR", None)
    sys.path.insert(0, str(ROOT))
    from textual.widgets import Input

    SCENES = scenes()
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    names = argv or list(SCENES)
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        print(f"Unknown scene(s): {', '.join(unknown)}. Choose from: {', '.join(SCENES)}")
        return 2
    OUT.mkdir(exist_ok=True)
    for name in names:
        print(asyncio.run(shoot(name)).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
