"""Running a chat turn from the app: the spend guard before it, the turn on screen
(:mod:`artgen_tui.tui.turn_view`), what it cost after it, and Esc.

One turn runs at a time (an exclusive ``turn`` worker); the garbage collector is kept out of
its way (:mod:`artgen_tui.tui.gc_policy`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.tui.connection import session_label
from artgen_tui.tui.gc_policy import CollectorPolicy
from artgen_tui.tui.host import AppServices, MainParts

if TYPE_CHECKING:
    from textual.timer import Timer

    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.notify import Notifier, TurnOutcome
    from artgen_tui.tui.queue_flow import QueueFlow
    from artgen_tui.tui.spend_view import SpendView
    from artgen_tui.tui.turn_view import TurnState, TurnView

NOT_SENT = "Not sent; your message is back in the prompt."
BACK = "Your message is back in the prompt."
BACK_ABOVE = "Your message is back in the prompt, above what you had typed."


class TurnHost(AppServices, MainParts, Protocol):
    """What running a turn uses of the app."""

    ws: Workspace | None
    ready: bool
    turns: TurnView
    spend: SpendView
    errors: ErrorView
    notifier: Notifier
    queue_flow: QueueFlow

    def set_ready(self) -> None: ...
    def has_timeline(self) -> bool | None: ...
    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...


class TurnFlow:
    def __init__(self, app: TurnHost) -> None:
        self.app = app
        self.collector = CollectorPolicy()

    def start(self, text: str) -> None:
        turn = self.app.turns.begin(text)
        turn.worker = self.app.run_worker(
            self._run(turn), name="turn", group="turn", exclusive=True, exit_on_error=False
        )
        self.app.notifier.turn_started()

    async def _run(self, turn: TurnState) -> None:
        app, ws = self.app, self.app.ws
        if ws is None:
            return
        self.collector.turn_started()
        outcome: TurnOutcome = "failed"  # unless it gets to the end, or is stopped by the user
        try:
            kind = app.spend.kind_of(turn.text, app.has_timeline())
            if not await app.spend.allowed(kind):
                outcome = "silent"
                app.turns.end(turn)
                app.prompt.restore(turn.text)
                await app.chat.add_notice(NOT_SENT, "info")
                return
            pending = await app.spend.begin(ws, kind)
            await app.turns.run(ws, turn)
            outcome = "done"
            await app.spend.report(pending, turn.credits_after)
        except ApiError as exc:
            await app.errors.api_error(exc)
        except asyncio.CancelledError:
            outcome = "silent"  # Esc: the user knows
            raise
        finally:
            app.notifier.turn_ended(outcome)
            self.collector.turn_finished()
            self.collector.collect_when_idle(app.set_timer, lambda: app.turns.running)
            if app.turns.end(turn) and app.ready:
                app.set_ready()
            app.status.set_session(*session_label(ws))

    def cancel(self) -> None:
        """Esc: stop reading the reply in progress, put the message back in the prompt and watch
        what the server still does; with no reply running, drop the newest queued message.

        Text typed meanwhile (and not sent) stays: the message comes back above it, after a
        blank line, so neither is lost and nothing is sent until the user says so."""
        app = self.app
        text = app.turns.cancel()
        if text is None:
            app.queue_flow.remove_newest()
            return
        if app.ready:
            app.set_ready()
        typed = app.prompt.text
        app.prompt.restore(f"{text}\n\n{typed}" if typed.strip() else text)
        app.prompt.focus()
        back = BACK_ABOVE if typed.strip() else BACK
        if app.ws is not None:
            work = app.queue_flow.cancelled(app.ws, back)
            app.run_worker(work, group="watch", exit_on_error=False)

    def failed(self) -> None:
        """The turn's worker raised (shown by the app): the status bar stops saying it works."""
        self.app.status.stop_timer()
        if self.app.ready:
            self.app.set_ready()
