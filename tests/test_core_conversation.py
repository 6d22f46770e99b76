"""Chat turns, the workspace and transcripts against a real local backend over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from artgen_tui.api.errors import InsufficientCredits
from artgen_tui.api.models import SessionInfo, SessionState
from artgen_tui.config import NetworkSettings, Settings, load_settings
from artgen_tui.core import conversation as conv
from artgen_tui.core.history import Transcript
from artgen_tui.core.timeline import diff
from artgen_tui.core.workspace import SESSION_LOST_NOTICE, SessionGone, Workspace
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

GENERATE = "generate a futuristic city at sunset, cinematic, 4 seconds"
FAST = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05, silent_close_rate=0.0, seed=7)


@contextlib.contextmanager
def backend(directory: Path, **changes: object) -> Iterator[str]:
    with LocalBackend(directory, options=replace(FAST, **changes)) as running:  # type: ignore[arg-type]
        yield running.url


def settings_for(url: str) -> Settings:
    return load_settings(api_url=url, render_poll_interval=0.05)


def inject(url: str, spec: str) -> None:
    httpx.post(f"{url}/_faults", content=spec).raise_for_status()


async def collect(ws: Workspace, text: str, **kw: Any) -> list[conv.TurnEvent]:
    return [event async for event in conv.run_turn(ws, text, **kw)]


def done_of(events: list[conv.TurnEvent]) -> conv.TurnDone:
    assert isinstance(events[-1], conv.TurnDone)
    return events[-1]


async def test_generate_turn_streams_text_tools_and_timeline(local_backend: str) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        events = await collect(ws, GENERATE)
    done = done_of(events)
    chunks = "".join(e.text for e in events if isinstance(e, conv.TextChunk))
    assert chunks == done.reply  # streamed text equals the kept reply: nothing shown twice
    assert "Futuristic City At Sunset" in done.reply
    assert not done.silent and not done.interrupted
    tools = [e.label for e in events if isinstance(e, conv.ToolActivity)]
    assert tools == ["working: generate video", "working: edit multitrack"]
    changes = [e for e in events if isinstance(e, conv.TimelineChanged)]
    assert changes and "added video track" in changes[0].diff.sentence
    assert done.diff is not None
    assert {r.track_kind for r in done.diff.added} == {"video", "audio", "text"}
    assert done.credits is not None and done.credits.available == 400
    assert [a.kind for a in done.actions] == ["focus_timeline", "export"]
    assert ws.last_state is not None and ws.last_state.draft.ready_for_export


async def test_text_after_a_tool_step_starts_a_new_paragraph(local_backend: str) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        done = done_of(await collect(ws, GENERATE))
    assert "ready.\n\nThe clip is ready" in done.reply


async def test_silent_edit_reply_is_the_diff_sentence(tmp_path: Path) -> None:
    with backend(tmp_path / "be", silent_close_rate=1.0) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            await collect(ws, GENERATE)
            events = await collect(ws, 'add title "Urban Dreams"')
    done = done_of(events)
    assert done.silent
    assert done.diff is not None
    assert done.reply == done.diff.sentence
    assert done.reply.startswith("Timeline updated: changed text track")
    assert "'Urban Dreams'" in done.reply
    # The sentence is also streamed, so a consumer that only shows chunks shows it.
    assert [e.text for e in events if isinstance(e, conv.TextChunk)] == [done.reply]


async def test_silent_aspect_change_is_described(tmp_path: Path) -> None:
    with backend(tmp_path / "be", silent_close_rate=1.0) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            await collect(ws, GENERATE)
            done = done_of(await collect(ws, "make it 9:16"))
    assert done.silent
    assert "canvas 16:9 1920×1080 24 fps → 9:16 1080×1920 24 fps" in done.reply


async def test_still_working_ticks_during_a_slow_stage(tmp_path: Path) -> None:
    with backend(tmp_path / "be", stage_delay=0.5, heartbeat_interval=0.05) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            events = await collect(ws, GENERATE, still_working_interval=0.1)
    still = [e for e in events if isinstance(e, conv.StillWorking)]
    beats = [e for e in events if isinstance(e, conv.Heartbeat)]
    assert still, "no still-working event during a 0.5 s silent stage"
    assert beats
    assert still[0].text.startswith("⏳ Still working…")
    elapsed = [e.elapsed for e in still]
    assert elapsed == sorted(elapsed)
    assert not done_of(events).silent


async def test_default_interval_comes_from_settings(tmp_path: Path) -> None:
    with backend(tmp_path / "be", stage_delay=0.3, heartbeat_interval=0.05) as url:
        settings = settings_for(url).model_copy(update={"still_working_interval": 0.1})
        async with Workspace(settings) as ws:
            await ws.ready()
            events = await collect(ws, GENERATE)
    assert any(isinstance(e, conv.StillWorking) for e in events)


async def test_lost_session_mid_turn_continues_in_a_new_one(
    local_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="artgen_tui.core")
    notices: list[str] = []
    async with Workspace(settings_for(local_backend), on_notice=notices.append) as ws:
        await ws.ready()
        await ws.state()
        first = ws.session_id
        inject(local_backend, "lose_session=1")
        events = await collect(ws, GENERATE)
        assert ws.session_id != first
    changed = [e for e in events if isinstance(e, conv.SessionChanged)]
    assert [c.session.session_id for c in changed] == [ws.session_id]
    # The notice is a turn event, just before the session change it explains, and said once.
    kinds = [type(e) for e in events if isinstance(e, conv.Notice | conv.SessionChanged)]
    assert kinds == [conv.Notice, conv.SessionChanged]
    assert [e.text for e in events if isinstance(e, conv.Notice)] == [SESSION_LOST_NOTICE]
    assert notices == []
    # The recovery is in the log (the CLI's --log handler writes it out).
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("session lost at the start of the turn" in m for m in logged), logged
    done = done_of(events)
    assert "Futuristic City At Sunset" in done.reply


async def test_lost_session_before_the_turn_is_reported(local_backend: str) -> None:
    notices: list[str] = []
    async with Workspace(settings_for(local_backend), on_notice=notices.append) as ws:
        await ws.new_session()
        first = ws.session_id
        inject(local_backend, "lose_session=1")
        events = await collect(ws, "hello")
    assert any(isinstance(e, conv.SessionChanged) for e in events)
    assert ws.session_id != first
    assert [e.text for e in events if isinstance(e, conv.Notice)] == [SESSION_LOST_NOTICE]
    assert notices == []


async def test_dropped_stream_catches_up_by_polling_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="artgen_tui.core")
    with backend(tmp_path / "be", stage_delay=0.3, heartbeat_interval=0.05) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            inject(url, "drop_stream=1")
            events = [
                e
                async for e in conv.run_turn(
                    ws, GENERATE, still_working_interval=0.1, recovery_delays=(0.1, 0.2)
                )
            ]
    done = done_of(events)
    assert done.interrupted
    assert done.reply.endswith(conv.INTERRUPTED_NOTE)
    # The agent finished server-side; polling caught every track it added.
    assert done.diff is not None
    assert {r.track_kind for r in done.diff.added} == {"video", "audio", "text"}
    assert any(isinstance(e, conv.TimelineChanged) for e in events)
    assert any(isinstance(e, conv.Heartbeat) for e in events)
    logged = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("reply stream dropped") for m in logged), logged
    assert any(m.startswith("catching up after a dropped stream: poll 1") for m in logged)


async def test_catch_up_gives_up_when_nothing_changes(local_backend: str) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        inject(local_backend, "drop_stream=1")
        events = await collect(ws, "hello", recovery_delays=(0.01,))
    done = done_of(events)
    assert done.interrupted  # the help reply is longer than the frames the fault lets through
    assert done.reply.endswith(conv.INTERRUPTED_NOTE)
    assert done.diff is not None and done.diff.empty


async def test_out_of_credits_is_raised_with_the_bind_link(tmp_path: Path) -> None:
    with backend(tmp_path / "be", credits=50) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            with pytest.raises(InsufficientCredits) as info:
                await collect(ws, GENERATE)
            assert ws.user_id
            assert info.value.register_url.endswith(f"?bind={ws.user_id}")


async def test_notices_before_a_failing_turn_reach_the_user_before_the_error(
    tmp_path: Path,
) -> None:
    """A 429 waited out, then a refusal: the rate-limit notice is a turn event, not lost."""
    notices: list[str] = []
    with backend(tmp_path / "be", credits=50) as url:
        async with Workspace(settings_for(url), on_notice=notices.append) as ws:
            await ws.ready()
            inject(url, "rate_limit=1")
            events: list[conv.TurnEvent] = []
            with pytest.raises(InsufficientCredits):
                async for event in conv.run_turn(ws, GENERATE):
                    events.append(event)
            ws.notice("after the turn")
    said = [e.text for e in events if isinstance(e, conv.Notice)]
    assert len(said) == 1 and said[0].startswith("Rate limited; retrying in"), events
    assert not any(isinstance(e, conv.TurnDone) for e in events)
    # Said once, as a turn event; the workspace's own callback is back in place afterwards.
    assert notices == ["after the turn"]


async def test_closing_the_turn_early_closes_the_stream(tmp_path: Path) -> None:
    with backend(tmp_path / "be", stage_delay=5.0, heartbeat_interval=0.05) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            turn = conv.run_turn(ws, GENERATE)
            async for event in turn:
                if isinstance(event, conv.ToolActivity):
                    break
            await asyncio.wait_for(turn.aclose(), timeout=5)
            leftover = [t for t in asyncio.all_tasks() if "_pump" in repr(t.get_coro())]
            assert all(t.done() for t in leftover)
            # The connection is usable again at once: the next call is not stuck behind it.
            credits = await asyncio.wait_for(ws.credits(), timeout=5)
            assert credits.frozen >= 0


async def test_cancelling_the_consumer_task_closes_the_stream(tmp_path: Path) -> None:
    with backend(tmp_path / "be", stage_delay=5.0, heartbeat_interval=0.05) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            started = asyncio.Event()

            async def consume() -> None:
                async for event in conv.run_turn(ws, GENERATE):
                    if isinstance(event, conv.ToolActivity):
                        started.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(started.wait(), timeout=10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
            leftover = [t for t in asyncio.all_tasks() if "_pump" in repr(t.get_coro())]
            assert all(t.done() for t in leftover)


async def test_turns_are_recorded_in_the_transcript(local_backend: str) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        done = done_of(await collect(ws, "hello"))
        entries = Transcript(ws.session_id).load()
    assert [(e.role, e.text) for e in entries] == [("user", "hello"), ("assistant", done.reply)]


async def test_workspace_resumes_the_saved_session(local_backend: str) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        first = await ws.ready()
    async with Workspace(settings_for(local_backend)) as ws:
        again = await ws.ready()
        assert ws.last_state is not None
    assert again.session_id == first.session_id
    async with Workspace(settings_for(local_backend)) as ws:
        fresh = await ws.ready(new=True)
    assert fresh.session_id != first.session_id


async def test_workspace_replaces_a_lost_saved_session(local_backend: str) -> None:
    notices: list[str] = []
    async with Workspace(settings_for(local_backend), on_notice=notices.append) as ws:
        ws.credentials.save_session(SessionInfo(session_id="1234567890123456789"))
        info = await ws.ready()
    assert info.session_id != "1234567890123456789"
    assert notices == [SESSION_LOST_NOTICE]


async def test_workspace_refuses_an_unknown_session_id(local_backend: str) -> None:
    """An explicit id the server does not have is an error; nothing is replaced."""
    notices: list[str] = []
    async with Workspace(settings_for(local_backend), on_notice=notices.append) as ws:
        with pytest.raises(SessionGone):
            await ws.ready(session_id="1234567890123456789")
        assert ws.credentials.load_session() is None
    assert notices == []


def test_strip_temporary_issue() -> None:
    text = "Done: set the title. I encountered a temporary issue, please retry."
    assert conv.strip_temporary_issue(text) == "Done: set the title."
    only = "I encountered a temporary issue."
    assert conv.strip_temporary_issue(only) == only


def test_tool_label() -> None:
    assert (
        conv.tool_label("generate_video_with_seedance") == "working: generate video with seedance"
    )
    assert conv.tool_label("editMultitrack") == "working: edit multitrack"
    assert conv.tool_label("") == "working: tool"


def test_transcript_is_private_and_skips_bad_lines(tmp_path: Path) -> None:
    t = Transcript("55/..//weird id", directory=tmp_path / "tr")
    t.append("user", "make it 你好")
    with t.path.open("a", encoding="utf-8") as fh:
        fh.write('not json\n[1]\n{"role": "robot", "text": "x"}\n')
    t.append("assistant", "ok")
    assert t.path.parent == tmp_path / "tr"
    assert stat.S_IMODE(os.stat(t.path).st_mode) == 0o600
    assert [(e.role, e.text) for e in t.load()] == [("user", "make it 你好"), ("assistant", "ok")]
    assert [e.text for e in t.load(limit=1)] == ["ok"]
    assert Transcript("missing", directory=tmp_path / "none").load() == []


@pytest.mark.parametrize(
    ("chunks", "shown"),
    [
        (["Done: title set.", " I encountered a temporary issue."], ["Done: title set."]),
        (["Done.", " I encountered ", "a temporary", " issue, sorry"], ["Done."]),
        (["Done.", " I ", "think it looks great."], ["Done.", " I think it looks great."]),
        (["I encountered a temporary issue."], ["I encountered a temporary issue."]),
        (["Done.", " I"], ["Done.", " I"]),
    ],
)
def test_trailing_issue_filter(chunks: list[str], shown: list[str]) -> None:
    f = conv.TrailingIssueFilter()
    out = [text for text in (f.feed(c) for c in chunks) if text]
    tail = f.finish()
    assert [*out, *([tail] if tail else [])] == shown


async def test_queued_text_deltas_merge_and_keep_their_order() -> None:
    """A fast stream reaches the UI as a few batches, never reordered around tool steps."""
    import asyncio

    from artgen_tui.api import events as ev
    from artgen_tui.core.conversation import _merge_queued_text

    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in (ev.TextDelta("b"), ev.TextDelta("c"), ev.ToolCall("x"), ev.TextDelta("d")):
        queue.put_nowait(item)
    text, nxt = _merge_queued_text("a", queue)
    assert (text, nxt) == ("abc", ev.ToolCall("x"))
    assert _merge_queued_text("", queue) == ("d", None)
    assert queue.empty()


def test_compose_reply_silent_interrupted_and_normal() -> None:
    empty = SessionState()
    turn_diff = diff(None, empty)
    reply, extra = conv.compose_reply("", turn_diff, interrupted=False)
    assert reply.silent and reply.text == turn_diff.sentence == extra
    reply, extra = conv.compose_reply("  ", None, interrupted=True)
    assert reply.silent and reply.text.endswith(conv.INTERRUPTED_NOTE)
    assert reply.text.startswith("The agent finished without a reply.")
    reply, extra = conv.compose_reply("Done. I encountered a temporary issue.", None, True)
    assert not reply.silent and reply.text == f"Done.\n\n{conv.INTERRUPTED_NOTE}"
    assert extra == f"\n\n{conv.INTERRUPTED_NOTE}"
    reply, extra = conv.compose_reply("Done.", turn_diff, interrupted=False)
    assert (reply.text, reply.silent, extra) == ("Done.", False, "")


async def test_silent_close_diff_is_computed_once_and_travels_on_turn_done(
    tmp_path: Path,
) -> None:
    with backend(tmp_path / "be", silent_close_rate=1.0) as url:
        async with Workspace(settings_for(url)) as ws:
            await ws.ready()
            await collect(ws, GENERATE)
            events = await collect(ws, 'add title "Neon Nights"')
    changes = [e for e in events if isinstance(e, conv.TimelineChanged)]
    done = done_of(events)
    assert len(changes) == 1
    assert done.diff is changes[0].diff and done.state is not None
    assert done.state.draft == changes[0].state.draft


async def test_relay_on_its_own_merges_text_and_starts_a_paragraph_after_a_tool() -> None:
    """The streaming part without a server: a queue of decoded items in, turn events out."""
    from artgen_tui.api import events as ev

    turn = conv._Turn(
        ws=None,  # type: ignore[arg-type]  # no tool result here, so no state is fetched
        text="hi",
        interval=60.0,
        tick=1.0,
        started=0.0,
        before=None,
    )
    queue: asyncio.Queue[conv._Item] = asyncio.Queue()
    for item in (
        ev.TextDelta("Hello"),
        ev.TextDelta(" there."),
        ev.ToolCall("edit_multitrack"),
        ev.TextDelta("Done."),
        conv._End(),
    ):
        queue.put_nowait(item)
    outcome = conv._Outcome()
    events = [e async for e in conv._relay(turn, queue, outcome)]
    assert events == [
        conv.TextChunk("Hello there."),
        conv.ToolActivity("edit_multitrack", "working: edit multitrack"),
        conv.TextChunk("\n\nDone."),
    ]
    assert outcome.got_any and outcome.error is None
    assert "".join(turn.shown) == "Hello there.\n\nDone."


class _StateStub:
    """A server-less workspace for :func:`conv._settle`: ``state()`` answers from a list."""

    def __init__(self, answers: list[SessionState], recheck: float) -> None:
        self.answers = answers
        self.calls = 0
        self.settings = Settings(network=NetworkSettings(settle_recheck=recheck))

    async def state(self) -> SessionState:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


def _timeline(*labels: str) -> SessionState:
    segments = [
        {"id": f"seg_{i}", "start_ms": i * 1000, "duration_ms": 1000, "label": label}
        for i, label in enumerate(labels)
    ]
    return SessionState.model_validate({"state": {"draft": {"t": [{"tt": 0, "sg": segments}]}}})


async def _settled(
    answers: list[SessionState], *, shown: str = "", recheck: float = 0.01
) -> tuple[list[conv.TurnEvent], conv._Turn, _StateStub]:
    ws = _StateStub(answers, recheck)
    before = _timeline("city")
    turn = conv._Turn(
        ws=ws,  # type: ignore[arg-type]  # only state() and settings are used
        text="hi",
        interval=60.0,
        tick=1.0,
        started=0.0,
        before=before,
        latest=before,
    )
    if shown:
        turn.shown.append(shown)
    events = [e async for e in conv._settle(turn, recovery_delays=())]
    return events, turn, ws


async def test_settle_on_its_own_sees_a_change_catches_a_late_write_or_finds_none() -> None:
    """The settling part without a server: one look after the stream, and a second one only
    for a silent turn that shows no change yet."""
    # A change in the first look: one event, no second look.
    events, turn, ws = await _settled([_timeline("city", "title")])
    assert [type(e) for e in events] == [conv.TimelineChanged]
    assert ws.calls == 1
    assert turn.diff is not None and [r.label for r in turn.diff.added] == ["title"]
    assert turn.turn_diff() is turn.diff
    # Nothing yet, then the service writes the turn's change just after the stream ended.
    events, turn, ws = await _settled([_timeline("city"), _timeline("sunset")])
    assert ws.calls == 2
    assert len(events) == 1 and isinstance(events[0], conv.TimelineChanged)
    assert events[0].diff is turn.diff and events[0].diff.sentence.startswith("Timeline updated")
    # No change at all: two looks, no event, and the turn's diff says so.
    events, turn, ws = await _settled([_timeline("city"), _timeline("city")])
    assert (events, ws.calls, turn.diff) == ([], 2, None)
    turn_diff = turn.turn_diff()
    assert turn_diff is not None and turn_diff.empty
    # A turn that replied in words is not looked at twice.
    events, turn, ws = await _settled([_timeline("city")], shown="Nothing to change.")
    assert (events, ws.calls) == ([], 1)
    # Nor when the second look is turned off.
    events, turn, ws = await _settled([_timeline("city"), _timeline("sunset")], recheck=0)
    assert (events, ws.calls) == ([], 1)


def test_observe_diffs_once_and_only_when_the_timeline_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each poll: a fingerprint says whether anything changed; the one diff (against the state
    before the turn) is computed only then."""
    calls: list[tuple[SessionState | None, SessionState]] = []

    def counted(old: SessionState | None, new: SessionState) -> Any:
        calls.append((old, new))
        return diff(old, new)

    monkeypatch.setattr(conv, "diff", counted)
    before = _timeline("city")
    turn = conv._Turn(
        ws=None,  # type: ignore[arg-type]  # observe fetches nothing
        text="hi",
        interval=60.0,
        tick=1.0,
        started=0.0,
        before=before,
        latest=before,
    )
    assert turn.observe(_timeline("city")) is None
    assert calls == []
    first = turn.observe(_timeline("city", "title"))
    assert first is not None and [r.label for r in first.diff.added] == ["title"]
    assert len(calls) == 1 and calls[0][0] is before
    assert turn.observe(_timeline("city", "title")) is None
    assert len(calls) == 1
    second = turn.observe(_timeline("sunset", "title"))
    assert second is not None and len(calls) == 2 and calls[1][0] is before
    # The diff stays against the state before the turn: the title is still new.
    assert {r.label for r in second.diff.added} == {"title"}
    assert {r.label for r in second.diff.changed} == {"sunset"}
    assert turn.turn_diff() is second.diff
