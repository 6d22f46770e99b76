"""The spend guard's headless face: price a request before it is sent, report its cost after.

The rules (estimates, limits, history) live in :mod:`artgen_tui.core.spend`; this module only
decides what ``artgen chat``/``export``/``batch`` print and when they refuse (exit 1 unless
``--yes``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from artgen_tui.api.errors import ApiError
from artgen_tui.api.models import Credits
from artgen_tui.core.spend import Estimate, SpendGuard, SpendKind, cost_sentence
from artgen_tui.core.workspace import Workspace

if TYPE_CHECKING:
    from artgen_tui.cli import Output

log = logging.getLogger(__name__)

YES_HINT = "Nothing was sent. Run again with --yes to send it anyway."


@dataclass
class Priced:
    """A request that passed (or failed) the guard, with the balance seen before it."""

    guard: SpendGuard
    kind: SpendKind | None
    before: Credits | None
    estimate: Estimate | None
    refused: bool = False


def guard_for(ws: Workspace) -> SpendGuard:
    return SpendGuard(ws.identity, limit=ws.settings.spend.limit)


async def balance(ws: Workspace) -> Credits | None:
    """The balance now, or ``None`` when the server cannot say (the guard then prices blind)."""
    try:
        return await ws.credits()
    except ApiError as exc:
        log.info("balance unavailable, pricing without it: %s", exc)
        return None


def judge(out: Output, estimate: Estimate, yes: bool) -> bool:
    """Show the estimate; ``True`` when the request must not be sent (over balance or limit and
    no ``--yes``)."""
    out.emit("estimate", **estimate.to_json())
    if not estimate.needs_confirmation:
        out.note(f"artgen: {estimate.sentence}", dim=True)
        return False
    if yes:
        out.note(f"artgen: {estimate.sentence} Sending anyway (--yes).")
        return False
    out.error(f"{estimate.sentence} {YES_HINT}")
    return True


async def check(
    out: Output, ws: Workspace, kind: SpendKind | None, *, yes: bool, what: str = ""
) -> Priced:
    """Price one request of ``kind`` (``None``: free, not priced) before it is sent; ``what``
    names it in the sentence (``preview``)."""
    guard = guard_for(ws)
    before = await balance(ws)
    if kind is None:
        return Priced(guard, None, before, None)
    estimate = guard.estimate(kind, before, what=what)
    return Priced(guard, kind, before, estimate, refused=judge(out, estimate, yes))


def report(out: Output, priced: Priced, after: Credits | None) -> int | None:
    """After the request: print and record what it cost (``None`` when a balance is unknown)."""
    if priced.kind is None or priced.before is None or after is None:
        return None
    cost = priced.guard.record(priced.kind, priced.before, after)
    out.emit(
        "cost",
        request=priced.kind,
        credits=cost,
        before=priced.before.model_dump(),
        after=after.model_dump(),
        session_total=priced.guard.session_total,
    )
    out.note(f"artgen: {cost_sentence(priced.before, after)}")
    return cost
