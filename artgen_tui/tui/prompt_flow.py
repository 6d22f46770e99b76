"""What a line typed in the prompt does.

A local command (:func:`artgen_tui.core.intents.route`) runs here and never starts an agent turn;
a message for the agent starts one (:mod:`artgen_tui.tui.turn_flow`). While a turn runs, what
cannot run at once waits in the queue (:mod:`artgen_tui.tui.queue_flow`); offline, the text stays
in the prompt. Action buttons in the chat run the same actions as the typed commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.keys import key_display

if TYPE_CHECKING:
    from artgen_tui.core.intents import Intent
    from artgen_tui.tui.queue_flow import QueueFlow
    from artgen_tui.tui.session_flow import SessionFlow
    from artgen_tui.tui.turn_flow import TurnFlow
    from artgen_tui.tui.uploads import UploadFlow

INTENT_ACTIONS = {
    **{kind: kind for kind in ("export", "credits", "upload", "sessions", "library", "preview")},
    **{"state": "status", "new": "new_session", "focus_timeline": "focus_timeline"},
}
"""The app action a typed command or an action button runs."""


class PromptHost(AppServices, MainParts, Protocol):
    """What a typed line uses of the app."""

    ready: bool
    queue_flow: QueueFlow
    turn_flow: TurnFlow
    uploads: UploadFlow
    session_flow: SessionFlow

    async def run_action(self, action: str) -> bool: ...
    def action_help(self) -> None: ...


class PromptFlow:
    def __init__(self, app: PromptHost) -> None:
        self.app = app

    async def submit(self, text: str, *, confirmed: bool = False, queued: bool = False) -> None:
        """Handle one message typed in the prompt (or sent from the queue, see :mod:`queue_flow`)."""
        from artgen_tui.core.intents import route  # with the first line typed (~5 ms)

        app = self.app
        intent = route(text)
        if not queued and app.queue_flow.holds(intent):
            app.queue_flow.hold(text)
            return
        if intent.kind == "help":
            app.prompt.clear()
            if intent.error:
                await app.chat.add_notice(intent.error, "warning")
            else:
                app.action_help()
            return
        if not app.ready:
            retry = key_display(app.key_of("credits"))
            what = f"press {retry} to retry" if intent.kind != "chat" else "your message is kept"
            app.notify(f"Not connected yet; {what}.", severity="warning")
            return
        if not confirmed and app.queue_flow.asks_first(intent):
            app.queue_flow.ask_resend(text)
            return
        if not queued:
            app.prompt.remember(text)
            app.prompt.clear()
        await self.run_intent(intent)

    async def run_intent(self, intent: Intent) -> None:
        """Local actions never start an agent turn."""
        app = self.app
        if intent.kind == "chat":
            app.turn_flow.start(intent.text)
            return
        await app.chat.add_user(intent.text)
        if intent.kind == "upload" and intent.args:
            from artgen_tui.core import uploads

            items = uploads.items_from_args(intent.args)
            app.uploads.offer(items) if intent.offer else app.uploads.start(items)
        elif intent.kind == "export_chat":
            app.session_flow.export_chat(intent.args)
        else:
            await app.run_action(INTENT_ACTIONS[intent.kind])

    async def chosen(self, kind: str) -> None:
        """An action button in the chat (export, show the timeline…)."""
        if kind in INTENT_ACTIONS:
            await self.app.run_action(INTENT_ACTIONS[kind])
