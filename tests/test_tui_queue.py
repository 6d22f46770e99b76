"""Typing while a turn runs: read-only commands answer at once, the rest waits its turn."""

from __future__ import annotations

import json
from pathlib import Path

from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    notices,
    send,
    settings_for,
    users,
    wait_until,
)

from artgen_tui.core.intents import route
from artgen_tui.core.queue import QUEUED_LABEL, PromptQueue, runs_while_busy
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.library import LibraryScreen
from artgen_tui.tui.widgets.queue_bar import QueueBar

SIZE = (120, 40)
GENERATE = "a futuristic city at sunset, cinematic, 10 seconds"
EDIT = 'add title "Neon Nights"'


def server_turns(backend: Path) -> int:
    """Turns the local backend started, over all its sessions (its own records)."""
    return sum(
        int(json.loads(p.read_text()).get("turns") or 0)
        for p in (backend / "sessions").glob("*.json")
    )


def test_the_rule_read_only_intents_run_while_busy() -> None:
    for text in ("credits", "状态", "/status", "/help", "/library", "余额"):
        assert runs_while_busy(route(text)), text
    # A quick preview renders the timeline the turn is still changing: paid work, so it waits.
    for text in (EDIT, "export", "/upload a.png", "/new", "/sessions", "upload", "preview", "预览"):
        assert not runs_while_busy(route(text)), text


def test_the_queue_keeps_order_and_drops_the_newest() -> None:
    queue = PromptQueue()
    for text in ("one", "two", "three"):
        queue.add(text)
    assert queue.pop_newest() == "three"
    assert queue.take(5) is None and queue.take(0) == "one"
    assert queue.next() == "two" and queue.next() is None and queue.pop_newest() is None


async def test_credits_mid_turn_answers_at_once_and_an_edit_waits_then_goes_once(
    tmp_path: Path,
) -> None:
    backend = tmp_path / "backend"
    with local_backend(backend, stage_delay=0.6, silent_close_rate=0.0) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            assert app.turn_running
            await send(pilot, app, "credits")
            await wait_until(
                pilot, lambda: any(n.startswith("Credits:") for n in notices(app)), 10, "credits"
            )
            assert app.turn_running, "credits must answer while the turn still runs"
            await send(pilot, app, EDIT)
            bar = app.main.query_one(QueueBar)
            assert app.queue_flow.queue.items == [EDIT]
            assert bar.display and QUEUED_LABEL in str(bar.get_option_at_index(0).prompt)
            assert app.prompt.value == ""
            assert server_turns(backend) == 1, "a queued message is not sent"
            await wait_until(pilot, lambda: users(app).count(EDIT) == 1, 60, "the queued edit")
            await finish_turn(pilot, app)
            assert not app.queue_flow.queue and not bar.display
            assert server_turns(backend) == 2
            assert users(app).count(EDIT) == 1


async def test_library_mid_turn_opens_at_once_and_a_preview_waits(tmp_path: Path) -> None:
    """A slow agent (3 s a stage): the turn surely runs all along."""
    backend = tmp_path / "backend"
    with local_backend(backend, stage_delay=3.0, silent_close_rate=0.0) as url:
        settings = settings_for(url, output_dir=tmp_path / "videos")
        app = make_app(url, settings=settings, journal_path=tmp_path / "jobs.json")
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await send(pilot, app, "preview")
            assert app.queue_flow.queue.items == ["preview"], "a quick preview waits its turn"
            await send(pilot, app, "/library")
            await wait_until(
                pilot, lambda: isinstance(app.screen, LibraryScreen), 10, "the Library"
            )
            assert app.turn_running, "the Library opens while the turn still runs"
            assert app.queue_flow.queue.items == ["preview"]
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, LibraryScreen), 5, "close")
            assert app.queue_flow.queue.items == ["preview"]
            assert server_turns(backend) == 1


async def test_esc_cancels_the_turn_first_then_drops_the_newest_queued(tmp_path: Path) -> None:
    backend = tmp_path / "backend"
    with local_backend(backend, stage_delay=0.6, silent_close_rate=0.0) as url:
        settings = settings_for(url, cancel={"watch_seconds": 1.5, "poll_seconds": 0.3})
        app = make_app(url, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await send(pilot, app, "make it brighter")
            await send(pilot, app, "make it darker")
            assert app.queue_flow.queue.items == ["make it brighter", "make it darker"]
            await pilot.press("escape")
            assert not app.turn_running
            assert len(app.queue_flow.queue) == 2, "the first Esc cancels the turn"
            app.prompt.clear()
            await pilot.press("escape")
            assert app.queue_flow.queue.items == ["make it brighter"]
            await wait_until(
                pilot, lambda: "make it brighter" in users(app), 30, "the queue after the watch"
            )
            await finish_turn(pilot, app)
            assert "make it darker" not in users(app)


async def test_a_message_typed_during_the_watch_goes_after_those_already_queued(
    tmp_path: Path,
) -> None:
    with local_backend(tmp_path / "backend", stage_delay=0.6, silent_close_rate=0.0) as url:
        settings = settings_for(url, cancel={"watch_seconds": 2.0, "poll_seconds": 0.3})
        app = make_app(url, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await send(pilot, app, "make it brighter")
            await pilot.press("escape")
            assert not app.turn_running and app.queue_flow.watching
            app.prompt.clear()
            await send(pilot, app, "make it darker")
            assert not isinstance(app.screen, ConfirmScreen), "it waits its turn: nothing to ask"
            assert app.queue_flow.queue.items == ["make it brighter", "make it darker"]
            await wait_until(pilot, lambda: "make it darker" in users(app), 90, "both sent")
            await finish_turn(pilot, app)
            sent = users(app)
            assert sent.index("make it brighter") < sent.index("make it darker")
            assert not app.queue_flow.queue


async def test_a_queued_message_goes_back_to_the_prompt_when_picked(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", stage_delay=0.6, silent_close_rate=0.0) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await send(pilot, app, EDIT)
            bar = app.main.query_one(QueueBar)
            bar.focus()
            bar.highlighted = 0
            await pilot.press("enter")
            await pilot.pause()
            assert app.prompt.value == EDIT
            assert not app.queue_flow.queue and not bar.display
