"""A long session keeps a bounded number of chat messages mounted; scrolling back brings the
earliest ones back. Driven with Pilot against a real local backend (cheap local turns)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual.app import App, ComposeResult
from tui_helpers import finish_turn, local_backend, make_app, send, settings_for, wait_ready

from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.widgets.chat_log import ChatLog, ChatMessage, MoreMessages, UserMessage

SIZE = (100, 30)
BOUND = 20
FIRST = "/bench-stream 3"


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def backend(tmp_path: Path) -> object:
    with local_backend(tmp_path / "backend") as url:
        yield url


def visible(log: ChatLog, widget: ChatMessage) -> bool:
    """The widget is mounted and at least one of its lines is inside the log's view."""
    return widget.is_attached and bool(widget.region.intersection(log.content_region).area)


async def settle(pilot: Any, done: Callable[[], bool]) -> None:
    """Wait until a page load started by a scroll has finished and ``done()`` holds (the view
    moved off the edge it was scrolled to).

    Fixed pauses are not enough on a loaded machine: the paging worker and the scroll that
    follows it (``call_after_refresh``) may each need several turns of the loop."""
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if done():
            return
    log = pilot.app.query_one(ChatLog)
    raise AssertionError(
        f"the chat never settled after a page load: window {log.mounted_window},"
        f" y {log.scroll_y}/{log.max_scroll_y}"
    )


async def scroll_to_earliest(pilot: Any, log: ChatLog) -> int:
    """Scroll to the top until nothing earlier is left to load; returns the pages it took."""
    pages = 0
    while log.mounted_window[0] > 0:
        pages += 1
        assert pages < 20, "scrolling back never reached the first message"
        before = log.mounted_window
        log.scroll_home(animate=False, immediate=True)
        await settle(pilot, lambda: log.scroll_y > 0 or log.mounted_window[0] == 0)
        assert log.mounted_window != before, "scrolling to the top loaded nothing earlier"
    log.scroll_home(animate=False, immediate=True)
    await pilot.pause()
    return pages


async def test_many_turns_keep_the_chat_bounded_and_scrolling_back_remounts_the_first(
    backend: str,
) -> None:
    app = make_app(backend, settings=settings_for(backend, chat_max_messages=BOUND))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        log = app.chat
        assert log.max_mounted == BOUND
        await send(pilot, app, FIRST)
        await finish_turn(pilot, app)
        most = 0
        for i in range(24):
            await send(pilot, app, ("/credits", "/status", "/bench-stream 5")[i % 3])
            await finish_turn(pilot, app)
            await pilot.pause(0.05)
            most = max(most, len(log.messages()))
            assert len(log.children) <= log.mount_limit + 2  # the markers aside
        entries = log.entries
        assert len(entries) > 2 * log.mount_limit  # the bound was reached more than twice over
        assert most <= log.mount_limit
        assert entries[0].kind == "user" and entries[0].text == FIRST
        assert FIRST not in [m.text for m in log.messages()]  # unmounted, its data kept
        assert log.children[0].__class__ is MoreMessages

        pages = await scroll_to_earliest(pilot, log)
        assert pages >= 2
        first = next(m for m in log.messages() if isinstance(m, UserMessage))
        assert first.text == FIRST
        await settle(pilot, lambda: visible(log, first))  # laid out on screen, however loaded
        assert not log.query(MoreMessages).filter(".-earlier")
        assert len(log.children) <= log.mount_limit + 2  # the newest were unmounted instead

        # A new message brings the window back to the tail, with the message on screen.
        await send(pilot, app, "/credits")
        await pilot.pause(0.2)
        assert log.mounted_window[1] == len(log.entries)
        last_user = [m for m in log.messages() if isinstance(m, UserMessage)][-1]
        assert last_user.text == "/credits"
        assert len(log.children) <= log.mount_limit + 2


class ChatHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog(max_mounted=20)


async def test_scrolling_down_after_scrolling_back_returns_to_the_newest() -> None:
    app = ChatHost()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(ChatLog)
        for i in range(80):
            await log.add_user(f"message {i}")
        # The log follows the newest: wait until that scroll has landed, or scrolling home
        # from a view still at 0 would be no scroll at all.
        await settle(pilot, lambda: log.max_scroll_y > 0 and log.is_vertical_scroll_end)
        assert len(log.messages()) <= log.mount_limit
        await scroll_to_earliest(pilot, log)
        assert log.messages()[0].text == "message 0"
        assert "message 79" not in [m.text for m in log.messages()]
        for _ in range(20):
            if log.mounted_window[1] == 80:
                break
            log.scroll_end(animate=False, immediate=True)
            await settle(
                pilot,
                lambda: log.scroll_y < log.max_scroll_y or log.mounted_window[1] == 80,
            )
            assert len(log.messages()) <= log.mount_limit
        assert log.messages()[-1].text == "message 79"
        assert not log.query(MoreMessages).filter(".-later")


async def test_frame_strips_count_against_the_bound_and_come_back_on_scroll() -> None:
    from PIL import Image

    from artgen_tui.tui.widgets.strip import StripMessage

    frames = [Image.new("RGB", (32, 18), (200, 40 * i, 90)) for i in range(5)]
    app = ChatHost()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(ChatLog)
        first = await log.add_widget(lambda: StripMessage(Path("/v/a.mp4"), "Export a", frames))
        for i in range(60):
            await log.add_user(f"message {i}")
        await settle(pilot, lambda: log.max_scroll_y > 0 and log.is_vertical_scroll_end)
        assert not first.is_attached  # unmounted with the oldest page, not kept for ever
        assert not log.query(StripMessage)
        assert len(log.children) <= log.mount_limit + 2
        await scroll_to_earliest(pilot, log)
        again = log.query_one(StripMessage)
        assert again is not first and again.path == Path("/v/a.mp4") and again.frames == frames
        assert log.entries[0].widget is again


async def test_a_cancelled_turn_takes_its_entries_back(backend: str) -> None:
    app: ArtgenApp = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "/bench-stream 200000")
        await pilot.pause(0.2)
        app.action_cancel_turn()
        await pilot.pause(0.2)
        assert [e.text for e in app.chat.entries if e.kind == "user"] == []
        assert app.prompt.value == "/bench-stream 200000"


async def test_clicking_the_earlier_messages_line_loads_a_page() -> None:
    app = ChatHost()
    async with app.run_test(size=(60, 40)) as pilot:
        log = app.query_one(ChatLog)
        for i in range(30):
            await log.add_user(f"message {i}")
        await pilot.pause()
        assert log.max_scroll_y == 0  # everything mounted fits: there is nothing to scroll
        first = log.mounted_window[0]
        assert first > 0
        await pilot.click(MoreMessages)
        await pilot.pause()
        assert log.mounted_window[0] < first
        assert len(log.messages()) <= log.mount_limit


def test_turn_after_turn_still_runs_the_full_collection_once_frozen_garbage_grows() -> None:
    import gc

    from artgen_tui.tui import gc_policy

    before = gc.get_threshold()
    policy = gc_policy.CollectorPolicy()
    try:
        policy.startup_done()
        policy.turn_started()
        policy.turn_finished()
        assert policy.full_collections == 0  # nothing much was frozen by that turn
        policy.turn_started()
        garbage = [[n] for n in range(gc_policy.FULL_COLLECT_MIN + gc.get_freeze_count())]
        for item in garbage:
            item.append(item)  # cycles: only a full collection reclaims them once frozen
        policy.turn_finished()  # they outlive the turn: frozen, and enough for a full collection
        assert policy.full_collections == 1
        frozen = gc.get_freeze_count()
        del garbage, item  # dead now, but frozen
        policy.turn_started()
        kept = [[n] for n in range(int(gc_policy.FULL_COLLECT_GROWTH * frozen) + 1000)]
        kept += [[n] for n in range(gc_policy.FULL_COLLECT_MIN)]
        policy.turn_finished()
        assert policy.full_collections == 2
        assert gc.get_freeze_count() < frozen + len(kept) - gc_policy.FULL_COLLECT_MIN  # reclaimed
        policy.turn_started()
        policy.turn_finished()
        assert policy.full_collections == 2  # nothing much frozen since
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
