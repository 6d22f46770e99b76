"""Sessions in the app, driven with Pilot against a real local backend: the F3 screen (switch,
search, rename, delete, export), ``--session`` / ``--new-session``, F10 asking first,
``/export-chat``, restored transcripts, and a snapshot of the screen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual.widgets import Input, Static
from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    notices,
    send,
    settings_for,
    users,
    wait_ready,
    wait_until,
)

from artgen_tui.api.models import SessionState
from artgen_tui.core import conversation as conv
from artgen_tui.core import timeline
from artgen_tui.core.history import Transcript
from artgen_tui.core.sessions import SessionIndex, short_id
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.keys import key_display
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.rename import InputDialog
from artgen_tui.tui.screens.sessions import SessionsScreen
from artgen_tui.tui.session_flow import NEW_SESSION_QUESTION
from artgen_tui.tui.welcome import GREETING, Welcome

PROMPTS = (
    "generate a lighthouse in a violet storm, 2 seconds",
    "generate a calm ocean at dawn, 4 seconds",
    "generate a neon city at night, 6 seconds",
)
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[str]:
    with local_backend(tmp_path / "backend") as url:
        yield url


async def three_sessions(url: str) -> list[tuple[str, SessionState]]:
    """Three sessions with one generation each: (id, the state the server has)."""
    made = []
    async with Workspace(settings_for(url)) as ws:
        for prompt in PROMPTS:
            await ws.ready(new=True)
            async for event in conv.run_turn(ws, prompt):
                if isinstance(event, conv.TurnDone):
                    assert event.state is not None
                    made.append((ws.session_id, event.state))
    return made


def shown_rows(app: ArtgenApp) -> list[Any]:
    state = app.timeline.state
    return timeline.rows(state.draft) if state is not None else []


async def open_sessions(pilot: Any, app: ArtgenApp) -> SessionsScreen:
    await pilot.press(app.key_of("sessions"))
    await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen), 5, "the screen")
    screen = app.screen
    assert isinstance(screen, SessionsScreen)
    await pilot.pause()
    return screen


async def choose(pilot: Any, screen: SessionsScreen, session_id: str) -> None:
    """Move the table's cursor to ``session_id`` and press Enter."""
    ids = [hit.record.session_id for hit in screen.hits]
    screen.table.focus()
    screen.table.move_cursor(row=ids.index(session_id))
    await pilot.pause()
    await pilot.press("enter")


async def test_switching_between_three_sessions(backend: str) -> None:
    made = await three_sessions(backend)
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None and app.ws.session_id == made[-1][0]
        assert users(app) == [PROMPTS[2]]
        assert short_id(made[-1][0]) in app.status.session_label
        for index in (0, 1, 2, 0):
            session_id, state = made[index]
            screen = await open_sessions(pilot, app)
            assert len(screen.hits) == 3
            await choose(pilot, screen, session_id)
            await wait_until(
                pilot,
                lambda sid=session_id, n=index: (  # type: ignore[misc]
                    app.ws is not None and app.ws.session_id == sid and users(app) == [PROMPTS[n]]
                ),
                10,
                "the switch",
            )
            assert shown_rows(app) == timeline.rows(state.draft)
            assert short_id(session_id) in app.status.session_label
            assert PROMPTS[index][:20] in app.status.session_label
        # the next run opens the last one used
        assert app.ws is not None
        remembered = app.ws.credentials.load_session()
        assert remembered is not None and remembered.session_id == made[0][0]


async def test_search_in_the_screen_finds_an_old_prompt(backend: str) -> None:
    made = await three_sessions(backend)
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_sessions(pilot, app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"violet")
        await pilot.pause()
        assert [h.record.session_id for h in screen.hits] == [made[0][0]]
        assert screen.table.row_count == 1
        await pilot.press("enter")  # leaves the search box for the table
        await pilot.press("enter")  # opens the match
        await wait_until(pilot, lambda: users(app) == [PROMPTS[0]], 10, "the old session")


async def test_rename_delete_and_export_from_the_screen(backend: str, tmp_path: Path) -> None:
    made = await three_sessions(backend)
    out = tmp_path / "videos"
    app = make_app(backend, settings=settings_for(backend, output_dir=out))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_sessions(pilot, app)
        screen.table.move_cursor(row=1)
        target = screen.selected()
        assert target == made[1][0]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, InputDialog), 5, "the dialog")
        dialog_input = app.screen.query_one(Input)
        dialog_input.value = "Ocean promo"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, 5, "back to the list")
        assert "Ocean promo" in str(screen.table.get_row(target)[1])

        await pilot.press("e")
        await wait_until(pilot, lambda: out.exists() and any(out.iterdir()), 5, "the export")
        saved = next(out.iterdir())
        assert saved.suffix == ".md" and "Ocean promo" in saved.read_text()

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("n")  # No: nothing deleted
        await wait_until(pilot, lambda: app.screen is screen, 5, "back to the list")
        assert len(screen.hits) == 3
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.hits) == 2, 5, "the deletion")
        assert not Transcript(target).exists()
        # the current session cannot be deleted from under the app
        screen.table.move_cursor(row=0)
        assert screen.selected() == made[2][0]
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is screen and len(screen.hits) == 2


async def test_tui_honours_session_and_new_session(backend: str) -> None:
    made = await three_sessions(backend)
    app = make_app(backend, session_id=made[0][0])
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None and app.ws.session_id == made[0][0]
        assert users(app) == [PROMPTS[0]]
        assert shown_rows(app) == timeline.rows(made[0][1].draft)
    app = make_app(backend, new_session=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None and app.ws.session_id not in [m[0] for m in made]
        assert users(app) == [] and shown_rows(app) == []


async def test_a_session_the_server_lost_is_offered_as_a_new_one(
    backend: str, tmp_path: Path
) -> None:
    made = await three_sessions(backend)
    gone = "sess_gone0001"
    index = Workspace(settings_for(backend)).sessions
    index.touch(gone)
    Transcript(gone).append("user", "a red kite over dunes")
    Transcript(gone).append("assistant", "Done.")
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_sessions(pilot, app)
        await choose(pilot, screen, gone)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the offer")
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        assert "no longer has" in question.question and "transcript" in question.question
        await pilot.press("y")
        await wait_until(pilot, lambda: "a red kite over dunes" in users(app), 10, "the transcript")
        assert app.ws is not None
        assert app.ws.session_id not in [gone, *[m[0] for m in made]]
        assert app.ws.sessions.require(app.ws.session_id).parent == gone
        assert any("earlier session" in n for n in notices(app))


async def test_session_flag_for_a_session_only_kept_here_offers_a_new_one(backend: str) -> None:
    """``--session`` naming a local session the server no longer has: the app says so and
    offers a new session showing its chat; No keeps the remembered session."""
    made = await three_sessions(backend)
    gone = "sess_gone0002"
    Workspace(settings_for(backend)).sessions.touch(gone)
    Transcript(gone).append("user", "a paper boat in the rain")
    for answer in ("n", "y"):
        app = make_app(backend, session_id=gone)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda a=app: isinstance(a.screen, ConfirmScreen), 10, "the offer"
            )
            await pilot.press(answer)
            await wait_ready(pilot, app)
            assert app.ws is not None
            if answer == "n":
                assert app.ws.session_id == made[-1][0]
                assert users(app) == [PROMPTS[2]]
            else:
                assert app.ws.session_id not in [gone, *[m[0] for m in made]]
                assert users(app) == ["a paper boat in the rain"]


async def test_new_session_asks_first_when_the_session_has_content(backend: str) -> None:
    app = make_app(backend, new_session=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None
        empty = app.ws.session_id
        await pilot.press(app.key_of("new_session"))  # an empty session: no question
        await wait_until(pilot, lambda: app.ws.session_id != empty, 10, "a new session")  # type: ignore[union-attr]
        await send(pilot, app, PROMPTS[0])
        await finish_turn(pilot, app)
        first = app.ws.session_id
        await pilot.press(app.key_of("new_session"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("n")
        await pilot.pause()
        assert app.ws.session_id == first and users(app) == [PROMPTS[0]]
        await pilot.press(app.key_of("new_session"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.ws.session_id != first, 10, "a new session")  # type: ignore[union-attr]


async def test_a_new_session_from_f10_is_greeted(backend: str) -> None:
    """Sessions on Ctrl+S here, so that the question shows how every hint names a key."""
    settings = settings_for(backend, keymap={"sessions": "ctrl+s"})
    app = make_app(backend, settings=settings, new_session=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await wait_until(pilot, lambda: app.chat.query(Welcome), 5, "the first greeting")
        await send(pilot, app, PROMPTS[0])
        await finish_turn(pilot, app)
        assert app.ws is not None
        first = app.ws.session_id
        await pilot.press(app.key_of("new_session"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        assert isinstance(app.screen, ConfirmScreen)
        sessions_key = key_display(app.key_of("sessions"))
        assert app.screen.question == NEW_SESSION_QUESTION.format(key=sessions_key)
        assert "from Sessions (Ctrl+S)" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: app.ws.session_id != first, 10, "a new session")  # type: ignore[union-attr]
        await wait_until(pilot, lambda: app.chat.query(Welcome), 5, "the greeting")
        assert users(app) == [] and len(app.chat.query(Welcome)) == 1
        greeting = " ".join(str(s.render()) for s in app.chat.query(Welcome).first().query(Static))
        assert GREETING in greeting


async def test_export_chat_writes_into_the_output_folder(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "videos"
    app = make_app(backend, settings=settings_for(backend, output_dir=out), new_session=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, PROMPTS[1])
        await finish_turn(pilot, app)
        await send(pilot, app, "/export-chat")
        await wait_until(pilot, lambda: any("Chat saved to" in n for n in notices(app)), 5)
        saved = next(out.glob("chat-*.md"))
        assert str(saved) in next(n for n in notices(app) if "Chat saved to" in n)
        assert PROMPTS[1] in saved.read_text()
        await send(pilot, app, "/export-chat json")
        await wait_until(pilot, lambda: any(out.glob("chat-*.json")), 5, "the JSON export")
        data = json.loads(next(out.glob("chat-*.json")).read_text())
        assert data["turns"][0]["prompt"] == PROMPTS[1]


async def test_restored_transcript_marks_a_cancelled_turn(backend: str) -> None:
    async with Workspace(settings_for(backend)) as ws:
        await ws.ready(new=True)
        sid = ws.session_id
    t = Transcript(sid)
    t.append("user", "make it longer")
    t.mark("cancelled")
    t.append("user", "add a title")
    t.append("assistant", "Added the title.", credits=10)
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert users(app) == ["make it longer", "add a title"]
        said = notices(app)
        assert any(n.startswith("✗ Cancelled") for n in said)
        assert "Cost: 10 credits." in said


# --- snapshot ----------------------------------------------------------------------------------

NOW = 1_790_000_000.0


def fixed_index(root: Path) -> SessionIndex:
    """Three sessions with fixed titles and times (no server, no clock)."""
    index = SessionIndex(
        "demo", state_dir=root / "state", transcripts=root / "t", journal=root / "j"
    )
    for n, (sid, prompt, hours, credits) in enumerate(
        [
            ("sess_a1b2c3d4e5", "a lighthouse in a violet storm", 30, 100),
            ("sess_f6a7b8c9d0", "a calm ocean at dawn, cinematic", 3, 110),
            ("sess_0a1b2c3d4e", "a neon city at night", 0.01, 0),
        ]
    ):
        at = NOW - hours * 3600
        line = {"role": "user", "text": prompt, "at": at}
        reply = {"role": "assistant", "text": "Done.", "at": at + 1, "credits": credits}
        path = root / "t" / f"{sid}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(line) + "\n" + json.dumps(reply) + "\n")
        items = json.loads(index.path.read_text()) if index.path.exists() else {"sessions": {}}
        items["sessions"][sid] = {"created": at, "used": at + 1 + n * 0}
        index.path.parent.mkdir(parents=True, exist_ok=True)
        index.path.write_text(json.dumps(items))
    return index


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_sessions_screen(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """The Sessions screen: three sessions, newest first, the current one marked ●, short ids,
    relative times from a frozen clock, credits and exports columns (all visible at 80×24), the
    search box and the key hints."""
    from artgen_tui.tui.demo import demo_app

    index = fixed_index(tmp_path)

    async def scene(pilot: Any) -> None:
        app = pilot.app
        await pilot.pause()
        app.push_screen(SessionsScreen(index, "sess_0a1b2c3d4e", tmp_path, lambda: NOW))
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=scene)


async def test_esc_mid_turn_is_recorded_as_cancelled(tmp_path: Path) -> None:
    with local_backend(tmp_path / "slow", stage_delay=3.0) as url:
        app = make_app(url, new_session=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, app)
            assert app.ws is not None
            sid = app.ws.session_id
            await send(pilot, app, PROMPTS[0])
            await wait_until(pilot, lambda: app.turn_running, 5, "the turn")
            await pilot.pause(0.5)
            await pilot.press("escape")
            await wait_until(
                pilot,
                lambda: [e.role for e in Transcript(sid).load()] == ["user", "outcome"],
                10,
                "the cancelled mark",
            )
            assert Transcript(sid).load()[-1].status == "cancelled"


async def test_a_timeline_highlight_arriving_as_the_app_closes_is_ignored(backend: str) -> None:
    """Loading a session's rows highlights one; when the app exits at once, that message can be
    handled after the main screen is gone, and must not crash the exit."""
    made = await three_sessions(backend)
    app = make_app(backend, session_id=made[0][0])
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
    assert not app.screen_stack
    app._segment_selected()  # what the late DataTable.RowHighlighted runs
