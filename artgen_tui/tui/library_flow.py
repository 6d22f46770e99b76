"""The Library's requests carried out in the app: re-export a result, open the session it came from.

A re-export is an export like F6's in everything but what it renders (a stored draft, see
:mod:`artgen_tui.core.reexport`): priced by the spend guard (asked first over the balance or the
limit), journaled and followed by :class:`~artgen_tui.tui.exports.ExportFlow` (its row in
Exports, the download, the frame strip in the chat and on the row). Opening a session goes
through :meth:`SessionFlow.open <artgen_tui.tui.session_flow.SessionFlow.open>`, as from the
Sessions screen. Both close the Library first, so what follows is seen on the main screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.core import reexport
from artgen_tui.core.reexport import ReexportSource
from artgen_tui.core.sessions import short_id
from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.keys import key_display
from artgen_tui.tui.screens.library import LibraryScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from artgen_tui.config import Settings
    from artgen_tui.core.jobs import ExportJob, JobManager
    from artgen_tui.core.termimage import Protocol as GraphicsProtocol
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.exports import ExportFlow
    from artgen_tui.tui.session_flow import SessionFlow
    from artgen_tui.tui.spend_view import SpendView

WAIT_FOR_REPLY = "Wait for the current reply (or press Esc) first."
NOT_CONNECTED = "Not connected yet; the Library's actions need the server."


class LibraryHost(AppServices, MainParts, Protocol):
    """What the Library's actions use of the app."""

    ws: Workspace | None
    jobs: JobManager | None
    ready: bool

    @property
    def settings(self) -> Settings: ...

    graphics: GraphicsProtocol
    errors: ErrorView
    spend: SpendView
    exports: ExportFlow
    session_flow: SessionFlow

    @property
    def screen(self) -> Screen[Any]: ...
    @property
    def turn_running(self) -> bool: ...
    def show_job(self, job: ExportJob) -> None: ...
    def pop_screen(self) -> object: ...


class LibraryFlow:
    def __init__(self, app: LibraryHost, journal_path: Path | None = None) -> None:
        self.app = app
        self.journal_path = journal_path

    def show(self) -> None:
        """F4 / ``/library``: every result across sessions."""
        from artgen_tui.core.library import Library

        library = Library([self.app.settings.output_dir], journal_path=self.journal_path)
        self.app.push_screen(LibraryScreen(library, self.app.graphics))

    def _close_library(self) -> None:
        if isinstance(self.app.screen, LibraryScreen):
            self.app.pop_screen()

    def reexport(self, path: Path, resolution: str | None) -> None:
        """``e`` in the Library: price it, then render the stored draft into a new file."""
        app = self.app
        ws, jobs = app.ws, app.jobs
        if not app.ready or ws is None or jobs is None:
            app.notify(NOT_CONNECTED, severity="warning")
            return
        try:
            source = reexport.load(path)
        except reexport.NotReexportable as exc:  # it changed since the screen looked
            app.notify(exc.user_text(), severity="warning", markup=False)
            return
        self._close_library()
        app.run_worker(
            app.spend.priced(
                ws,
                "export",
                lambda: self._submit(source, resolution),
                "re-export",
                then=app.exports.charged,
            ),
            group="export",
            exit_on_error=False,
        )

    async def _submit(self, source: ReexportSource, resolution: str | None) -> ExportJob | None:
        """Submit the re-export (``None``: not submitted, the error is shown); the export flow
        then keeps its cost and follows it."""
        app = self.app
        if app.jobs is None:
            return None
        try:
            job = await reexport.submit(app.jobs, source, resolution=resolution)
        except ApiError as exc:
            await app.errors.api_error(exc)
            return None
        app.show_job(job)
        size = job.resolution or "the server's default size"
        await app.chat.add_notice(
            f"Re-export {job.id} of {source.path.name} ({size}) started; it is saved as a new "
            f"file. Follow it in Exports ({key_display(app.key_of('focus_jobs'))}).",
            "info",
        )
        return job

    def open_session(self, session_id: str) -> None:
        """``s`` in the Library: switch to the result's session (a lost one is handled as the
        Sessions screen does)."""
        app = self.app
        ws = app.ws
        if not app.ready or ws is None:
            app.notify(NOT_CONNECTED, severity="warning")
            return
        if app.turn_running:
            app.notify(WAIT_FOR_REPLY, severity="warning")
            return
        self._close_library()
        if session_id == ws.session_id:
            app.notify(f"Already in session {short_id(session_id)}.", timeout=3)
            return
        app.run_worker(
            app.session_flow.open(ws, session_id),
            group="connect",
            exclusive=True,
            exit_on_error=False,
        )
