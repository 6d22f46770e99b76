"""What the prompt does while a turn runs or a cancelled one may still be running.

* **Queue.** A read-only intent (:func:`artgen_tui.core.queue.runs_while_busy`) runs at once;
  anything else waits in :class:`~artgen_tui.core.queue.PromptQueue`, shown dimmed under the
  prompt by :class:`QueueBar`, and is sent in order once the turn has ended (its ``TurnDone``
  carries the settled state) and no after-cancel watch runs.
* **Esc order.** Esc first cancels the running turn; with no turn running it removes the newest
  queued message. (A modal screen takes Esc for itself first.)
* **Honest cancel.** After Esc the agent may still finish on the server: the chat says so, and
  :func:`artgen_tui.core.watch.watch_after_cancel` keeps watching state and credits for
  ``[cancel] watch_seconds``; a message for the agent typed in that window asks first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Protocol

from artgen_tui.core.queue import PromptQueue, runs_while_busy
from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.widgets.queue_bar import QueueBar

if TYPE_CHECKING:
    from artgen_tui.config import Settings
    from artgen_tui.core.intents import Intent
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.credits_view import CreditsView

log = logging.getLogger(__name__)

RESEND_QUESTION = "The previous request may still be running on the server; send anyway?"


class QueueHost(AppServices, MainParts, Protocol):
    """What the queue uses of the app."""

    @property
    def settings(self) -> Settings: ...

    credits: CreditsView

    @property
    def queue_bar(self) -> QueueBar: ...
    @property
    def turn_running(self) -> bool: ...
    def submit(
        self, text: str, *, confirmed: bool = False, queued: bool = False
    ) -> Awaitable[None]: ...


class QueueFlow:
    def __init__(self, app: QueueHost) -> None:
        self.app = app
        self.queue = PromptQueue()
        self.watching = False

    @property
    def bar(self) -> QueueBar:
        return self.app.queue_bar

    def holds(self, intent: Intent) -> bool:
        """Whether a typed ``intent`` must wait: a turn runs, or messages already wait (it goes
        after them, in order), or a cancelled request may still run (a message for the agent
        asks first instead, see :meth:`asks_first`)."""
        if runs_while_busy(intent):
            return False
        if self.app.turn_running or self.queue:
            return True
        return self.watching and intent.kind != "chat"

    def hold(self, text: str) -> None:
        """Queue a typed message (it leaves the prompt and joins its history)."""
        self.app.prompt.remember(text)
        self.app.prompt.clear()
        self.queue.add(text)
        self._show()

    def asks_first(self, intent: Intent) -> bool:
        """A message for the agent while a cancelled request may still run asks first."""
        return self.watching and intent.kind == "chat"

    def ask_resend(self, text: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.app.call_later(self.app.submit, text, confirmed=True)

        self.app.push_screen(ConfirmScreen(RESEND_QUESTION, title="Send again?"), answered)

    def remove_newest(self) -> bool:
        """Esc with no turn to cancel: drop the newest queued message."""
        text = self.queue.pop_newest()
        if text is None:
            return False
        self._show()
        self.app.notify(f"Removed from the queue: {text[:60]}", timeout=3, markup=False)
        return True

    def pull(self, index: int) -> None:
        """Put a queued message back into the prompt to edit it."""
        text = self.queue.take(index)
        if text is not None:
            self._show()
            self.app.prompt.restore(text)
            self.app.prompt.focus()

    async def drain(self) -> None:
        """Send queued messages in order while nothing runs; a turn started stops the loop (the
        rest goes when it ends)."""
        while self.queue and not self.app.turn_running and not self.watching:
            text = self.queue.next()
            self._show()
            if text is not None:
                await self.app.submit(text, confirmed=True, queued=True)

    def _show(self) -> None:
        self.bar.show_items(list(self.queue.items))

    # --- after a cancel ----------------------------------------------------------------------

    async def cancelled(self, ws: Workspace, back: str) -> None:
        """Say what a cancel means (``back``: where the message went), then watch the server for
        the bounded window."""
        # The client loads after the first frame; a cancel comes later still.
        from artgen_tui.core.watch import (
            CANCEL_NOTICE,
            CreditsMoved,
            StateMoved,
            WatchDone,
            watch_after_cancel,
        )

        settings = self.app.settings.cancel
        chat = self.app.chat
        await chat.add_notice(
            f"{CANCEL_NOTICE.format(seconds=round(settings.watch_seconds))} {back}",
            "warning",
        )
        self.watching = True
        try:
            async for event in watch_after_cancel(
                ws,
                seconds=settings.watch_seconds,
                poll=settings.poll_seconds,
                credits=self.app.credits.last,
            ):
                if isinstance(event, StateMoved):
                    self.app.timeline.show_state(event.state, event.diff)
                    await chat.add_notice(f"After the cancel: {event.diff.sentence}", "info")
                elif isinstance(event, CreditsMoved):
                    self.app.credits.show(event.credits)
                elif isinstance(event, WatchDone):
                    await chat.add_notice(event.sentence, "info")
        finally:
            self.watching = False
        await self.drain()
