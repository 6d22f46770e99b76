"""Connecting the app: the workspace (client, token, session) opened after the first frame,
the session asked for on the command line, the transcript and timeline restored, exports resumed.

A failure leaves the app offline with the reason and the retry key on the status bar
(:func:`artgen_tui.tui.connection.connection_failed`); nothing is lost, the retry key reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError, TransportError
from artgen_tui.tui.connection import connection_failed, preload, restore_transcript, session_label
from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.keys import key_display
from artgen_tui.tui.welcome import greet

if TYPE_CHECKING:
    from artgen_tui.config import Settings
    from artgen_tui.core.jobs import JobManager
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.exports import ExportFlow
    from artgen_tui.tui.session_flow import SessionFlow
    from artgen_tui.tui.spend_view import SpendView


class ConnectHost(AppServices, MainParts, Protocol):
    """What connecting uses of the app (and sets: ``ws``, ``jobs``, ``ready``)."""

    ws: Workspace | None
    jobs: JobManager | None
    ready: bool

    @property
    def settings(self) -> Settings: ...

    errors: ErrorView
    spend: SpendView
    exports: ExportFlow
    session_flow: SessionFlow

    def set_ready(self) -> None: ...
    def refresh_credits(self) -> object: ...


class ConnectFlow:
    def __init__(
        self,
        app: ConnectHost,
        workspace_factory: Callable[[Settings], Workspace],
        journal_path: Path | None,
        session_id: str | None,
        new_session: bool,
    ) -> None:
        self.app = app
        self._factory, self._journal_path = workspace_factory, journal_path
        self._first_session = (session_id, new_session)
        """``--session`` / ``--new-session``: used by the first connect only."""

    def _notice(self, text: str) -> None:
        """Workspace notices outside a turn (a turn yields its own) go to the chat."""
        self.app.call_later(self.app.chat.add_notice, text, "info")

    async def _open(self, new_session: bool) -> Workspace:
        app = self.app
        if app.ws is None:
            app.ws = self._factory(app.settings)
            app.ws.set_notice_callback(self._notice)
        ws = app.ws
        wanted, first_new = self._first_session
        if wanted and not (new_session or first_new):
            await app.session_flow.open_first(ws, wanted)
        else:
            await ws.ready(new=new_session or first_new)
        self._first_session = (None, False)
        return ws

    async def connect(self, new_session: bool = False) -> None:
        app = self.app
        app.ready = False
        app.status.set_connection("connecting", "Connecting…")
        try:
            ws = await self._open(new_session)
        except (ApiError, OSError, ValueError) as exc:
            error = exc if isinstance(exc, ApiError) else TransportError(str(exc))
            retry = key_display(app.key_of("credits"))
            await connection_failed(
                error, app.settings.api_url, app.status, app.errors.error, retry
            )
            return
        from artgen_tui.core.jobs import JobManager

        app.jobs = JobManager(ws, journal_path=self._journal_path)
        app.spend.connected(ws)
        await restore_transcript(app.chat, ws.sessions, ws.session_id)
        app.status.set_session(*session_label(ws))
        await greet(app.chat, app.key_of)
        app.set_ready()
        if ws.last_state is not None:
            app.timeline.show_state(ws.last_state)
        # Once "Ready" is on screen: what follows loads modules (on a thread that would share
        # the interpreter with the painting) and makes requests.
        app.call_after_refresh(self._after_ready)

    def _after_ready(self) -> None:
        app = self.app
        app.run_worker(_in_thread(preload), group="preload", exit_on_error=False)
        app.refresh_credits()
        app.run_worker(app.exports.resume(), group="export", exit_on_error=False)


async def _in_thread(call: Callable[[], object]) -> None:
    await asyncio.to_thread(call)
