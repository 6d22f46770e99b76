"""The spend guard on screen: the estimate beside the balance while typing, a question before a
request over the balance or the limit, and what each request actually cost after it.

The rules (prices, history, limits) are :class:`artgen_tui.core.spend.SpendGuard`'s; this module
only decides where they show.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from artgen_tui.api.errors import ApiError
from artgen_tui.core.spend import Estimate, SpendGuard, SpendKind, classify, cost_sentence
from artgen_tui.tui.screens.spend_confirm import SpendConfirm

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Pending:
    """A request being sent: its kind and the balance just before it."""

    kind: SpendKind
    before: Credits | None


class SpendView:
    def __init__(
        self,
        status: Callable[[], StatusBar],
        say: Callable[[str, str], Awaitable[object]],
        show_modal: Callable[[SpendConfirm], Awaitable[bool | None]],
    ) -> None:
        """``show_modal`` pushes the confirm dialog and waits for its answer."""
        self._status = status
        self._say = say
        self._show_modal = show_modal
        self.guard: SpendGuard | None = None

    async def allowed(self, kind: SpendKind | None, what: str = "") -> bool:
        """Ask first when the estimate is over the balance or the ``[spend] limit``."""
        estimate = self.estimate(kind, what) if kind is not None else None
        return (
            estimate is None
            or not estimate.needs_confirmation
            or bool(await self._show_modal(SpendConfirm(estimate)))
        )

    async def priced(
        self,
        ws: Workspace,
        kind: SpendKind,
        work: Callable[[], Awaitable[T]],
        what: str = "",
        then: Callable[[T, int | None], Awaitable[object]] | None = None,
    ) -> None:
        """Run ``work`` once the user agreed to its price, then say what it actually cost. With
        ``then``, ``work`` is only the request (an export's submission) and ``then`` gets its
        result and its cost (``None``: not measured) to carry on (follow the export)."""
        if not await self.allowed(kind, what):
            return
        pending = await self.begin(ws, kind)
        result = await work()
        cost = await self.report(pending, await self.balance(ws), quiet_if_free=True)
        if then is not None:
            await then(result, cost)

    def connected(self, ws: Workspace) -> None:
        """One guard per identity (its session total restarts with a new connection's account)."""
        if self.guard is None or self.guard.identity != ws.identity:
            self.guard = SpendGuard(ws.identity, limit=ws.settings.spend.limit)

    def typed(self, text: str, has_timeline: bool | None = None) -> Estimate | None:
        """Price what is in the prompt and show it beside the balance (``None``: free)."""
        estimate = None
        if self.guard is not None and text.strip():
            kind = classify(text, has_timeline=has_timeline)
            if kind is not None:
                estimate = self.guard.estimate(kind, self._status().credits)
        self._status().set_estimate(estimate)
        return estimate

    def kind_of(self, text: str, has_timeline: bool | None) -> SpendKind | None:
        return classify(text, has_timeline=has_timeline)

    def estimate(self, kind: SpendKind, what: str = "") -> Estimate | None:
        if self.guard is None:
            return None
        return self.guard.estimate(kind, self._status().credits, what=what)

    @staticmethod
    async def balance(ws: Workspace) -> Credits | None:
        """The balance right before a request (``None`` when the server cannot say)."""
        try:
            return await ws.credits()
        except ApiError as exc:
            log.info("balance before a request unavailable: %s", exc)
            return None

    async def begin(
        self, ws: Workspace, kind: SpendKind | None, *, fresh: bool = False
    ) -> Pending | None:
        """The balance just before a priced request (``None``: a free local command). The last
        balance the workspace saw is used (every turn and export ends by reading it), so a turn
        sends nothing extra; ``fresh`` asks the server."""
        self._status().set_estimate(None)
        if kind is None:
            return None
        before = ws.last_credits if not fresh and ws.last_credits is not None else None
        return Pending(kind, before or await self.balance(ws))

    async def report(
        self, pending: Pending | None, after: Credits | None, *, quiet_if_free: bool = False
    ) -> int | None:
        """Record and say what the request cost; the status bar keeps the run's total."""
        if self.guard is None or pending is None or pending.before is None or after is None:
            return None
        if quiet_if_free and after.available == pending.before.available:
            return 0
        cost = self.guard.record(pending.kind, pending.before, after)
        await self._say(cost_sentence(pending.before, after), "marker")
        self._status().set_session_total(self.guard.session_total)
        return cost
