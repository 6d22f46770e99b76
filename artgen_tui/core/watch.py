"""After a cancel: keep watching the project and the credits for a bounded time.

Cancelling only stops *reading* the reply; the agent may still finish on the server and charge.
:func:`watch_after_cancel` polls the state and the credits every ``poll`` seconds for at most
``seconds`` and yields what changed, so both faces can say so honestly. It stops early once a
change was seen and the state then stayed the same for :data:`SETTLED_POLLS` polls with no more
credits frozen than before (frozen credits mean the server still holds them for running work).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from artgen_tui.api.errors import ApiError
from artgen_tui.api.models import Credits, SessionState
from artgen_tui.core.timeline import TimelineDiff, diff
from artgen_tui.core.workspace import Workspace

log = logging.getLogger(__name__)

SETTLED_POLLS = 2
CANCEL_NOTICE = (
    "Stopped reading the reply. The agent may still finish on the server and may still charge "
    "credits; watching the project and credits for {seconds} s."
)


@dataclass(frozen=True)
class StateMoved:
    """The project changed after the cancel."""

    state: SessionState
    diff: TimelineDiff


@dataclass(frozen=True)
class CreditsMoved:
    """The balance changed after the cancel; ``charged`` is what the total dropped by."""

    credits: Credits
    charged: int


@dataclass(frozen=True)
class WatchDone:
    """The watch is over: ``changed`` when the project or the balance moved."""

    changed: bool
    charged: int

    @property
    def sentence(self) -> str:
        if not self.changed:
            return "Nothing changed on the server after the cancel."
        if self.charged:
            return f"The cancelled request finished on the server and cost {self.charged} credits."
        return "The cancelled request changed the project on the server."


WatchEvent = StateMoved | CreditsMoved | WatchDone


def charged(before: Credits | None, after: Credits) -> int:
    """Credits charged between two balances (frozen credits are not charged yet)."""
    if before is None:
        return 0
    return max(0, before.total - after.total)


async def watch_after_cancel(
    ws: Workspace,
    *,
    seconds: float,
    poll: float,
    credits: Credits | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[WatchEvent]:
    """Poll ``ws`` after a cancel; ``credits`` is the balance seen before (fetched if ``None``)."""
    state = ws.last_state
    base_credits = credits if credits is not None else await _credits(ws)
    seen_credits = base_credits
    changed, steady, total = False, 0, 0
    deadline = clock() + seconds
    while clock() < deadline:
        await sleep(min(poll, max(0.0, deadline - clock())))
        moved = False
        new_state = await _state(ws)
        if new_state is not None:
            change = diff(state, new_state)
            if not change.empty:
                moved = True
                yield StateMoved(new_state, change)
            state = new_state
        new_credits = await _credits(ws)
        if new_credits is not None and new_credits != seen_credits:
            moved = True
            seen_credits = new_credits
            total = charged(base_credits, new_credits)
            yield CreditsMoved(new_credits, total)
        changed = changed or moved
        steady = 0 if moved else steady + 1
        if changed and steady >= SETTLED_POLLS and not _holding(base_credits, seen_credits):
            break
    yield WatchDone(changed, total)


def _holding(before: Credits | None, now: Credits | None) -> bool:
    """More credits frozen than before: the server still holds them for running work."""
    return before is not None and now is not None and now.frozen > before.frozen


async def _state(ws: Workspace) -> SessionState | None:
    try:
        return await ws.state()
    except ApiError as exc:
        log.info("watch after cancel: state unavailable: %s", exc)
        return None


async def _credits(ws: Workspace) -> Credits | None:
    try:
        return await ws.credits()
    except ApiError as exc:
        log.info("watch after cancel: credits unavailable: %s", exc)
        return None
