"""What keeps the screen's layouts few and cheap over a long session (issue 9).

Every layout of a Textual screen walks every mounted widget, so the chat's plain entries are one
widget each, and status bar parts whose width does not change are repainted without a layout.
``_layout_updates`` is Textual's own count of the layouts a widget has asked for."""

from __future__ import annotations

import pytest
import textual.constants
from textual.app import App, ComposeResult
from textual.widgets import Static

from artgen_tui.tui.widgets.chat_log import ChatLog, Notice, UserMessage
from artgen_tui.tui.widgets.status_bar import StatusBar


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


class ChatHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog(max_mounted=20)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class StatusHost(App[None]):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(self.clock)


async def test_plain_chat_entries_are_one_widget_each_and_show_their_text() -> None:
    app = ChatHost()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(ChatLog)
        user = await log.add_user("a neon city\nat night")
        notice = await log.add_notice("Rendering…", "marker")
        await pilot.pause()
        assert isinstance(user, UserMessage) and isinstance(notice, Notice)
        assert not user.children and not notice.children
        assert str(user.render()) == "a neon city\nat night"
        assert user.region.height == 2 and notice.region.height == 1
        user.collapse()
        await pilot.pause()
        assert user.collapsed and not user.children
        assert user.region.height == 2
        assert [m.text for m in log.messages()] == ["a neon city\nat night", "Rendering…"]


async def test_a_status_part_is_laid_out_again_only_when_its_width_changes() -> None:
    clock = FakeClock()
    app = StatusHost(clock)
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(StatusBar)
        elapsed = bar.query_one("#status-elapsed", Static)
        connection = bar.query_one("#status-connection", Static)
        bar.start_timer()
        await pilot.pause()
        layouts = elapsed._layout_updates
        width = elapsed.region.width

        clock.now += 7
        bar._show_elapsed()
        await pilot.pause()
        assert str(elapsed.render()) == "⏱ 0:07"
        assert elapsed._layout_updates == layouts  # repainted, not laid out
        assert elapsed.region.width == width

        clock.now += 600
        bar._show_elapsed()
        await pilot.pause()
        assert str(elapsed.render()) == "⏱ 10:07"
        assert elapsed._layout_updates > layouts  # one character wider: laid out
        assert elapsed.region.width == width + 1

        # The connection part takes what is left of the bar: its text never moves the others.
        layouts = connection._layout_updates
        bar.set_connection("busy", "Working on a much longer description…")
        await pilot.pause()
        assert connection._layout_updates == layouts
        assert "much longer description" in str(connection.render())
