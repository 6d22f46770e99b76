"""An export in the real app, in tmux, as a new user sees it: the frame strip after the download,
then the same result re-exported from the Library (F4, e). Waits poll the screen with deadlines."""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from test_tui_tmux import Tmux, _app_env

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.timeout(300),  # several steps of up to a minute each on a busy machine
]

STRIP_ROW = re.compile(r"(▀{6,} ){3,}▀{6,}")
"""A row of the half-block strip: several frames of upper-half blocks side by side."""


def strip_rows(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if STRIP_ROW.search(line)]


def wait_screen(tmux: Tmux, check: object, what: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = tmux.screen()
        if callable(check) and check(text):
            return text
        time.sleep(0.25)
    raise AssertionError(f"never saw {what}; the screen was:\n{text}")


def saved_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mp4"))


def test_an_export_shows_its_frame_strip_and_the_library_reexports_it(tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    env = _app_env(tmp_path / "home")
    env.update(ARTGEN_OUTPUT_DIR=str(videos), ARTGEN_GRAPHICS="halfblock")
    tmux = Tmux(f"artgen-test-lib-{id(tmp_path)}", env)
    tmux.run(
        "new-session", "-d", "-s", "artgen", "-x", "120", "-y", "40",
        f"{sys.executable} -m artgen_tui --local",
    )  # fmt: skip
    try:
        tmux.wait_for("Ready", "credits 500 available", timeout=60)
        tmux.type("generate a neon city at night, 2 seconds")
        tmux.keys("Enter")
        tmux.wait_for("is ready", "City At Night", timeout=60)

        tmux.keys("F6")
        # The row's strip in Exports can come before the chat's: wait for the chat's title.
        wait_screen(
            tmux,
            lambda s: (  # the chat's "saved to" line may already be scrolled above the strip
                "✓ saved" in s
                and re.search(r"Export render_\w+ · ", s)
                and len(strip_rows(s)) >= 3
                and len(saved_files(videos)) == 1
            ),
            "the export's strip in the chat (its title and several rows of half-blocks)",
        )
        first = saved_files(videos)[0]

        tmux.keys("F4")
        tmux.wait_for("Library · every result", "Re-export", timeout=30)
        tmux.keys("e")
        tmux.wait_for("Same as before (", timeout=30)
        tmux.keys("Enter")
        wait_screen(
            tmux,
            lambda s: "Re-export render_" in s and len(saved_files(videos)) == 2,
            "the re-export saved",
        )
        second = next(p for p in saved_files(videos) if p != first)
        assert first.exists() and second.name != first.name
        wait_screen(
            tmux,
            lambda s: f"{second.stem[-8:]}" in s and len(strip_rows(s)) >= 3,
            "the re-export's strip",
        )
    finally:
        tmux.run("kill-server", check=False)
