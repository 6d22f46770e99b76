"""One chat turn on screen: the core turn's events become chat widgets, timeline and status.

Everything the screen shows about a turn comes from :func:`artgen_tui.core.conversation.run_turn`'s
events (the timeline from :class:`~artgen_tui.core.conversation.TimelineChanged`, notices from
:class:`~artgen_tui.core.conversation.Notice`, credits and actions from the final
:class:`~artgen_tui.core.conversation.TurnDone`); nothing is re-read from the workspace. The turn in
progress is one :class:`TurnState`, dropped as a whole when the turn ends or is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from textual.worker import Worker, WorkerState

from artgen_tui.api.errors import ApiError
from artgen_tui.tui.host import MainParts
from artgen_tui.tui.keys import key_display
from artgen_tui.tui.widgets.chat_log import ChatMessage, Reply

# The turn machinery loads after the first frame (issue 9): imported where used.
if TYPE_CHECKING:
    from artgen_tui.api.models import Credits
    from artgen_tui.config import Settings
    from artgen_tui.core import conversation as conv
    from artgen_tui.core.gui_phrases import GuiAction
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.credits_view import CreditsView

ACTION_BINDINGS: dict[str, str] = {"export": "export", "focus_timeline": "focus_timeline"}
"""GUI action kind → the app action whose key the action button names."""


@dataclass
class TurnState:
    """The turn in progress: its message (back to the prompt on cancel) and what it added."""

    text: str
    worker: Worker[None] | None = None
    widgets: list[ChatMessage] = field(default_factory=list)
    reply: Reply | None = None
    """The reply block being streamed (a marker closes it; text after starts a new one)."""
    credits_after: Credits | None = None
    """The balance the turn ended with (what it cost is measured against it)."""

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )


class TurnViewHost(MainParts, Protocol):
    """What a turn draws on (looked up when needed: the screen outlives no turn)."""

    @property
    def settings(self) -> Settings: ...

    credits: CreditsView

    def key_of(self, action: str) -> str: ...


class TurnView:
    def __init__(self, app: TurnViewHost) -> None:
        self.app = app
        self.current: TurnState | None = None

    def _key(self, action: str) -> str:
        """The key bound to an app action now (keymap applied), as shown."""
        return key_display(self.app.key_of(action))

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.running

    def begin(self, text: str) -> TurnState:
        self.current = TurnState(text)
        return self.current

    async def run(self, ws: Workspace, turn: TurnState) -> None:
        """Consume one core turn; raises :class:`ApiError` for the caller to show."""
        chat, status = self.app.chat, self.app.status
        turn.widgets.append(await chat.add_user(turn.text))
        chat.anchor()
        cancel = self._key("cancel_turn")
        status.set_connection("busy", f"Agent working… · {cancel} cancels")
        status.start_timer()
        from artgen_tui.core import conversation as conv

        try:
            async for event in conv.run_turn(ws, turn.text):
                await self.apply(event, turn)
        except ApiError:
            await self._close_reply(turn)
            raise

    def end(self, turn: TurnState) -> bool:
        """Forget ``turn`` if it is still the current one; ``False`` after a cancel."""
        if self.current is not turn:
            return False
        self.current = None
        self.app.status.stop_timer()
        return True

    def cancel(self) -> str | None:
        """Stop the turn and remove what it added; returns its message (``None``: none ran)."""
        turn = self.current
        if turn is None or not turn.running or turn.worker is None:
            return None
        turn.worker.cancel()
        self.current = None
        for widget in turn.widgets:
            if isinstance(widget, Reply):
                widget.abandon()
        chat = self.app.chat
        chat.call_later(chat.remove_messages, list(turn.widgets))
        self.app.status.stop_timer()
        return turn.text

    async def apply(self, event: conv.TurnEvent, turn: TurnState) -> None:
        """Show one turn event."""
        from artgen_tui.core import conversation as conv

        chat = self.app.chat
        if isinstance(event, conv.TextChunk):
            if turn.reply is None:
                turn.reply = await chat.add_reply()
                turn.widgets.append(turn.reply)
            turn.reply.write(event.text)
        elif isinstance(event, conv.ToolActivity):
            if self.app.settings.show_tool_activity:
                await self._close_reply(turn)
                turn.widgets.append(await chat.add_notice(event.label, "marker"))
        elif isinstance(event, conv.StillWorking):
            await self._close_reply(turn)
            turn.widgets.append(await chat.add_notice(event.text, "working"))
        elif isinstance(event, conv.TimelineChanged):
            self.app.timeline.show_state(event.state, event.diff)
        elif isinstance(event, conv.StreamDropped):
            await self._close_reply(turn)
            turn.widgets.append(await chat.add_notice(event.text, "working"))
        elif isinstance(event, conv.Notice):
            await chat.add_notice(event.text, "info")
        elif isinstance(event, conv.TurnDone):
            await self._done(event, turn)

    async def _done(self, event: conv.TurnDone, turn: TurnState) -> None:
        await self._close_reply(turn)
        turn.credits_after = event.credits
        if event.credits is not None:
            self.app.credits.show(event.credits)
        if event.actions:
            await self.app.chat.add_actions(self.action_triples(event.actions))
        # The finished reply reaches the screen before the turn ends: what the app does at the
        # end of a turn (a garbage collection of the turn's objects) would hold that frame back.
        await self.app.chat.drawn()

    def action_triples(self, actions: Iterable[GuiAction]) -> list[tuple[str, str, str]]:
        """(kind, label, key) for the action buttons, naming the keys bound now."""
        return [
            (a.kind, a.label, self._key(ACTION_BINDINGS[a.kind]))
            if a.kind in ACTION_BINDINGS
            else (a.kind, a.label, "")
            for a in actions
        ]

    @staticmethod
    async def _close_reply(turn: TurnState) -> None:
        """Text after a marker starts a new reply block below it."""
        if turn.reply is not None:
            await turn.reply.finish()
            turn.reply = None
