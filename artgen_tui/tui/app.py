"""The full-screen app: key bindings, composition, and routing to the flows.

Each flow lives in its own module and sees the app only through a small protocol of its own
(:mod:`artgen_tui.tui.host` has the Textual services they share): ``connect_flow``, ``prompt_flow``,
``turn_flow`` (with ``turn_view``), ``queue_flow``, ``uploads``, ``exports``, ``preview_flow``,
``library_flow``, ``session_flow``, ``quit_flow``; ``credits_view``, ``spend_view`` and ``errors``
are given callables. Every worker
catches its errors, so a failure never closes the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from artgen_tui.api import tls
from artgen_tui.config_file import LateSettings
from artgen_tui.core import termimage
from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.core.prompt_history import default_path as prompt_history_path
from artgen_tui.tui import textual_fixes
from artgen_tui.tui.bindings import APP_BINDINGS
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.connect_flow import ConnectFlow
from artgen_tui.tui.connection import show_project_status
from artgen_tui.tui.credits_view import CreditsView
from artgen_tui.tui.editor import edit_in_app
from artgen_tui.tui.errors import ErrorView
from artgen_tui.tui.exports import ExportFlow
from artgen_tui.tui.keys import (
    binding_ids,
    bound_key,
    check_app_keys,
    key_display,
    prompt_placeholder,
    resolve_keymap,
)
from artgen_tui.tui.messages import (
    ActionChosen,
    BatchFinished,
    OpenSessionRequested,
    ReexportRequested,
)
from artgen_tui.tui.notify import Notifier
from artgen_tui.tui.open_actions import CopyPathRequested, Opener, OpenRequested
from artgen_tui.tui.preview_flow import PreviewFlow
from artgen_tui.tui.prompt_flow import PromptFlow
from artgen_tui.tui.queue_flow import QueueFlow
from artgen_tui.tui.quit_flow import quit_or_ask
from artgen_tui.tui.safe_toasts import SanitizedToasts
from artgen_tui.tui.screens.main import MainPart, MainScreen
from artgen_tui.tui.session_flow import SessionFlow
from artgen_tui.tui.spend_view import SpendView
from artgen_tui.tui.theme_save import ThemeSaver
from artgen_tui.tui.turn_flow import TurnFlow
from artgen_tui.tui.turn_view import TurnView
from artgen_tui.tui.uploads import UploadFlow
from artgen_tui.tui.welcome import Welcome
from artgen_tui.tui.widgets.chat_log import ChatLog
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.queue_bar import QueueBar
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.strip import load_graphics
from artgen_tui.tui.widgets.timeline_table import TimelineDetail, TimelineTable
from artgen_tui.tui.widgets.upload_bar import UploadBar

# The client, the models and the product rules load after the first frame (issue 9).
if TYPE_CHECKING:
    from textual.driver import Driver

    from artgen_tui.config import Settings
    from artgen_tui.core.jobs import ExportJob, JobManager
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.library_flow import LibraryFlow

WorkspaceFactory = Callable[["Settings"], "Workspace"]


def _new_workspace(settings: Settings) -> Workspace:
    from artgen_tui.core.workspace import Workspace

    return Workspace(settings)


class ArtgenApp(SanitizedToasts, inherit_bindings=False):
    """artgen's terminal UI. ``clock``/``wall_clock`` are injectable for deterministic tests.

    ``settings`` may be :class:`LateSettings`: the first frame is painted from what it needs
    (theme, keymap) and the settings are loaded right after it; should that fail, the app closes
    and :func:`run_app` raises what loading raised."""

    TITLE = "artgen"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self,
        settings: Settings | LateSettings,
        *,
        workspace_factory: WorkspaceFactory | None = None,
        autoconnect: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        export_resolution: str | None = None,
        journal_path: Path | None = None,
        session_id: str | None = None,
        new_session: bool = False,
        prompt_history: PromptHistory | None = None,
    ) -> None:
        textual_fixes.apply()
        super().__init__()
        self._late = settings if isinstance(settings, LateSettings) else None
        self._settings: Settings | None = None
        self.startup_error: Exception | None = None
        """What loading late settings raised (the app closed; :func:`run_app` raises it)."""
        first = settings.first if isinstance(settings, LateSettings) else settings
        # Every id is known only once every screen is loaded: done only when there are remaps.
        self.keymap = resolve_keymap(first.keymap, binding_ids()) if first.keymap else {}
        check_app_keys(self.keymap, self.BINDINGS, PromptInput.BINDINGS)
        self.prompt_history = prompt_history or PromptHistory(prompt_history_path())
        self.theme_saver = ThemeSaver(self, first)
        self._autoconnect = autoconnect
        self.clock, self.wall_clock = clock, wall_clock
        self._journal_path = journal_path
        self.ws: Workspace | None = None
        self.jobs: JobManager | None = None
        self.ready = False
        self.errors = ErrorView(lambda: self.chat, lambda: self.status, self.push_screen)
        self.turns = TurnView(self)
        self.uploads = UploadFlow(self)
        self.session_flow = SessionFlow(self)
        self.connect_flow = ConnectFlow(
            self, workspace_factory or _new_workspace, journal_path, session_id, new_session
        )
        self.graphics = termimage.graphics_protocol()
        self.spend = SpendView(lambda: self.status, self.say, self.push_screen_wait)
        self.opener = Opener(
            lambda text, severity: self.notify(text, severity=severity, markup=False),  # type: ignore[arg-type]
            self.copy_to_clipboard,
        )
        self.previews = PreviewFlow(self)
        self.queue_flow = QueueFlow(self)
        self.turn_flow = TurnFlow(self)
        self.prompt_flow = PromptFlow(self)
        self.exports = ExportFlow(self, export_resolution)
        if not isinstance(settings, LateSettings):
            self._use_settings(settings)

    @property
    def settings(self) -> Settings:
        """The validated settings (late ones are loaded after the first frame, or when asked)."""
        if self._settings is None:
            assert self._late is not None
            settings = self._late.load()
            self._use_settings(settings)
            return settings
        return self._settings

    def _use_settings(self, settings: Settings) -> None:
        """What needs the validated settings (nothing the first frame shows)."""
        self._settings = settings
        self.theme_saver.settings = settings
        self.credits = CreditsView(
            lambda: self.status,
            lambda text: self.notify(text, title="Credits", severity="warning", markup=False),
            settings.low_credits_threshold,
        )
        self.notifier = Notifier(self, settings.notify, self.clock)

    def _load_late_settings(self) -> bool:
        """Load late settings (after the first frame); a failure closes the app."""
        try:
            self.settings  # noqa: B018 (loads them)
        except Exception as exc:  # raised again by run_app, once the terminal is restored
            self.startup_error = exc
            self.exit(return_code=1)
            return False
        return True

    # --- setup -------------------------------------------------------------------------------

    def get_driver_class(self) -> type[Driver]:
        """Textual's, except that the app stops cleanly when its terminal goes away or a signal
        says to (:mod:`outside_stop`)."""
        driver = super().get_driver_class()
        if driver.__name__ != "LinuxDriver":
            return driver
        from artgen_tui.tui.outside_stop import stoppable

        return stoppable(driver)

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(
            self.clock,
            self.wall_clock,
            self.prompt_history,
            self.keymap,
            hints=(key_display(self.key_of("export")), prompt_placeholder(self.key_of)),
        )

    def on_ready(self) -> None:
        # The client's TLS context loads on another core while the settings load here.
        tls.warm_up()
        if self._settings is None and not self._load_late_settings():
            return
        self.turn_flow.collector.startup_done()
        self.chat.max_mounted = self.settings.chat_max_messages
        # Connect only once the first frame is on screen: a failure that arrives before it (a
        # refused connection takes milliseconds) would otherwise never be painted.
        if self._autoconnect:
            self.connect()

    def on_mount(self) -> None:
        self.theme_saver.apply(key_display(self.COMMAND_PALETTE_BINDING))
        if self.keymap:
            self.set_keymap(self.keymap)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """App keys act only on the main screen; in a modal they fall through to its widgets."""
        bound = {b.action for b in self.BINDINGS if isinstance(b, Binding)}
        if action in bound and not hasattr(self, f"action_{action}"):
            return False  # a key whose screen is not part of this build
        return action not in bound - {"quit", "help"} or isinstance(self.screen, MainScreen)

    async def on_unmount(self) -> None:
        self.theme_saver.save()
        if self.ws is not None:
            await self.ws.aclose()

    # --- widget access -----------------------------------------------------------------------

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    chat = MainPart(ChatLog)
    prompt = MainPart(PromptInput)
    status = MainPart(StatusBar)
    timeline = MainPart(TimelineTable)
    jobs_panel = MainPart(JobsPanel)
    queue_bar = MainPart(QueueBar)
    upload_bar = MainPart(UploadBar)

    @property
    def turn_running(self) -> bool:
        return self.turns.running

    def key_of(self, action: str) -> str:
        """The key bound to an action now (the app's or the exports panel's), keymap applied."""
        return bound_key(
            [*self.BINDINGS, *JobsPanel.BINDINGS, *PromptInput.BINDINGS], self.keymap, action
        )

    # --- connection (see :mod:`artgen_tui.tui.connection`) ------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, *, new_session: bool = False) -> None:
        await self.connect_flow.connect(new_session)

    async def say(self, text: str, kind: str) -> None:
        await self.chat.add_notice(text, kind)

    def _online(self) -> Workspace | None:
        """The workspace once connected; before that, the user is told."""
        if self.ready and self.ws is not None and self.jobs is not None:
            return self.ws
        self.notify("Not connected yet.", severity="warning")
        return None

    def set_ready(self) -> None:
        self.ready = True
        self.status.set_connection("ready", "Ready")

    def action_reconnect(self) -> None:
        if not self.ready:
            self.connect()

    # --- prompt and routing ------------------------------------------------------------------

    @on(PromptInput.Changed)
    def _typed(self, event: PromptInput.Changed) -> None:
        self.spend.typed(event.text_area.text, self.has_timeline())

    def has_timeline(self) -> bool | None:
        return None if self.ws is None else self.ws.has_timeline

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        if event.value.strip():
            await self.submit(event.value.strip())

    @on(PromptInput.PageRequested)
    def _page_chat(self, event: PromptInput.PageRequested) -> None:
        (self.chat.scroll_page_down if event.step > 0 else self.chat.scroll_page_up)()

    @on(PromptInput.EditorRequested)
    def action_edit_prompt(self) -> None:
        """Ctrl+X Ctrl+E: the prompt's text in $VISUAL/$EDITOR (needs a real terminal)."""
        edited = edit_in_app(self, self.prompt.text, key_display(self.key_of("newline")))
        if edited is not None:
            self.prompt.restore(edited)
        self.prompt.focus()

    @on(Welcome.ExampleChosen)
    def _example_chosen(self, event: Welcome.ExampleChosen) -> None:
        self.prompt.restore(event.text)
        self.prompt.focus()

    async def submit(self, text: str, *, confirmed: bool = False, queued: bool = False) -> None:
        await self.prompt_flow.submit(text, confirmed=confirmed, queued=queued)

    # --- chat turns (see :mod:`artgen_tui.tui.turn_flow`) -------------------------------------

    @on(ActionChosen)
    async def _action_chosen(self, event: ActionChosen) -> None:
        await self.prompt_flow.chosen(event.kind)

    def action_cancel_turn(self) -> None:
        self.turn_flow.cancel()

    @on(QueueBar.Pulled)
    def _pull_queued(self, event: QueueBar.Pulled) -> None:
        self.queue_flow.pull(event.index)

    # --- credits, project status and sessions ------------------------------------------------

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def refresh_credits(self, *, announce: bool = False) -> None:
        if self.ws is None or not self.ready:
            return
        await self.credits.fetch(self.ws, self.say if announce else None, self.errors.api_error)

    def action_credits(self) -> None:
        """F5: credits now; offline, it retries connecting first."""
        if not self.ready:
            self.connect()
            return
        self.refresh_credits(announce=True)

    @work(exclusive=True, group="state", exit_on_error=False)
    async def action_status(self) -> None:
        if self.ws is not None:
            await self.errors.shown(show_project_status(self.ws, self.timeline, self.say))

    def action_new_session(self) -> None:
        self.session_flow.new_session()

    def action_sessions(self) -> None:
        self.session_flow.show_sessions()

    # --- uploads -----------------------------------------------------------------------------

    def action_upload(self) -> None:
        self.uploads.pick()

    @on(DataTable.RowHighlighted, "#timeline")
    @on(TimelineTable.FocusChanged)
    def _segment_selected(self) -> None:
        """A selected segment's details (and its source's thumbnail when it came from here)."""
        if not self.screen_stack:
            return  # a highlight or blur that arrives while the app closes: nothing left to show
        row = self.timeline.highlighted_row if self.timeline.has_focus else None
        source = self.uploads.uploaded.get(row.label) if row is not None else None
        self.main.query_one(TimelineDetail).show(row, source)

    # --- exports (see :mod:`artgen_tui.tui.exports`) ------------------------------------------

    def action_export(self) -> None:
        if (ws := self._online()) is not None:
            exports = self.exports
            self._export_worker(
                self.spend.priced(ws, "export", exports.submit, then=exports.charged)
            )

    # --- quick preview and library (see :mod:`artgen_tui.tui.preview_flow`) --------------------

    def action_preview(self) -> None:
        if (ws := self._online()) is not None:
            work = self.previews.quick(ws, self.spend)
            self.run_worker(work, group="preview", exclusive=True, exit_on_error=False)

    def action_library(self) -> None:
        self._library().show()

    @on(ReexportRequested)
    def _reexport(self, event: ReexportRequested) -> None:
        self._library().reexport(event.path, event.resolution)

    @on(OpenSessionRequested)
    def _open_session_of_result(self, event: OpenSessionRequested) -> None:
        self._library().open_session(event.session_id)

    def _library(self) -> LibraryFlow:
        """The Library's flow (loaded with the Library: it is not needed for the first frame)."""
        from artgen_tui.tui.library_flow import LibraryFlow

        return LibraryFlow(self, self._journal_path)

    @on(BatchFinished)
    def _batch_finished(self, event: BatchFinished) -> None:
        self.notifier.batch_ended(event.done, event.total)

    @on(OpenRequested)
    def _open_result(self, event: OpenRequested) -> None:
        self.opener.open(event.path, reveal=event.reveal)

    @on(CopyPathRequested)
    def _copy_path(self, event: CopyPathRequested) -> None:
        self.opener.copy(event.path)

    def _export_worker(self, work: Coroutine[Any, Any, None]) -> None:
        self.run_worker(work, group="export", exit_on_error=False)

    def show_job(self, job: ExportJob) -> None:
        self.jobs_panel.upsert(job)
        self.main.show_jobs()
        self.notifier.job_changed(job)

    @on(JobsPanel.CopyUrlRequested)
    def _copy_url(self, event: JobsPanel.CopyUrlRequested) -> None:
        if event.url:
            self.copy_to_clipboard(event.url)
            self.notify("Video URL copied to the clipboard.", title="Copied", timeout=3)

    @on(JobsPanel.CancelRequested)
    def _cancel_job(self, event: JobsPanel.CancelRequested) -> None:
        self._export_worker(self.exports.cancel(event.job_id))

    @on(JobsPanel.RetryRequested)
    def _retry_job(self, event: JobsPanel.RetryRequested) -> None:
        self._export_worker(self.exports.retry(event.job_id))

    async def action_quit(self) -> None:
        """Ctrl+Q: with a batch or exports still running, ask first (see :mod:`quit_flow`)."""
        quit_or_ask(self)

    # --- errors ------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "turn" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.call_later(self.queue_flow.drain)
        if event.state != WorkerState.ERROR:
            return
        self.errors.worker_failed(event.worker)
        if event.worker.group == "turn":
            self.turn_flow.failed()
        if event.worker.group == "connect":
            retry = key_display(self.key_of("credits"))
            self.status.set_connection("error", f"Offline · Press {retry} to retry.")

    # --- navigation --------------------------------------------------------------------------

    def action_focus_timeline(self) -> None:
        self.main.toggle_timeline()

    def action_focus_jobs(self) -> None:
        if not self.main.toggle_jobs():
            self.notify(
                f"No exports yet: press {key_display(self.key_of('export'))} to export.", timeout=3
            )

    def action_toggle_side(self) -> None:
        self.main.show_side(not self.main.side_visible)

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def action_copy_last(self) -> None:
        if not self.chat.copy_last_reply():
            self.notify("No reply to copy yet.", timeout=2)

    def action_help(self) -> None:
        """F1 opens the help; on the help, it closes it."""
        from artgen_tui.tui.screens.help import HelpScreen  # with the first F1

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.keymap, self.COMMAND_PALETTE_BINDING))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, callback in palette_entries(self):
            yield SystemCommand(title, help_text, callback)


def run_app(
    settings: Settings | LateSettings,
    *,
    session_id: str | None = None,
    new_session: bool = False,
) -> int:
    """Run the TUI until the user quits; returns the exit code (or raises what loading late
    settings raised)."""
    app = ArtgenApp(settings, session_id=session_id, new_session=new_session)
    load_graphics(app.graphics)  # before run: textual-image queries the terminal on import
    app.run()
    if app.startup_error is not None:
        raise app.startup_error
    return app.return_code or 0
