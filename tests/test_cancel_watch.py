"""Honest cancel: stopping the stream does not stop the agent, so the faces keep watching."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_run import interruptible
from tui_helpers import local_backend, make_app, notices, send, settings_for, wait_until

from artgen_tui.config import load_settings
from artgen_tui.core import conversation as conv
from artgen_tui.core.watch import CreditsMoved, StateMoved, WatchDone, watch_after_cancel
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.turn_flow import BACK_ABOVE

SIZE = (120, 40)
GENERATE = "a futuristic city at sunset, cinematic, 10 seconds"


async def test_the_watch_sees_the_cancelled_turn_finish_and_charge(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", stage_delay=0.4, silent_close_rate=0.0) as url:
        async with Workspace(load_settings(api_url=url)) as ws:
            await ws.ready()
            before = await ws.credits()
            turn = conv.run_turn(ws, GENERATE)
            async for event in turn:
                if isinstance(event, conv.ToolActivity):
                    break  # The reader stops here, as Esc does; the server goes on.
            await turn.aclose()
            seen = [e async for e in watch_after_cancel(ws, seconds=30, poll=0.2, credits=before)]
    moved = [e for e in seen if isinstance(e, StateMoved)]
    charged = [e for e in seen if isinstance(e, CreditsMoved)]
    assert moved and not moved[-1].diff.empty
    assert charged and charged[-1].charged > 0
    done = seen[-1]
    assert isinstance(done, WatchDone) and done.changed and done.charged == charged[-1].charged
    assert f"cost {done.charged} credits" in done.sentence


async def test_the_watch_ends_after_its_window_when_nothing_moves(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend") as url:
        async with Workspace(load_settings(api_url=url)) as ws:
            await ws.ready()
            seen = [e async for e in watch_after_cancel(ws, seconds=0.5, poll=0.1)]
    assert seen == [WatchDone(False, 0)]
    assert seen[0].sentence == "Nothing changed on the server after the cancel."


async def test_esc_mid_generation_reports_the_finished_change_and_asks_before_resending(
    tmp_path: Path,
) -> None:
    with local_backend(tmp_path / "backend", stage_delay=0.5, silent_close_rate=0.0) as url:
        settings = settings_for(url, cancel={"watch_seconds": 30, "poll_seconds": 0.3})
        app = make_app(url, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await wait_until(pilot, lambda: app.credits.last is not None, 10, "credits")
            start = app.credits.last
            assert start is not None
            await send(pilot, app, GENERATE)
            await pilot.pause(0.3)
            await pilot.press("escape")
            await pilot.pause()
            assert app.prompt.value == GENERATE
            assert any("may still finish on the server" in n for n in notices(app))
            assert app.queue_flow.watching
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen), "re-sending in the window asks first"
            await pilot.press("n")
            await pilot.pause()
            assert not app.turn_running and app.prompt.value == GENERATE, "No sends nothing"
            await wait_until(
                pilot,
                lambda: any(n.startswith("After the cancel: Timeline") for n in notices(app)),
                30,
                "the finished change",
            )
            await wait_until(pilot, lambda: not app.queue_flow.watching, 30, "the watch to end")
            assert any("finished on the server and cost" in n for n in notices(app))
            last = app.credits.last
            assert last is not None and last.total < start.total
            assert app.timeline.row_count > 0
            assert not app.turn_running


async def test_esc_keeps_what_was_typed_meanwhile_below_the_cancelled_message(
    tmp_path: Path,
) -> None:
    with local_backend(tmp_path / "backend", stage_delay=1.0, silent_close_rate=0.0) as url:
        settings = settings_for(url, cancel={"watch_seconds": 0.5, "poll_seconds": 0.2})
        app = make_app(url, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await send(pilot, app, GENERATE)
            assert app.turn_running
            await pilot.press(*"and then", "ctrl+j", *"rain")  # typed, not sent
            await pilot.press("escape")
            await pilot.pause()
            assert not app.turn_running
            assert app.prompt.value == f"{GENERATE}\n\nand then\nrain"
            assert app.prompt.cursor_location == app.prompt.document.end
            await wait_until(
                pilot, lambda: any(BACK_ABOVE in n for n in notices(app)), 5, "the notice"
            )


def test_ctrl_c_during_chat_says_what_to_check(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", stage_delay=1.0) as url:
        env = {**os.environ, "NEMO_API_URL": url}
        proc = subprocess.Popen(
            [sys.executable, "-m", "artgen_tui", "chat", GENERATE, "--no-json", "--yes"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=interruptible,
        )
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "may still finish on the server" in err
    assert "artgen state" in err and "artgen credits" in err
