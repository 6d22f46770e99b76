"""Sessions in the app: the F3 screen, opening a session (or continuing one the server lost),
asking before a new session replaces one with content, and ``/export-chat``.

The rules (what a session is, its title, search, export) live in :mod:`artgen_tui.core.sessions`;
this module only shows them and asks the questions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.core.sessions import (
    FORMATS,
    SessionGone,
    UnknownSessionId,
    short_id,
    write_export,
)
from artgen_tui.tui.connection import (
    continue_session,
    has_content,
    session_label,
    start_new_session,
    switch_session,
)
from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.keys import key_display
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.welcome import greet

if TYPE_CHECKING:
    from artgen_tui.config import Settings
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView

log = logging.getLogger(__name__)

NEW_SESSION_QUESTION = (
    "Start a new, empty session? This one is kept: open it again from Sessions ({key})."
)


def gone_question(exc: SessionGone) -> str:
    return (
        f"{exc.message} Start a new session that shows its transcript for reference? "
        "(No keeps the session you are in.)"
    )


BUSY = "Wait for the current reply (or press Esc) first."


class SessionHost(AppServices, MainParts, Protocol):
    """What the session flow uses of the app."""

    ws: Workspace | None
    ready: bool

    @property
    def settings(self) -> Settings: ...

    wall_clock: Callable[[], float]
    errors: ErrorView

    @property
    def turn_running(self) -> bool: ...
    def refresh_credits(self) -> object: ...


class SessionFlow:
    def __init__(self, app: SessionHost) -> None:
        self.app = app

    def _busy(self) -> bool:
        if not self.app.ready or self.app.turn_running or self.app.ws is None:
            self.app.notify(BUSY, severity="warning")
            return True
        return False

    def _ask(self, question: str, title: str, yes: str) -> ConfirmScreen:
        return ConfirmScreen(question, title=title, yes=yes)

    async def open_first(self, ws: Workspace, wanted: str) -> None:
        """``--session ID`` at start-up (runs in the connect worker). A session the server lost
        but kept here is offered as a new session with its transcript; otherwise the remembered
        session opens and the user is told."""
        try:
            await ws.ready(wanted)
            return
        except SessionGone as exc:
            known = ws.sessions.find(wanted)
            if known is not None and await self.app.push_screen_wait(
                self._ask(gone_question(exc), "Session not on the server", "New session")
            ):
                await ws.new_session(parent=known.session_id)
                return
            self.app.notify(exc.message, severity="warning", markup=False)
        await ws.ready()

    def new_session(self) -> None:
        """F10 / ``/new``: ask first when the current session has prompts or a timeline."""
        ws = self.app.ws
        if self._busy() or ws is None:
            return
        if not has_content(ws):
            self._start_new(ws)
            return
        key = self.app.key_of("sessions")

        def answered(yes: bool | None) -> None:
            if yes:
                self._start_new(ws)

        self.app.push_screen(
            self._ask(
                NEW_SESSION_QUESTION.format(key=key_display(key) if key else "/sessions"),
                "New session",
                "Start new",
            ),
            answered,
        )

    def _start_new(self, ws: Workspace) -> None:
        self.app.run_worker(self._new(ws), group="connect", exclusive=True, exit_on_error=False)

    async def _new(self, ws: Workspace) -> None:
        app = self.app
        if await app.errors.shown(start_new_session(ws, app.chat, app.timeline)):
            app.status.set_session(*session_label(ws))
            await greet(app.chat, app.key_of)
            app.refresh_credits()

    def show_sessions(self) -> None:
        """F3: the Sessions screen; the chosen session is opened."""
        ws = self.app.ws
        if self._busy() or ws is None:
            return

        def chosen(session_id: str | None) -> None:
            self.app.status.set_session(*session_label(ws))  # it may have been renamed
            if session_id and session_id != ws.session_id:
                self.app.run_worker(
                    self.open(ws, session_id), group="connect", exclusive=True, exit_on_error=False
                )

        from artgen_tui.tui.screens.sessions import SessionsScreen  # with the first F9

        screen = SessionsScreen(
            ws.sessions,
            ws.session_id,
            Path(self.app.settings.output_dir).expanduser(),
            self.app.wall_clock,
        )
        self.app.push_screen(screen, chosen)

    async def open(self, ws: Workspace, session_id: str) -> None:
        """Switch to ``session_id``; if the server lost it, offer a new session that keeps its
        transcript for reference (No: stay where we are), or with no transcript here say it is
        gone."""
        app = self.app
        try:
            try:
                await switch_session(ws, session_id, app.chat, app.timeline)
            except SessionGone as exc:
                log.info("session %s is gone on the server", session_id)
                if ws.sessions.find(session_id) is None:  # no transcript here to carry on from
                    await app.chat.add_notice(
                        f"{exc.message} Stayed in {short_id(ws.session_id)}.", "warning"
                    )
                    return
                if not await app.push_screen_wait(
                    self._ask(gone_question(exc), "Session not on the server", "New session")
                ):
                    await app.chat.add_notice(
                        f"Stayed in {short_id(ws.session_id)}: the server no longer has "
                        f"{short_id(session_id)}.",
                        "info",
                    )
                    return
                await continue_session(ws, session_id, app.chat, app.timeline)
        except ApiError as exc:
            await app.errors.api_error(exc)
            return
        app.status.set_session(*session_label(ws))
        app.refresh_credits()

    def export_chat(self, args: list[str]) -> None:
        """``/export-chat [md|html|json]``: the transcript into the output folder."""
        app, ws = self.app, self.app.ws
        if ws is None:
            return
        fmt = (args[0].lower().lstrip(".") if args else "md") or "md"
        if fmt not in FORMATS:
            app.call_later(
                app.chat.add_notice, f"Formats: {', '.join(FORMATS)} (md by default).", "warning"
            )
            return
        folder = Path(app.settings.output_dir).expanduser()
        try:
            path = write_export(ws.sessions, ws.session_id, folder, fmt)
        except UnknownSessionId:
            app.call_later(app.chat.add_notice, "Nothing to export yet: no prompt so far.", "info")
            return
        except OSError as exc:
            app.call_later(app.chat.add_notice, f"Could not save the chat: {exc}", "warning")
            return
        app.call_later(app.chat.add_notice, f"Chat saved to {path}", "info")
