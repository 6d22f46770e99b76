"""One chat turn end to end, as an async stream of :data:`TurnEvent`.

:func:`run_turn` sends the message, relays reply text as it streams, turns tool calls into dim
activity markers, ticks while the agent works silently, and refreshes the session state after each
tool result and at the end. When the stream closes without text (common for edits) or breaks off,
the state is polled and the timeline diff sentence becomes the reply.

Stopping iteration (``aclose``) or cancelling the consuming task closes the HTTP stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from artgen_tui.api import events as ev
from artgen_tui.api.errors import ApiError, ServerError, SessionNotFound, StreamInterrupted
from artgen_tui.api.models import Credits, SessionInfo, SessionState
from artgen_tui.core.gui_phrases import GuiAction, find_actions
from artgen_tui.core.history import Transcript
from artgen_tui.core.timeline import TimelineDiff, diff
from artgen_tui.core.workspace import Workspace

HEARTBEAT_TICK = 1.0
"""Longest gap between :class:`Heartbeat` events while the agent is quiet (seconds)."""

RECOVERY_DELAYS: tuple[float, ...] = (30.0, 60.0)
"""Seconds before each state poll after a dropped stream (the last one repeats)."""
RECOVERY_MAX_UNCHANGED = 5
"""Unchanged polls after a drop before giving up when nothing has changed at all."""
RECOVERY_SETTLED_POLLS = 2
"""Unchanged polls after the last change before the work is taken to be finished."""

TEMPORARY_ISSUE = "I encountered a temporary issue"
INTERRUPTED_NOTE = (
    "The connection dropped before the agent finished; the timeline above is what it has done "
    "so far. Check again later with /status."
)


@dataclass(frozen=True)
class TextChunk:
    """Reply text to append (Markdown)."""

    text: str


@dataclass(frozen=True)
class ToolActivity:
    """The agent started a tool; ``label`` is a dim marker like ``working: generate video``."""

    name: str
    label: str


@dataclass(frozen=True)
class Heartbeat:
    """The agent is still busy; ``elapsed`` seconds since the turn began."""

    elapsed: float


@dataclass(frozen=True)
class StillWorking:
    """Nothing but keep-alives for a while: show "⏳ Still working…"."""

    elapsed: float

    @property
    def text(self) -> str:
        minutes = int(self.elapsed // 60)
        took = f"{minutes} min" if minutes else f"{int(self.elapsed)} s"
        return f"⏳ Still working… ({took})"


@dataclass(frozen=True)
class TimelineChanged:
    state: SessionState
    diff: TimelineDiff


@dataclass(frozen=True)
class SessionChanged:
    """The server lost the session, so the turn continued in a new one."""

    session: SessionInfo


@dataclass(frozen=True)
class TurnDone:
    """The turn is over. ``reply`` is the text to keep (the diff sentence on a silent close)."""

    reply: str
    silent: bool
    diff: TimelineDiff | None
    credits: Credits | None
    interrupted: bool = False
    actions: list[GuiAction] = field(default_factory=list)
    """GUI instructions found in the reply (see :mod:`artgen_tui.core.gui_phrases`)."""


TurnEvent = (
    TextChunk
    | ToolActivity
    | Heartbeat
    | StillWorking
    | TimelineChanged
    | SessionChanged
    | TurnDone
)


def tool_label(name: str) -> str:
    """``generate_video_with_seedance`` → ``working: generate video with seedance``."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return f"working: {' '.join(words.lower().split()) or 'tool'}"


def strip_temporary_issue(text: str) -> str:
    """Drop a trailing "I encountered a temporary issue…" sentence that follows normal output."""
    index = text.lower().rfind(TEMPORARY_ISSUE.lower())
    if index <= 0 or not text[:index].strip():
        return text
    return text[:index].rstrip()


class TrailingIssueFilter:
    """Holds back streamed text that may be the "I encountered a temporary issue" tail.

    Once normal text has been shown, a chunk that starts (or could start) that sentence is kept
    until later text proves it was something else; if the stream ends first, it is dropped.
    """

    def __init__(self) -> None:
        self._shown = False
        self._held = ""

    def feed(self, chunk: str) -> str:
        """The text to show now (possibly empty)."""
        if not self._shown:
            self._shown = bool(chunk.strip())
            return chunk
        candidate = (self._held + chunk).lstrip().lower()
        phrase = TEMPORARY_ISSUE.lower()
        if candidate and (candidate.startswith(phrase) or phrase.startswith(candidate)):
            self._held += chunk
            return ""
        out, self._held = self._held + chunk, ""
        return out

    def finish(self) -> str:
        """Text still held at the end: dropped if it is the issue sentence, else returned."""
        held, self._held = self._held, ""
        if held.lstrip().lower().startswith(TEMPORARY_ISSUE.lower()):
            return ""
        return held


class _End:
    pass


@dataclass
class _Failed:
    error: BaseException


_Item = ev.ChatEvent | _End | _Failed


async def _pump(stream: AsyncIterator[ev.ChatEvent], queue: asyncio.Queue[_Item]) -> None:
    try:
        async for item in stream:
            queue.put_nowait(item)
        queue.put_nowait(_End())
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        queue.put_nowait(_Failed(exc))
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(BaseException):
                await aclose()


async def _next(queue: asyncio.Queue[_Item], timeout: float) -> _Item:
    """The next stream item, or a local heartbeat after ``timeout`` seconds of silence.

    ``asyncio.timeout`` rather than ``wait_for``: on Python 3.11 ``wait_for`` can swallow a
    cancellation that races with the item arriving, and the turn would not stop.
    """
    try:
        return queue.get_nowait()
    except asyncio.QueueEmpty:
        pass
    try:
        async with asyncio.timeout(timeout):
            return await queue.get()
    except TimeoutError:
        return ev.Heartbeat()


def _merge_queued_text(text: str, queue: asyncio.Queue[_Item]) -> tuple[str, _Item | None]:
    """Join the text deltas already waiting behind ``text`` into one chunk.

    A fast stream then costs the consumer one event per batch instead of one per delta (5,000
    tiny deltas become a handful of chunks when the UI is busy drawing). Returns the joined text
    and the first queued item that is not text, which must be handled next.
    """
    parts = [text]
    while True:
        try:
            item = queue.get_nowait()
        except asyncio.QueueEmpty:
            return "".join(parts), None
        if not isinstance(item, ev.TextDelta):
            return "".join(parts), item
        parts.append(item.text)


async def run_turn(
    ws: Workspace,
    text: str,
    *,
    still_working_interval: float | None = None,
    record: bool = True,
    recovery_delays: Sequence[float] = RECOVERY_DELAYS,
) -> AsyncIterator[TurnEvent]:
    """Run one chat turn and yield its events; the last one is always :class:`TurnDone`.

    ``record`` appends the message and the reply to the session's local transcript. If the
    stream breaks off, the agent usually keeps working server-side, so the state is polled after
    each of ``recovery_delays`` (the last one repeating) until it stops changing; see
    :func:`_catch_up`. Raises :class:`ApiError` subclasses (e.g. ``InsufficientCredits``).
    """
    interval = still_working_interval or ws.settings.still_working_interval
    tick = min(HEARTBEAT_TICK, interval)
    started = time.monotonic()
    session_at_start = ws.session_id
    before = ws.last_state
    if before is None:
        with contextlib.suppress(ApiError):
            before = await ws.state()
    if ws.session_id != session_at_start:
        yield SessionChanged(ws.session)
    if record:
        Transcript(ws.session_id).append("user", text)

    shown: list[str] = []  # text already yielded
    text_filter = TrailingIssueFilter()
    interrupted = False
    latest = before
    retried = False
    new_paragraph = False  # text after a tool step starts a new paragraph

    while True:
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        pump = asyncio.create_task(_pump(ws.client.stream_chat(ws.session_id, text), queue))
        got_any = False
        restart = False
        lookahead: _Item | None = None
        try:
            last_beat = last_activity = time.monotonic()
            while True:
                if lookahead is not None:
                    item, lookahead = lookahead, None
                else:
                    item = await _next(queue, tick)
                now = time.monotonic()
                if isinstance(item, _End):
                    break
                if isinstance(item, _Failed):
                    error = item.error
                    if isinstance(error, SessionNotFound) and not got_any and not retried:
                        retried = True
                        info = await ws.recover_session()
                        yield SessionChanged(info)
                        before = latest = None
                        restart = True
                        break
                    if isinstance(error, StreamInterrupted) or (
                        got_any and isinstance(error, ApiError) and error.transient
                    ):
                        interrupted = True
                        break
                    raise error
                if not isinstance(item, ev.Heartbeat):
                    got_any = True
                if isinstance(item, ev.Heartbeat):
                    if now - last_activity >= interval:
                        last_activity = now
                        yield StillWorking(now - started)
                    if now - last_beat >= tick * 0.5:
                        last_beat = now
                        yield Heartbeat(now - started)
                    continue
                last_activity = now
                if isinstance(item, ev.TextDelta):
                    chunk, lookahead = _merge_queued_text(item.text, queue)
                    if not chunk:
                        continue
                    chunk = text_filter.feed(chunk)
                    if not chunk:
                        continue
                    if new_paragraph and shown and not shown[-1].endswith("\n"):
                        chunk = "\n\n" + chunk.lstrip()
                    new_paragraph = False
                    shown.append(chunk)
                    yield TextChunk(chunk)
                elif isinstance(item, ev.ToolCall):
                    new_paragraph = True
                    yield ToolActivity(item.name, tool_label(item.name))
                elif isinstance(item, ev.ToolResult):
                    new_paragraph = True
                    changed = await _refresh(ws, latest)
                    if changed is not None:
                        latest = changed.state
                        yield changed
                elif isinstance(item, ev.StreamError):
                    if not shown:
                        raise ServerError(f"The agent reported an error: {item.message}")
                    interrupted = True
        finally:
            if not pump.done():
                pump.cancel()
            with contextlib.suppress(BaseException):
                await pump
        if not restart:
            break
        # The session was replaced: send the message again, once, in the new one.

    final: SessionState | None = latest
    with contextlib.suppress(ApiError):
        final = await ws.state()
    if final is not None and final is not latest:
        step = diff(latest, final)
        if not step.empty or latest is None:
            yield TimelineChanged(final, step)
    if interrupted and recovery_delays:
        async for event in _catch_up(ws, final, recovery_delays, interval, started):
            if isinstance(event, TimelineChanged):
                final = event.state
            yield event
    turn_diff = diff(before, final) if final is not None else None

    tail = text_filter.finish()
    if tail:
        shown.append(tail)
        yield TextChunk(tail)
    reply = strip_temporary_issue("".join(shown)).strip()
    silent = not reply
    if silent:
        reply = (
            turn_diff.sentence if turn_diff is not None else "The agent finished without a reply."
        )
        if interrupted:
            reply = f"{reply} {INTERRUPTED_NOTE}"
        yield TextChunk(reply)
    elif interrupted:
        yield TextChunk(f"\n\n{INTERRUPTED_NOTE}")
        reply = f"{reply}\n\n{INTERRUPTED_NOTE}"

    credits: Credits | None = None
    with contextlib.suppress(ApiError):
        credits = await ws.credits()
    if record:
        Transcript(ws.session_id).append("assistant", reply)
    yield TurnDone(
        reply=reply,
        silent=silent,
        diff=turn_diff,
        credits=credits,
        interrupted=interrupted,
        actions=find_actions(reply),
    )


async def _catch_up(
    ws: Workspace,
    current: SessionState | None,
    delays: Sequence[float],
    interval: float,
    started: float,
) -> AsyncIterator[Heartbeat | StillWorking | TimelineChanged]:
    """Poll the state after a dropped stream while the agent finishes server-side.

    Stops after :data:`RECOVERY_SETTLED_POLLS` unchanged polls once something changed, or
    :data:`RECOVERY_MAX_UNCHANGED` unchanged polls if nothing did (protocol.md §6).
    """
    unchanged = 0
    changed_any = False
    last_notice = time.monotonic()
    for index in itertools.count():
        delay = delays[min(index, len(delays) - 1)]
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(HEARTBEAT_TICK, left))
            now = time.monotonic()
            yield Heartbeat(now - started)
            if now - last_notice >= interval:
                last_notice = now
                yield StillWorking(now - started)
        try:
            state = await ws.state()
        except ApiError:
            unchanged += 1
        else:
            step = diff(current, state)
            if step.empty:
                unchanged += 1
            else:
                unchanged, changed_any, current = 0, True, state
                last_notice = time.monotonic()
                yield TimelineChanged(state, step)
        limit = RECOVERY_SETTLED_POLLS if changed_any else RECOVERY_MAX_UNCHANGED
        if unchanged >= limit:
            return


async def _refresh(ws: Workspace, previous: SessionState | None) -> TimelineChanged | None:
    """Fetch state after a tool result; an event only when the timeline actually changed."""
    try:
        state = await ws.state()
    except ApiError:
        return None
    step = diff(previous, state)
    if step.empty and previous is not None:
        return None
    return TimelineChanged(state, step)
