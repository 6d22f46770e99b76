"""Work that finds you: the rule, the terminal sequence, the command hook, and the app."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest
from textual import events
from tui_helpers import finish_turn, local_backend, make_app, send, settings_for, wait_until

from artgen_tui.config import NotifySettings
from artgen_tui.core.notify import NotifyEvent, run_hook, should_notify, terminal_sequence
from artgen_tui.tui.notify import TURN_FAILED
from artgen_tui.tui.screens.quit import QuitScreen

SIZE = (120, 40)
GENERATE = "a futuristic city at sunset, cinematic, 4 seconds"
EXPORT = NotifyEvent("export_done", "artgen", "Export r1 is ready.")


@pytest.mark.parametrize(
    ("event", "when", "focused", "rings"),
    [
        (EXPORT, "unfocused", False, True),
        (EXPORT, "unfocused", True, False),
        (EXPORT, "always", True, True),
        (EXPORT, "never", False, False),
        (NotifyEvent("export_failed", "artgen", "x"), "unfocused", False, True),
        (NotifyEvent("batch_done", "artgen", "x"), "unfocused", False, True),
        (NotifyEvent("step", "artgen", "working: x", 99), "always", False, False),
        (NotifyEvent("turn_done", "artgen", "x", 5.0), "always", False, False),
        (NotifyEvent("turn_done", "artgen", "x", 31.0), "unfocused", False, True),
        (NotifyEvent("turn_failed", "artgen", "x", 5.0), "always", False, False),
        (NotifyEvent("turn_failed", "artgen", "x", 31.0), "unfocused", False, True),
    ],
)
def test_which_events_notify(event: NotifyEvent, when: str, focused: bool, rings: bool) -> None:
    settings = NotifySettings.model_validate({"when": when, "after_seconds": 30})
    assert should_notify(event, focused=focused, settings=settings) is rings


def test_the_app_knows_the_same_final_export_statuses_as_core() -> None:
    from artgen_tui.core import jobs
    from artgen_tui.tui import notify

    assert notify.FINAL == jobs.FINAL


def test_the_sequence_is_bell_osc9_osc777_and_server_text_cannot_escape() -> None:
    event = NotifyEvent("export_failed", "artgen", "bad\x1b]52;c;AAAA\x07; done")
    seq = terminal_sequence(event)
    assert seq.startswith("\a\x1b]9;artgen: ")
    assert "\x1b]777;notify;artgen;" in seq
    assert seq.count("\x1b") == 4 and seq.count("\a") == 1  # only our own escapes
    assert "]52" in seq and "\x1b]52" not in seq


async def test_the_hook_gets_the_event_as_json_and_a_slow_hook_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    code = await run_hook(f"cat > '{out}'", EXPORT, timeout=10)
    assert code == 0
    assert json.loads(out.read_text()) == {
        "kind": "export_done",
        "title": "artgen",
        "text": "Export r1 is ready.",
        "elapsed": 0.0,
    }
    assert await run_hook(f"{sys.executable} -c 'import time; time.sleep(30)'", EXPORT, 0.3) is None


async def test_an_export_finishing_while_unfocused_rings_once_and_tool_steps_never(
    tmp_path: Path,
) -> None:
    hook_out = tmp_path / "hook.json"
    with local_backend(tmp_path / "backend", silent_close_rate=0.0) as url:
        settings = settings_for(
            url,
            notify={"when": "unfocused", "after_seconds": 600, "command": f"cat > '{hook_out}'"},
        )
        app = make_app(url, settings=settings)
        written: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            app.notifier.write = written.append
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            app.post_message(events.AppBlur())
            await pilot.pause()
            assert not app.app_focus
            await app.submit(GENERATE)  # No key press: a key means the terminal has focus.
            await finish_turn(pilot, app)
            assert written == [], "a short turn and its tool steps never notify"
            app.action_export()
            await wait_until(
                pilot,
                lambda: any(j.status == "downloaded" for j in app.jobs_panel.jobs),
                120,
                "the export",
            )
            await wait_until(pilot, lambda: hook_out.exists() and hook_out.read_text(), 10, "hook")
            await pilot.pause(0.3)
            assert not app.app_focus
            assert len(written) == 1
            assert written[0].startswith("\a\x1b]9;artgen: Export ")
            assert "is ready" in written[0] and "\x1b]777;notify;artgen;" in written[0]
            event = json.loads(hook_out.read_text())
            assert event["kind"] == "export_done" and event["text"].startswith("Export ")


async def test_a_long_turn_rings_when_it_ends_while_unfocused(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", silent_close_rate=0.0) as url:
        settings = settings_for(url, notify={"when": "unfocused", "after_seconds": 0})
        app = make_app(url, settings=settings)
        written: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            app.notifier.write = written.append
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            await pilot.pause()
            assert written == [], "focused: nothing"
            app.post_message(events.AppBlur())
            await pilot.pause()
            await app.submit('add title "Neon"')
            await finish_turn(pilot, app)
            await pilot.pause()
            assert len(written) == 1 and "The reply is ready." in written[0]


async def test_a_long_turn_that_fails_says_so_and_a_cancelled_one_stays_silent(
    tmp_path: Path,
) -> None:
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import LocalBackend

    options = LocalOptions(stage_delay=1.0, heartbeat_interval=0.05, silent_close_rate=0.0)
    with LocalBackend(tmp_path / "backend", options=options) as backend:
        settings = settings_for(
            backend.url,
            notify={"when": "always", "after_seconds": 0},
            cancel={"watch_seconds": 0.5, "poll_seconds": 0.2},
        )
        app = make_app(backend.url, settings=settings)
        written: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            app.notifier.write = written.append
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await wait_until(pilot, lambda: app.turn_running, 5, "the turn")
            await pilot.pause(0.3)
            await pilot.press("escape")  # the user stops it: they know, nothing rings
            await wait_until(pilot, lambda: not app.queue_flow.watching, 10, "the watch")
            await pilot.pause(0.3)
            assert written == []
            backend.stop()  # the service goes away: the next turn fails
            app.prompt.clear()
            await send(pilot, app, "add music")
            await wait_until(pilot, lambda: written, 60, "the failed turn's notification")
            await finish_turn(pilot, app)
            assert len(written) == 1 and TURN_FAILED in written[0]
            assert "The reply is ready." not in written[0]


async def test_quitting_with_an_export_running_asks_and_stay_keeps_the_app(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", silent_close_rate=0.0) as url:
        # Polled rarely, the export stays unfinished as far as the app knows.
        app = make_app(url, settings=settings_for(url, render_poll_interval=60))
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            app.action_export()
            await wait_until(pilot, lambda: app.jobs_panel.jobs, 30, "the export to start")
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, QuitScreen)
            assert "resume the next time" in app.screen.query_one("#quit-question").render().plain
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, QuitScreen) and app.is_running
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("c")
            await wait_until(
                pilot, lambda: app.jobs_panel.jobs[0].status == "cancelled", 10, "cancelled"
            )


async def test_a_batch_ending_while_unfocused_rings(tmp_path: Path) -> None:
    from artgen_tui.tui.messages import BatchFinished

    with local_backend(tmp_path / "backend") as url:
        settings = settings_for(url, notify={"when": "unfocused"})
        app = make_app(url, settings=settings)
        written: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            app.notifier.write = written.append
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            app.post_message(events.AppBlur())
            await pilot.pause()
            app.post_message(BatchFinished(2, 3))
            await pilot.pause()
            assert len(written) == 1 and "2 of 3 done, 1 failed" in written[0]
            assert "\x07" in written[0] and "\x1b]9;" in written[0]


async def test_quitting_during_a_batch_asks_first_and_says_how_it_resumes(tmp_path: Path) -> None:
    import asyncio

    from artgen_tui.tui.screens.confirm import ConfirmScreen

    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            app.run_worker(asyncio.sleep(30), group="batch")  # a batch still running
            await pilot.pause()
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "question")
            assert isinstance(app.screen, ConfirmScreen)
            assert "running the same batch again" in app.screen.question
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, ConfirmScreen)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.timeout(300)  # several steps of up to a minute each on a busy machine
def test_in_a_real_terminal_an_export_rings_once_and_the_turn_never(tmp_path: Path) -> None:
    """The bytes the app really writes to its terminal (tmux's pipe-pane copies the pane's
    output): one bell and one OSC 9 / OSC 777 pair, for the finished export only."""
    from test_tui_tmux import Tmux, _app_env

    raw = tmp_path / "pane.raw"
    videos = tmp_path / "videos"
    env = _app_env(tmp_path / "home")
    env.update(
        ARTGEN_OUTPUT_DIR=str(videos),
        ARTGEN_NOTIFY__WHEN="always",  # the pane's focus does not matter
        ARTGEN_NOTIFY__AFTER_SECONDS="600",  # the turn is short: it must not ring
    )
    tmux = Tmux(f"artgen-test-notify-{id(tmp_path)}", env)
    tmux.run(
        "new-session", "-d", "-s", "artgen", "-x", "120", "-y", "40",
        f"{sys.executable} -m artgen_tui --local",
    )  # fmt: skip
    try:
        tmux.wait_for("Ready", "credits 500 available", timeout=60)
        tmux.run("pipe-pane", "-o", "-t", "artgen", f"cat >> '{raw}'")
        tmux.type("generate a neon city at night, 2 seconds")
        tmux.keys("Enter")
        tmux.wait_for("is ready", "City At Night", timeout=60)  # tool steps shown, then done
        time.sleep(0.5)
        written = raw.read_bytes()
        assert b"\x1b]9;" not in written and b"\x1b]777;" not in written, "steps never ring"
        assert b"\a" not in written
        tmux.keys("F6")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(videos.glob("*.mp4")):
            time.sleep(0.25)
        assert list(videos.glob("*.mp4")), "the export was saved"
        tmux.wait_for("saved to", timeout=20)
        time.sleep(1.0)  # the ring comes with the download's end; anything more would come now
        written = raw.read_bytes()
        assert written.count(b"\a") == 1
        assert written.count(b"\x1b]9;artgen: Export ") == 1
        assert written.count(b"\x1b]777;notify;artgen;Export ") == 1
        start = written.index(b"\a\x1b]9;artgen: Export ")
        sequence = written[start : written.index(b"\x1b\\", written.index(b"]777;", start))]
        assert b" is ready" in sequence and str(videos).encode() in sequence
    finally:
        tmux.run("kill-server", check=False)
