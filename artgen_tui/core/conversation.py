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
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from artgen_tui.api import events as ev
from artgen_tui.api.errors import ApiError, ServerError, SessionNotFound, StreamInterrupted
from artgen_tui.core.gui_phrases import GuiAction, find_actions
from artgen_tui.core.history import Transcript
from artgen_tui.core.timeline import (
    LARGE_TIMELINE,
    Fingerprint,
    TimelineDiff,
    diff,
    fingerprint,
    segment_count,
)

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits, SessionInfo, SessionState
    from artgen_tui.core.workspace import Workspace

log = logging.getLogger(__name__)

HEARTBEAT_TICK = 1.0
"""Longest gap between :class:`Heartbeat` events while the agent is quiet (seconds)."""

RECOVERY_DELAYS: tuple[float, ...] = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before each state poll after a dropped stream (the last one repeats): at once, then
backing off. ``[network] recovery_delays`` replaces it."""
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
    """The timeline changed during the turn. ``diff`` is against the state before the turn, so it
    highlights everything the turn has changed so far (the faces never diff themselves)."""

    state: SessionState
    diff: TimelineDiff


@dataclass(frozen=True)
class Notice:
    """Something the workspace wants the user to know, raised during the turn (a rate-limit wait,
    a new token, a lost session replaced); yielded in order with the reply."""

    text: str


@dataclass(frozen=True)
class StreamDropped(Notice):
    """The reply stream broke off; the session is being checked for what the agent did."""

    text: str = "Connection dropped, checking…"


@dataclass(frozen=True)
class SessionChanged:
    """The server lost the session, so the turn continued in a new one."""

    session: SessionInfo


@dataclass(frozen=True)
class TurnDone:
    """The turn is over. ``reply`` is the text to keep (the diff sentence on a silent close).

    ``state`` is the settled session state and ``diff`` the turn's one diff (the same object the
    last :class:`TimelineChanged` carried, when there was one): nothing needs re-reading after.
    """

    reply: str
    silent: bool
    diff: TimelineDiff | None
    credits: Credits | None
    state: SessionState | None = None
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
    | Notice
    | StreamDropped
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


@dataclass
class _Turn:
    """What one turn has gathered so far, shared by its streaming, settling and reply parts."""

    ws: Workspace
    text: str
    interval: float
    tick: float
    started: float
    before: SessionState | None
    latest: SessionState | None = None
    diff: TimelineDiff | None = None
    """The diff from :attr:`before` to :attr:`latest` once the timeline changed."""
    latest_mark: Fingerprint | None = None
    """:func:`~artgen_tui.core.timeline.fingerprint` of :attr:`latest`, once computed."""
    shown: list[str] = field(default_factory=list)
    """Text already yielded."""
    text_filter: TrailingIssueFilter = field(default_factory=TrailingIssueFilter)
    interrupted: bool = False
    new_paragraph: bool = False
    """Text after a tool step starts a new paragraph."""

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def session_replaced(self) -> None:
        self.before = self.latest = self.diff = self.latest_mark = None

    def observe(self, state: SessionState) -> TimelineChanged | None:
        """Take in a fetched state: an event when the timeline changed since the last one.

        "Changed" compares fingerprints; the one diff, against the state before the turn, is
        computed only then.
        """
        mark = fingerprint(state)
        if self.latest is not None:
            if self.latest_mark is None:
                self.latest_mark = fingerprint(self.latest)
            if mark == self.latest_mark:
                self.latest = state
                return None
        changed = diff(self.before, state)
        self.latest, self.latest_mark, self.diff = state, mark, changed
        return TimelineChanged(state, changed)

    def turn_diff(self) -> TimelineDiff | None:
        if self.latest is None:
            return None
        return self.diff if self.diff is not None else diff(self.before, self.latest)


async def run_turn(
    ws: Workspace,
    text: str,
    *,
    still_working_interval: float | None = None,
    record: bool = True,
    recovery_delays: Sequence[float] | None = None,
) -> AsyncIterator[TurnEvent]:
    """Run one chat turn and yield its events; the last one is always :class:`TurnDone`.

    ``record`` appends the message and the reply to the session's local transcript. If the
    stream breaks off, the agent usually keeps working server-side, so the state is polled after
    each of ``recovery_delays`` (the last one repeating; default ``[network] recovery_delays``)
    until it stops changing; see :func:`_catch_up`. :class:`StreamDropped` says so at once.
    Workspace notices raised meanwhile become :class:`Notice` events, each yielded before the
    event that followed it (or before the error, when the turn fails). Raises :class:`ApiError`
    subclasses (e.g. ``InsufficientCredits``).
    """
    if recovery_delays is None:
        recovery_delays = tuple(ws.settings.network.recovery_delays)
    events = _turn_events(ws, text, still_working_interval, record, recovery_delays)
    done = False
    try:
        with ws.capture_notices() as notices:
            try:
                async with contextlib.aclosing(events):
                    async for event in events:
                        while notices:
                            yield Notice(notices.pop(0))
                        done = done or isinstance(event, TurnDone)
                        yield event
            except ApiError:
                # What happened on the way to the failure (a rate-limit wait, a new token) is
                # still said, before the error.
                while notices:
                    yield Notice(notices.pop(0))
                raise
    except ApiError as exc:
        if record and not done:
            Transcript(ws.session_id).mark("failed", exc.user_text())
        raise
    except BaseException:
        if record and not done:
            Transcript(ws.session_id).mark("cancelled")
        raise


async def _turn_events(
    ws: Workspace,
    text: str,
    still_working_interval: float | None,
    record: bool,
    recovery_delays: Sequence[float],
) -> AsyncGenerator[TurnEvent, None]:
    interval = still_working_interval or ws.settings.still_working_interval
    session_at_start = ws.session_id
    before = ws.last_state
    credits_before = ws.last_credits
    if before is None:
        try:
            before = await ws.state()
        except ApiError as exc:
            log.info("state before the turn unavailable: %s", exc)
    turn = _Turn(ws, text, interval, min(HEARTBEAT_TICK, interval), time.monotonic(), before)
    turn.latest = before
    if ws.session_id != session_at_start:
        yield SessionChanged(ws.session)
    if record:
        Transcript(ws.session_id).append("user", text)
    async with contextlib.aclosing(_stream(turn)) as streamed:
        async for event in streamed:
            yield event
    async with contextlib.aclosing(_settle(turn, recovery_delays)) as settled:
        async for event in settled:
            yield event
    tail = turn.text_filter.finish()
    if tail:
        turn.shown.append(tail)
        yield TextChunk(tail)
    turn_diff = turn.turn_diff()
    reply, extra = compose_reply("".join(turn.shown), turn_diff, turn.interrupted)
    if extra:
        yield TextChunk(extra)
    credits: Credits | None = None
    try:
        credits = await ws.credits()
    except ApiError as exc:
        log.info("credits after the turn unavailable: %s", exc)
    if record:
        spent = _spent(credits_before, credits)
        Transcript(ws.session_id).append("assistant", reply.text, credits=spent)
    yield TurnDone(
        reply=reply.text,
        silent=reply.silent,
        diff=turn_diff,
        credits=credits,
        state=turn.latest,
        interrupted=turn.interrupted,
        actions=find_actions(reply.text),
    )


def _spent(before: Credits | None, after: Credits | None) -> int | None:
    """Credits the turn cost as far as this run saw them (``None`` when unknown)."""
    if before is None or after is None:
        return None
    return max(0, before.available - after.available)


@dataclass(frozen=True)
class Reply:
    text: str
    silent: bool


def compose_reply(
    shown: str, turn_diff: TimelineDiff | None, interrupted: bool
) -> tuple[Reply, str]:
    """The reply to keep, and the text still to show after what was streamed (may be empty).

    A silent close gets the diff sentence; an interrupted turn says so.
    """
    text = strip_temporary_issue(shown).strip()
    if not text:
        sentence = (
            turn_diff.sentence if turn_diff is not None else "The agent finished without a reply."
        )
        if interrupted:
            sentence = f"{sentence} {INTERRUPTED_NOTE}"
        return Reply(sentence, silent=True), sentence
    if interrupted:
        return Reply(f"{text}\n\n{INTERRUPTED_NOTE}", silent=False), f"\n\n{INTERRUPTED_NOTE}"
    return Reply(text, silent=False), ""


async def _stream(turn: _Turn) -> AsyncGenerator[TurnEvent, None]:
    """Send the message and relay the stream; once more in a new session if the server lost
    the session before anything arrived."""
    ws = turn.ws
    for attempt in range(2):
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        pump = asyncio.create_task(_pump(ws.client.stream_chat(ws.session_id, turn.text), queue))
        try:
            outcome = _Outcome()
            async with contextlib.aclosing(_relay(turn, queue, outcome)) as relayed:
                async for event in relayed:
                    yield event
        finally:
            if not pump.done():
                pump.cancel()
            with contextlib.suppress(BaseException):
                await pump
        if outcome.error is None:
            return
        if isinstance(outcome.error, SessionNotFound) and not outcome.got_any and attempt == 0:
            log.info("session lost at the start of the turn; sending again in a new one")
            info = await ws.recover_session()
            turn.session_replaced()
            yield SessionChanged(info)
            continue
        if isinstance(outcome.error, StreamInterrupted) or (
            outcome.got_any and isinstance(outcome.error, ApiError) and outcome.error.transient
        ):
            log.info("reply stream dropped: %s", outcome.error)
            turn.interrupted = True
            return
        raise outcome.error


@dataclass
class _Outcome:
    got_any: bool = False
    error: BaseException | None = None


async def _relay(
    turn: _Turn, queue: asyncio.Queue[_Item], outcome: _Outcome
) -> AsyncGenerator[TurnEvent, None]:
    """Turn stream items into events until the stream ends (or fails: see ``outcome``)."""
    last_beat = last_activity = time.monotonic()
    lookahead: _Item | None = None
    while True:
        if lookahead is not None:
            item, lookahead = lookahead, None
        else:
            item = await _next(queue, turn.tick)
        now = time.monotonic()
        if isinstance(item, _End):
            return
        if isinstance(item, _Failed):
            outcome.error = item.error
            return
        if isinstance(item, ev.Heartbeat):
            if now - last_activity >= turn.interval:
                last_activity = now
                yield StillWorking(now - turn.started)
            if now - last_beat >= turn.tick * 0.5:
                last_beat = now
                yield Heartbeat(now - turn.started)
            continue
        outcome.got_any = True
        last_activity = now
        if isinstance(item, ev.TextDelta):
            chunk, lookahead = _merge_queued_text(item.text, queue)
            shown = _show_text(turn, chunk)
            if shown is not None:
                yield shown
        else:
            async with contextlib.aclosing(_step(turn, item)) as stepped:
                async for event in stepped:
                    yield event


def _show_text(turn: _Turn, chunk: str) -> TextChunk | None:
    chunk = turn.text_filter.feed(chunk) if chunk else ""
    if not chunk:
        return None
    if turn.new_paragraph and turn.shown and not turn.shown[-1].endswith("\n"):
        chunk = "\n\n" + chunk.lstrip()
    turn.new_paragraph = False
    turn.shown.append(chunk)
    return TextChunk(chunk)


async def _step(turn: _Turn, item: ev.ChatEvent) -> AsyncGenerator[TurnEvent, None]:
    """A tool call, a tool result (refresh the state) or an error the agent reported."""
    if isinstance(item, ev.ToolCall):
        turn.new_paragraph = True
        yield ToolActivity(item.name, tool_label(item.name))
    elif isinstance(item, ev.ToolResult):
        turn.new_paragraph = True
        changed = await _refresh(turn)
        if changed is not None:
            yield changed
    elif isinstance(item, ev.StreamError):
        if not turn.shown:
            raise ServerError(f"The agent reported an error: {item.message}")
        log.info("agent reported an error after replying: %s", item.message)
        turn.interrupted = True


async def _settle(turn: _Turn, recovery_delays: Sequence[float]) -> AsyncGenerator[TurnEvent, None]:
    """After the stream: fetch the final state, and poll while a dropped turn finishes.

    A silent turn that shows no change yet is checked once more after ``settle_recheck``: the
    service may write a turn's last change just after its stream reports the turn done.
    """
    if turn.interrupted:
        yield StreamDropped()
    try:
        final = await turn.ws.state()
    except ApiError as exc:
        log.info("state after the turn unavailable: %s", exc)
    else:
        changed = await _observe(turn, final)
        if changed is not None:
            yield changed
    if not turn.interrupted and turn.diff is None and not "".join(turn.shown).strip():
        recheck = turn.ws.settings.network.settle_recheck
        if recheck > 0:
            await asyncio.sleep(recheck)
            log.info("no change after the turn yet; checking the state once more")
            changed = await _refresh(turn)
            if changed is not None:
                yield changed
    if turn.interrupted and recovery_delays:
        async with contextlib.aclosing(_catch_up(turn, recovery_delays)) as polled:
            async for event in polled:
                yield event


async def _catch_up(
    turn: _Turn, delays: Sequence[float]
) -> AsyncGenerator[Heartbeat | StillWorking | TimelineChanged, None]:
    """Poll the state after a dropped stream while the agent finishes server-side.

    Stops after :data:`RECOVERY_SETTLED_POLLS` unchanged polls once something changed, or
    :data:`RECOVERY_MAX_UNCHANGED` unchanged polls if nothing did (docs/protocol.md §6).
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
            yield Heartbeat(turn.elapsed())
            if now - last_notice >= turn.interval:
                last_notice = now
                yield StillWorking(turn.elapsed())
        changed = await _refresh(turn)
        if changed is None:
            unchanged += 1
        else:
            unchanged, changed_any = 0, True
            last_notice = time.monotonic()
            yield changed
        limit = RECOVERY_SETTLED_POLLS if changed_any else RECOVERY_MAX_UNCHANGED
        log.info("catching up after a dropped stream: poll %d, %d unchanged", index + 1, unchanged)
        if unchanged >= limit:
            return


async def _refresh(turn: _Turn) -> TimelineChanged | None:
    """Fetch the state; an event only when the timeline actually changed."""
    try:
        state = await turn.ws.state()
    except ApiError as exc:
        log.info("state refresh failed: %s", exc)
        return None
    return await _observe(turn, state)


async def _observe(turn: _Turn, state: SessionState) -> TimelineChanged | None:
    """:meth:`_Turn.observe`; a large timeline is compared on a worker thread, so the event loop
    (the app's) stays free while thousands of segments are diffed."""
    if segment_count(state.draft) > LARGE_TIMELINE:
        return await asyncio.to_thread(turn.observe, state)
    return turn.observe(state)
