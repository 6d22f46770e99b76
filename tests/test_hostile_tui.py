"""The app against a hostile server: what it draws never carries a control sequence.

Pilot tests read what the app would put on the terminal (every widget's rendered lines and the
exported screenshot); the tmux test runs the real app in a real terminal and reads the pane with
``capture-pane -e`` and the pane title (an OSC 2 in a reply would rename it "pwned").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileProxy, hostile, raw_controls
from textual.geometry import Region
from tui_helpers import finish_turn, local_backend, make_app, send, wait_ready, wait_until

from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.widgets.chat_log import Notice, Reply
from artgen_tui.tui.widgets.timeline_table import TimelineTable

SIZE = (120, 40)


def drawn(app: ArtgenApp) -> str:
    """Every line every visible widget renders, as the terminal would receive its text."""
    parts: list[str] = []
    for screen in app.screen_stack:
        for widget in screen.walk_children():
            width, height = widget.size
            if not width or not height:
                continue
            strips = widget.render_lines(Region(0, 0, width, height))
            parts.extend(seg.text for strip in strips for seg in strip)
    parts.append(app.export_screenshot())
    return "".join(parts)


def assert_clean(app: ArtgenApp) -> str:
    text = drawn(app)
    assert not raw_controls(text), raw_controls(text)
    assert "pwned" not in text or "]2;pwned" not in text
    return text


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[HostileProxy]:
    with local_backend(tmp_path / "backend") as upstream, hostile(upstream) as running:
        yield running


async def test_escapes_in_replies_markers_timeline_and_errors_are_not_drawn(
    proxy: HostileProxy,
) -> None:
    proxy.set_modes("escapes")
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, 'add title "Hello"')
        await finish_turn(pilot, app)
        await pilot.pause(0.2)
        replies = [m for m in app.chat.messages() if isinstance(m, Reply)]
        assert replies and replies[-1].text.strip(), "no reply was drawn"
        assert not raw_controls(replies[-1].text)
        markers = [m.text for m in app.chat.messages() if isinstance(m, Notice)]
        assert all(not raw_controls(m) for m in markers)
        table = app.query_one(TimelineTable)
        await wait_until(pilot, lambda: table.row_count > 0, 20, "timeline rows")
        assert_clean(app)


async def test_a_30_mb_message_and_deep_nesting_show_a_short_clean_error(
    proxy: HostileProxy,
) -> None:
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        for mode in ("huge-message", "nesting", "html-sse", "cut-sse"):
            proxy.set_modes(mode)
            await send(pilot, app, "make it longer")
            await finish_turn(pilot, app)
            await pilot.pause(0.2)
            text = assert_clean(app)
            assert len(text) < 2_000_000
            notices = " ".join(m.text for m in app.chat.messages() if isinstance(m, Notice))
            assert "Unexpected error" not in notices, notices
            assert all(len(m.text) < 10_000 for m in app.chat.messages())
            titles = [getattr(s, "error_title", "") for s in app.screen_stack]
            assert not any("Unexpected" in t for t in titles), titles
            while len(app.screen_stack) > 1:
                app.pop_screen()
                await pilot.pause()


async def test_absurd_numbers_and_negative_credits_are_drawn_clamped(
    proxy: HostileProxy,
) -> None:
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, 'add title "Hello"')
        await finish_turn(pilot, app)
        proxy.set_modes("numbers", "negative-credits")
        await send(pilot, app, "make it longer")
        await finish_turn(pilot, app)
        await pilot.pause(0.2)
        text = assert_clean(app)
        assert "credits -" not in text and "inf" not in text.lower().split("infinity")[0]


# --- a real terminal ----------------------------------------------------------------------------


def _tmux(socket: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, *args], env=env, capture_output=True, text=True, timeout=20
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_escapes_in_a_real_terminal_leave_the_pane_and_its_title_alone(
    proxy: HostileProxy, tmp_path: Path
) -> None:
    proxy.set_modes("escapes")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TEXTUAL_THEME")}
    env.update(
        ARTGEN_HOME=str(tmp_path / "home"),
        NEMO_API_URL=proxy.url,
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    socket = f"artgen-hostile-{os.getpid()}"
    run: Any = lambda *args: _tmux(socket, env, *args)  # noqa: E731
    run(
        "new-session",
        "-d",
        "-s",
        "artgen",
        "-x",
        "120",
        "-y",
        "40",
        f"{sys.executable} -m artgen_tui",
    )
    try:
        run("set-option", "-t", "artgen", "allow-rename", "on")
        run("set-option", "-t", "artgen", "set-clipboard", "on")
        deadline = time.monotonic() + 60
        while "Ready" not in run("capture-pane", "-p", "-t", "artgen"):
            assert time.monotonic() < deadline, run("capture-pane", "-p", "-t", "artgen")
            time.sleep(0.2)
        run("send-keys", "-t", "artgen", "-l", 'add title "Hello"')
        run("send-keys", "-t", "artgen", "Enter")
        deadline = time.monotonic() + 90
        while "Hello" not in run("capture-pane", "-p", "-t", "artgen"):
            assert time.monotonic() < deadline, run("capture-pane", "-p", "-t", "artgen")
            time.sleep(0.2)
        time.sleep(2)
        title = run("display-message", "-p", "-t", "artgen", "#{pane_title}")
        assert "pwned" not in title, title
        assert run("show-buffer").strip() != "pwned", "OSC 52 wrote the clipboard"
        screen = run("capture-pane", "-e", "-p", "-t", "artgen")
        assert "]2;" not in screen and "]52;" not in screen and "pwned" not in screen, screen
        assert "\x1b[?1049h" not in screen and "\x1bP" not in screen
    finally:
        run("kill-server")
