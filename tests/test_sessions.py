"""Sessions (core and ``artgen sessions``): the local list, search, rename, delete, export, the
extended transcript records, and ``--session`` against a real local backend over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_run import Result

from artgen_tui.config import Settings, load_settings
from artgen_tui.core import conversation as conv
from artgen_tui.core.history import Entry, Transcript, turns
from artgen_tui.core.sessions import UNTITLED, SessionIndex, restored_lines, scrub
from artgen_tui.core.workspace import SessionGone, Workspace
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

PROMPTS = (
    "generate a lighthouse in a violet storm, 2 seconds",
    "generate a calm ocean at dawn, cinematic, 2 seconds",
    "generate a neon city at night, 2 seconds",
)
TOKEN = "nmv_abcd1234efgh5678ijkl"


def settings_for(url: str) -> Settings:
    return load_settings(api_url=url, render_poll_interval=0.05)


async def turn(ws: Workspace, text: str) -> conv.TurnDone:
    events = [e async for e in conv.run_turn(ws, text)]
    done = events[-1]
    assert isinstance(done, conv.TurnDone)
    return done


async def three_sessions(url: str) -> list[str]:
    """Three sessions, each with one generation; the last one stays remembered."""
    ids = []
    async with Workspace(settings_for(url)) as ws:
        for prompt in PROMPTS:
            await ws.ready(new=True)
            await ws.credits()
            await turn(ws, prompt)
            ids.append(ws.session_id)
    return ids


def index_for(url: str) -> SessionIndex:
    ws = Workspace(settings_for(url))
    return ws.sessions


async def test_three_sessions_are_listed_with_titles_turns_and_credits(local_backend: str) -> None:
    ids = await three_sessions(local_backend)
    records = index_for(local_backend).sessions()
    assert [r.session_id for r in records] == ids[::-1]  # most recent first
    assert [r.title for r in records] == list(PROMPTS[::-1])
    assert all(r.turns == 1 for r in records)
    assert all(r.credits == 100 for r in records)  # the local backend's generation price


async def test_search_finds_a_word_from_an_old_prompt(local_backend: str) -> None:
    ids = await three_sessions(local_backend)
    index = index_for(local_backend)
    hits = index.search("LIGHTHOUSE")
    assert [h.record.session_id for h in hits] == [ids[0]]
    assert "lighthouse" in hits[0].snippets[0]
    assert index.search("submarine") == []


async def test_rename_and_delete_are_local_only(local_backend: str) -> None:
    ids = await three_sessions(local_backend)
    index = index_for(local_backend)
    index.rename(ids[1], "  Ocean promo  ")
    assert index.find(ids[1]) is not None
    assert index.require(ids[1]).title == "Ocean promo"
    transcript = Transcript(ids[0])
    assert transcript.exists()
    index.delete(ids[0])
    assert not transcript.exists()
    assert ids[0] not in [r.session_id for r in index.sessions()]
    async with Workspace(settings_for(local_backend)) as ws:  # the server still has it
        await ws.ready(ids[0])
        assert ws.session_id == ids[0]


async def test_one_sessions_title_is_the_one_the_list_gives(local_backend: str) -> None:
    ids = await three_sessions(local_backend)
    index = index_for(local_backend)
    index.rename(ids[1], "Ocean promo")
    for session_id in ids:
        record = index.require(session_id)
        assert index.title(session_id) == record.title
    assert index.title(ids[0]) == PROMPTS[0] and index.title(ids[1]) == "Ocean promo"
    assert index.title("sess-never-seen") == UNTITLED


def test_index_file_is_private(tmp_path: Path) -> None:
    index = SessionIndex("http://example.invalid", state_dir=tmp_path / "state")
    index.touch("sess_1")
    assert stat.S_IMODE(os.stat(index.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(index.path.parent).st_mode) == 0o700


def test_short_id_prefix_finds_one_session(tmp_path: Path) -> None:
    index = SessionIndex("x", state_dir=tmp_path, transcripts=tmp_path / "t")
    index.touch("sess_abc12345zzz")
    index.touch("sess_abd99999yyy")
    assert index.require("abc12345").session_id == "sess_abc12345zzz"
    assert index.find("sess_ab") is None  # two match: none chosen


# --- transcript records ------------------------------------------------------------------------


async def test_a_cancelled_turn_is_marked_and_restored_as_such(tmp_path: Path) -> None:
    options = LocalOptions(stage_delay=5.0, heartbeat_interval=0.05, seed=7)
    with LocalBackend(tmp_path / "be", options=options) as backend:
        async with Workspace(settings_for(backend.url)) as ws:
            await ws.ready()
            started = asyncio.Event()

            async def consume() -> None:
                async for event in conv.run_turn(ws, PROMPTS[0]):
                    if isinstance(event, conv.ToolActivity):
                        started.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(started.wait(), timeout=10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            entries = Transcript(ws.session_id).load()
            lines = list(restored_lines(ws.sessions, ws.session_id, 30))
    assert [(e.role, e.status) for e in entries] == [("user", None), ("outcome", "cancelled")]
    assert turns(entries)[0].status == "cancelled"
    assert lines[0] == ("user", PROMPTS[0])
    assert lines[1][0] == "notice" and "Cancelled" in lines[1][1]


def test_old_transcripts_still_load_and_mark_prompts_without_reply(tmp_path: Path) -> None:
    path = tmp_path / "sess_old.jsonl"
    path.write_text(
        '{"role": "user", "text": "first", "at": 1}\n'
        '{"role": "user", "text": "second", "at": 2}\n'
        '{"role": "assistant", "text": "done", "at": 3}\n'
        "not json\n"
    )
    entries = Transcript("sess_old", tmp_path).load()
    assert [t.status for t in turns(entries)] == ["unknown", "ok"]
    assert entries[-1] == Entry("assistant", "done", 3.0)


async def test_a_failed_turn_is_marked_failed(tmp_path: Path) -> None:
    from artgen_tui.api.errors import ApiError

    backend = LocalBackend(tmp_path / "be", options=LocalOptions(stage_delay=0.0)).start()
    async with Workspace(settings_for(backend.url)) as ws:
        await ws.ready()
        backend.stop()  # the service goes away: the turn cannot be sent
        with pytest.raises(ApiError):
            await turn(ws, "hello")
        entries = Transcript(ws.session_id).load()
    assert [(e.role, e.status) for e in entries] == [("user", None), ("outcome", "failed")]
    assert entries[-1].text  # what went wrong, for the restored chat
    assert turns(entries)[0].status == "failed"


# --- export ------------------------------------------------------------------------------------


def secret_transcript(tmp_path: Path) -> SessionIndex:
    index = SessionIndex("x", state_dir=tmp_path / "state", transcripts=tmp_path / "t")
    index.touch("sess_secret01")
    t = Transcript("sess_secret01", tmp_path / "t")
    t.append("user", f"use token {TOKEN} and <b>bold</b>")
    t.append(
        "assistant",
        f"Saved at https://cdn.example.com/v/out.mp4?X-Signature=abc&Expires=9 and Bearer {TOKEN}",
        credits=10,
    )
    t.append("user", "make it longer")
    t.mark("cancelled")
    return index


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_export_redacts_tokens_and_signed_urls(tmp_path: Path, fmt: str) -> None:
    index = secret_transcript(tmp_path)
    text = index.export("sess_secret01", fmt)  # type: ignore[arg-type]
    assert TOKEN not in text
    assert "X-Signature" not in text and "?" not in text.replace("<!doctype", "")
    assert "https://cdn.example.com/v/out.mp4" in text
    if fmt == "json":
        data = json.loads(text)
        assert data["session_id"] == "sess_secret01"
        assert [t["status"] for t in data["turns"]] == ["ok", "cancelled"]
        assert data["turns"][0]["credits"] == 10
    if fmt == "html":
        assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold" not in text
    if fmt == "md":
        assert "Cancelled" in text


def test_scrub_keeps_plain_urls() -> None:
    assert scrub("see https://a.example/x.mp4.") == "see https://a.example/x.mp4."
    assert scrub("(https://a.example/x?sig=1)") == "(https://a.example/x)"


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_sessions_list_search_show_rename_export_delete(
    local_backend: str, artgen: Callable[..., Result], tmp_path: Path
) -> None:
    ids = asyncio.run(three_sessions(local_backend))
    listed = artgen("sessions", "--json", url=local_backend)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["session_id"] for r in rows] == ids[::-1]
    assert rows[0]["current"] is True and rows[0]["credits"] == 100

    found = artgen("sessions", "search", "violet", "storm", "--no-json", url=local_backend)
    assert found.returncode == 0
    assert "lighthouse" in found.stdout and "ocean" not in found.stdout
    assert artgen("sessions", "search", "submarine", url=local_backend).returncode == 1

    shown = artgen("sessions", "show", ids[1], "--no-json", url=local_backend)
    assert shown.returncode == 0 and PROMPTS[1] in shown.stdout

    renamed = artgen("sessions", "rename", ids[1], "Ocean", "promo", "--no-json", url=local_backend)
    assert renamed.returncode == 0 and "'Ocean promo'" in renamed.stdout

    target = tmp_path / "chat.json"
    exported = artgen(
        "sessions", "export", ids[1], "--format", "json", "-o", str(target), url=local_backend
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(target.read_text())["title"] == "Ocean promo"

    deleted = artgen("sessions", "delete", ids[0], "--no-json", url=local_backend)
    assert deleted.returncode == 0 and "server keeps" in deleted.stdout
    missing = artgen("sessions", "show", ids[0], url=local_backend)
    assert missing.returncode == 1 and "No session" in missing.stderr


HOSTILE = "\x1b]2;pwned\x07 \x9b31m red \x7f"
"""Controls a stored transcript may hold (a hand-edited or old file): OSC 2, C1 CSI, DEL."""


@pytest.mark.parametrize(
    "args",
    [
        ("show", "--no-json"),
        ("show", "--json"),
        ("export", "--format", "md"),
        ("export", "--format", "html"),
        ("export", "--format", "json"),
    ],
)
def test_sessions_show_and_export_print_no_raw_control_character(
    artgen: Callable[..., Result], args: tuple[str, ...]
) -> None:
    from hostile import raw_controls

    url = "http://127.0.0.1:9"
    sid = "sess_hostile01"
    SessionIndex(url).touch(sid)
    Transcript(sid).append("user", f"title {HOSTILE}")
    Transcript(sid).append("assistant", f"done {HOSTILE}", credits=1)
    ran = artgen("sessions", args[0], sid, *args[1:], url=url)
    assert ran.returncode == 0, ran.stderr
    assert "done" in ran.stdout
    assert not raw_controls(ran.stdout + ran.stderr), raw_controls(ran.stdout)
    if "json" in args:
        data = json.loads(ran.stdout)
        assert data["turns"][0]["reply"] == f"done {HOSTILE}"  # the data itself is unchanged


def test_unknown_session_is_an_error_and_nothing_is_replaced(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    ids = asyncio.run(three_sessions(local_backend))
    store = Workspace(settings_for(local_backend)).credentials
    before = store.session_file.read_bytes()
    for args in (("state", "--session", "sess_typo"), ("chat", "hi", "--session", "sess_typo")):
        result = artgen(*args, url=local_backend)
        assert result.returncode == 1, result.stderr
        assert "sess_typo" in result.stderr and "no longer exists" not in result.stderr
    # the TUI path: refused before the app starts
    tui = artgen("--session", "sess_typo", url=local_backend)
    assert tui.returncode == 1 and "sess_typo" in tui.stderr
    assert store.session_file.read_bytes() == before
    assert store.load_session() is not None and store.load_session().session_id == ids[-1]  # type: ignore[union-attr]
    assert index_for(local_backend).find("sess_typo") is None


async def test_explicit_session_and_new_session(local_backend: str) -> None:
    ids = await three_sessions(local_backend)
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready(ids[0])
        assert ws.session_id == ids[0]
        with pytest.raises(SessionGone):
            await ws.ready("sess_typo")
        assert ws.session_id == ids[0]
        assert ws.credentials.load_session().session_id == ids[0]  # type: ignore[union-attr]


async def test_a_lost_remembered_session_continues_with_its_transcript(tmp_path: Path) -> None:
    from artgen_tui.api.models import SessionInfo

    with LocalBackend(tmp_path / "be", options=LocalOptions(stage_delay=0.0, seed=7)) as backend:
        async with Workspace(settings_for(backend.url)) as ws:
            await ws.ready()
            old = ws.session_id
            await turn(ws, PROMPTS[0])
    # a backend in another folder has never seen the session, but it is remembered for its URL
    with LocalBackend(tmp_path / "other", options=LocalOptions(stage_delay=0.0)) as backend:
        async with Workspace(settings_for(backend.url)) as ws:
            ws.credentials.save_session(SessionInfo(session_id=old))
            await ws.ready()
            assert ws.session_id != old
            assert ws.sessions.require(ws.session_id).parent == old
            lines = list(restored_lines(ws.sessions, ws.session_id, 30))
    assert ("user", PROMPTS[0]) in lines
    assert "earlier session" in lines[0][1]


def test_restored_lines_include_costs_and_saved_videos(tmp_path: Path) -> None:
    """Local results come back with the chat: what each turn cost, and where its export went
    (from the export journal), in time order."""
    journal = tmp_path / "jobs.json"
    index = SessionIndex("x", state_dir=tmp_path, transcripts=tmp_path / "t", journal=journal)
    t = Transcript("sess_r1", tmp_path / "t")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "sess_r1.jsonl").write_text(
        '{"role": "user", "text": "make a city", "at": 10}\n'
        '{"role": "assistant", "text": "Done.", "at": 11, "credits": 100}\n'
        '{"role": "user", "text": "export", "at": 30}\n'
        '{"role": "assistant", "text": "Exported.", "at": 31}\n'
    )
    job = {"id": "render_1", "session_id": "sess_r1", "api_url": "x", "status": "downloaded"}
    other = {**job, "id": "render_2", "api_url": "another identity"}
    journal.write_text(
        json.dumps(
            {
                "jobs": [
                    {**job, "path": "/v/city.mp4", "created_at": 20.0, "updated_at": 20.0},
                    {**other, "path": "/v/other.mp4", "created_at": 21.0, "updated_at": 21.0},
                ]
            }
        )
    )
    lines = list(restored_lines(index, "sess_r1", 30))
    assert lines == [
        ("user", "make a city"),
        ("assistant", "Done."),
        ("notice", "Cost: 100 credits."),
        ("notice", "Saved /v/city.mp4"),
        ("user", "export"),
        ("assistant", "Exported."),
    ]
    record = index.require("sess_r1")
    assert len(record.exports) == 1 and record.credits == 100 and t.exists()


def test_a_kept_index_sees_new_lines_in_a_transcript(tmp_path: Path) -> None:
    """The parsed-transcript cache is keyed on the file's mtime and size: an append is seen."""
    index = SessionIndex("x", state_dir=tmp_path, transcripts=tmp_path / "t")
    index.touch("sess_c1")
    t = Transcript("sess_c1", tmp_path / "t")
    t.append("user", "a quiet harbour")
    assert [h.record.session_id for h in index.search("harbour")] == ["sess_c1"]
    assert index.search("zeppelin") == []
    t.append("user", "add a zeppelin")
    assert [h.record.session_id for h in index.search("zeppelin")] == ["sess_c1"]
    assert index.require("sess_c1").turns == 2
