"""The full-screen app: key bindings, composition, and routing to the flows (``turn_view``,
``exports``, ``uploads``, ``connection``, ``credits_view``, ``errors``), each given only the widgets
and callbacks it needs. Every worker catches its errors, so a failure never closes the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from artgen_tui.api.errors import ApiError, TransportError
from artgen_tui.config import Settings
from artgen_tui.core import uploads
from artgen_tui.core.intents import Intent, route
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.connection import (
    connection_failed,
    restore_transcript,
    session_label,
    show_project_status,
    start_new_session,
)
from artgen_tui.tui.credits_view import CreditsView
from artgen_tui.tui.errors import ErrorView
from artgen_tui.tui.exports import ExportFlow, ExportOutlets
from artgen_tui.tui.gc_policy import CollectorPolicy
from artgen_tui.tui.keys import bound_key, key_display, key_help
from artgen_tui.tui.messages import ActionChosen
from artgen_tui.tui.notify import Notifier
from artgen_tui.tui.queue_flow import QueueFlow
from artgen_tui.tui.screens.file_picker import FilePickerScreen, UploadChoice
from artgen_tui.tui.screens.help import HelpScreen
from artgen_tui.tui.screens.main import MainPart, MainScreen
from artgen_tui.tui.screens.quit import QuitAnswer, QuitScreen
from artgen_tui.tui.session_flow import SessionFlow
from artgen_tui.tui.turn_view import TurnOutlets, TurnState, TurnView
from artgen_tui.tui.uploads import UploadOutlets, offer_upload, upload_items
from artgen_tui.tui.widgets.chat_log import ChatLog
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.queue_bar import QueueBar
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.timeline_table import TimelineTable
from artgen_tui.tui.widgets.upload_bar import UploadBar

WorkspaceFactory = Callable[[Settings], Workspace]


PREVIEW_HEADLESS = "A frame-strip preview is not in the app yet; run `artgen preview` in a shell."


class ArtgenApp(App[int]):
    """artgen's terminal UI. ``clock``/``wall_clock`` are injectable for deterministic tests."""

    TITLE = "artgen"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, action, label, id=f"app.{bid}", tooltip=tip, show=show, priority=prio)
        for key, action, label, bid, tip, show, prio in [
            ("f1", "help", "Help", "help", "Keys and commands", True, False),
            ("f3", "sessions", "Sessions", "sessions", "List, search and open sessions", False, False),
            ("ctrl+u", "upload", "Upload", "upload", "Upload media", True, True),
            ("ctrl+e", "export", "Export", "export", "Render and download", True, True),
            ("ctrl+r", "credits", "Credits", "credits", "Refresh credits", True, True),
            ("ctrl+n", "new_session", "New", "new_session", "New session", True, True),
            ("ctrl+t", "focus_timeline", "Timeline", "timeline", "Focus the timeline (again: hide it)", True, False),
            ("ctrl+o", "focus_jobs", "Exports", "jobs", "Focus the exports (again: hide them)", False, False),
            ("ctrl+b", "toggle_side", "Side panel", "side", "Show or hide timeline and exports", False, False),
            ("ctrl+l", "focus_prompt", "Prompt", "prompt", "Back to the prompt", False, False),
            ("ctrl+y", "copy_last", "Copy reply", "copy_last", "Copy the last reply", False, False),
            ("f5", "reconnect", "Reconnect", "reconnect", "Retry connecting", False, False),
            ("escape", "cancel_turn", "Cancel", "cancel", "Cancel the reply in progress, else drop the newest queued message", False, False),
            ("ctrl+q", "quit", "Quit", "quit", "Quit artgen", True, True),
        ]
    ]  # fmt: skip

    def __init__(
        self,
        settings: Settings,
        *,
        workspace_factory: WorkspaceFactory | None = None,
        autoconnect: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        export_resolution: str | None = None,
        journal_path: Path | None = None,
        session_id: str | None = None,
        new_session: bool = False,
    ) -> None:
        super().__init__()
        self._first_session = (session_id, new_session)
        """``--session`` / ``--new-session``: used by the first connect only."""
        self.settings = settings
        self._workspace_factory = workspace_factory or (lambda s: Workspace(s))
        self._autoconnect = autoconnect
        self.clock, self.wall_clock = clock, wall_clock
        self._journal_path = journal_path
        self.ws: Workspace | None = None
        self.jobs: JobManager | None = None
        self.ready = False
        self.credits = CreditsView(
            lambda: self.status,
            lambda text: self.notify(text, title="Credits", severity="warning", markup=False),
            settings.low_credits_threshold,
        )
        self._collector = CollectorPolicy()
        self.errors = ErrorView(lambda: self.chat, lambda: self.status, self.push_screen)
        self.turns = TurnView(
            TurnOutlets(
                chat=lambda: self.chat,
                timeline=lambda: self.timeline,
                status=lambda: self.status,
                show_credits=self.credits.show,
                key_of=self.key_of,
                show_tool_activity=settings.show_tool_activity,
            )
        )
        self._upload_outlets = UploadOutlets(
            bar=lambda: self.main.query_one(UploadBar),
            say=self._say,
            show_state=lambda state, diff: self.timeline.show_state(state, diff),
            show_error=self.errors.api_error,
        )
        self.session_flow = SessionFlow(self)
        self.queue_flow = QueueFlow(self)
        self.notifier = Notifier(self, settings.notify, clock)
        self.exports = ExportFlow(
            ExportOutlets(
                show_job=self.show_job,
                say=self._say,
                show_error=self.errors.api_error,
                credits_changed=self.refresh_credits,
                key_of=self.key_of,
            ),
            jobs=lambda: self.jobs,
            resolution=export_resolution,
        )

    # --- setup -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.clock, self.wall_clock)

    def on_ready(self) -> None:
        self._collector.startup_done()
        self.jobs_panel.set_export_key(key_display(self.key_of("export")))
        # Connect only once the first frame is on screen: a failure that arrives before it (a
        # refused connection takes milliseconds) would otherwise never be painted.
        if self._autoconnect:
            self.connect()

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self.notify(
                f"Unknown theme {self.settings.theme!r}; using the default. "
                "Pick one with Ctrl+P → Theme.",
                severity="warning",
                markup=False,
            )
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """App keys act only on the main screen; in a modal they fall through to its widgets."""
        main_only = {b.action for b in self.BINDINGS if isinstance(b, Binding)} - {"quit", "help"}
        return action not in main_only or isinstance(self.screen, MainScreen)

    async def on_unmount(self) -> None:
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

    @property
    def turn_running(self) -> bool:
        return self.turns.running

    def key_of(self, action: str) -> str:
        """The key bound to an action now (the app's or the exports panel's), keymap applied."""
        return bound_key([*self.BINDINGS, *JobsPanel.BINDINGS], self.settings.keymap, action)

    # --- connection (see :mod:`artgen_tui.tui.connection`) ------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, *, new_session: bool = False) -> None:
        self.ready = False
        self.status.set_connection("connecting", "Connecting…")
        try:
            if self.ws is None:
                self.ws = self._workspace_factory(self.settings)
                self.ws.set_notice_callback(self._notice)
            ws = self.ws
            wanted, first_new = self._first_session
            if wanted and not (new_session or first_new):
                await self.session_flow.open_first(ws, wanted)
            else:
                await ws.ready(new=new_session or first_new)
            self._first_session = (None, False)
        except (ApiError, OSError, ValueError) as exc:
            error = exc if isinstance(exc, ApiError) else TransportError(str(exc))
            await connection_failed(error, self.settings.api_url, self.status, self.errors.error)
            return
        self.jobs = JobManager(ws, journal_path=self._journal_path)
        await restore_transcript(self.chat, ws.sessions, ws.session_id)
        self.status.set_session(*session_label(ws))
        self.set_ready()
        if ws.last_state is not None:
            self.timeline.show_state(ws.last_state)
        self.refresh_credits()
        self._export_worker(self.exports.resume())

    def _notice(self, text: str) -> None:
        """Workspace notices outside a turn (a turn yields its own) go to the chat."""
        self.call_later(self.chat.add_notice, text, "info")

    async def _say(self, text: str, kind: str) -> None:
        await self.chat.add_notice(text, kind)

    def set_ready(self) -> None:
        self.ready = True
        self.status.set_connection("ready", "Ready")

    def action_reconnect(self) -> None:
        if not self.ready:
            self.connect()

    # --- prompt and routing ------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    async def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            await self.submit(event.value.strip())

    async def submit(self, text: str, *, confirmed: bool = False, queued: bool = False) -> None:
        """Handle one message typed in the prompt (or sent from the queue, see :mod:`queue_flow`)."""
        intent = route(text)
        if not queued and self.queue_flow.holds(intent):
            self.prompt.remember(text)
            self.prompt.clear()
            self.queue_flow.hold(text)
            return
        if intent.kind == "help":
            self.prompt.clear()
            if intent.error:
                await self.chat.add_notice(intent.error, "warning")
            else:
                self.action_help()
            return
        if not self.ready:
            what = "press F5 to retry" if intent.kind != "chat" else "your message is kept"
            self.notify(f"Not connected yet; {what}.", severity="warning")
            return
        if not confirmed and self.queue_flow.asks_first(intent):
            self.queue_flow.ask_resend(text)
            return
        if not queued:
            self.prompt.remember(text)
            self.prompt.clear()
        await self.run_intent(intent)

    async def run_intent(self, intent: Intent) -> None:
        """Local actions never start an agent turn."""
        if intent.kind == "chat":
            self.start_turn(intent.text)
            return
        await self.chat.add_user(intent.text)
        if intent.kind == "preview":
            await self.chat.add_notice(PREVIEW_HEADLESS, "info")
            return
        if intent.kind == "upload" and intent.args:
            items = uploads.items_from_args(intent.args)
            offer_upload(self, items, self.upload) if intent.offer else self.upload(items)
            return
        actions: dict[str, Callable[[], object]] = {
            "export": self.action_export,
            "credits": self.action_credits,
            "state": self.show_status,
            "upload": self.action_upload,
            "new": self.action_new_session,
            "sessions": self.action_sessions,
            "export_chat": lambda: self.session_flow.export_chat(intent.args),
        }
        actions[intent.kind]()

    # --- chat turns (see :mod:`artgen_tui.tui.turn_view`) -------------------------------------

    def start_turn(self, text: str) -> None:
        turn = self.turns.begin(text)
        turn.worker = self._run_turn(turn)
        self.notifier.turn_started()

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _run_turn(self, turn: TurnState) -> None:
        if self.ws is None:
            return
        self._collector.turn_started()
        try:
            await self.turns.run(self.ws, turn)
        except ApiError as exc:
            await self.errors.api_error(exc)
        finally:
            self._collector.turn_finished()
            self._collector.collect_when_idle(self.set_timer, lambda: self.turn_running)
            if self.turns.end(turn) and self.ws is not None and self.ready:
                self.set_ready()
            if self.ws is not None:
                self.status.set_session(*session_label(self.ws))

    @on(ActionChosen)
    def _action_chosen(self, event: ActionChosen) -> None:
        chosen: dict[str, Callable[[], object]] = {
            "export": self.action_export,
            "state": self.show_status,
            "focus_timeline": self.action_focus_timeline,
            "preview": lambda: self.notify(PREVIEW_HEADLESS),
        }
        if event.kind in chosen:
            chosen[event.kind]()

    def action_cancel_turn(self) -> None:
        """Esc: stop reading the reply in progress, put the message back in the prompt and watch
        what the server still does; with no reply running, drop the newest queued message."""
        text = self.turns.cancel()
        if text is None:
            self.queue_flow.remove_newest()
            return
        if self.ready:
            self.set_ready()
        self.prompt.restore(text)
        self.prompt.focus()
        if self.ws is not None:
            self.run_worker(self.queue_flow.cancelled(self.ws), group="watch", exit_on_error=False)

    @on(QueueBar.Pulled)
    def _pull_queued(self, event: QueueBar.Pulled) -> None:
        self.queue_flow.pull(event.index)

    # --- credits, project status and sessions ------------------------------------------------

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def refresh_credits(self, *, announce: bool = False) -> None:
        if self.ws is None or not self.ready:
            return
        await self.credits.fetch(self.ws, self._say if announce else None, self.errors.api_error)

    def action_credits(self) -> None:
        self.refresh_credits(announce=True)

    @work(exclusive=True, group="state", exit_on_error=False)
    async def show_status(self) -> None:
        if self.ws is not None:
            await self.errors.shown(show_project_status(self.ws, self.timeline, self._say))

    def action_new_session(self) -> None:
        if not self.ready or self.turn_running:
            self.notify("Wait for the current reply (or press Esc) first.", severity="warning")
            return
        self.session_flow.ask_new(self._new_session)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _new_session(self) -> None:
        if self.ws is not None and await self.errors.shown(
            start_new_session(self.ws, self.chat, self.timeline)
        ):
            self.status.set_session(*session_label(self.ws))
            self.refresh_credits()

    def action_sessions(self) -> None:
        """F3: the Sessions screen; the chosen session is opened (see :mod:`session_flow`)."""
        if not self.ready or self.turn_running or self.ws is None:
            self.notify("Wait for the current reply (or press Esc) first.", severity="warning")
            return
        self.session_flow.show_sessions(self.ws)

    # --- uploads -----------------------------------------------------------------------------

    def action_upload(self) -> None:
        if not self.ready:
            self.notify("Not connected yet.", severity="warning")
            return

        def chosen(choice: UploadChoice | None) -> None:
            if choice is not None and (choice.paths or choice.urls):
                self.upload([*choice.paths, *choice.urls])

        self.push_screen(FilePickerScreen(Path.cwd()), chosen)

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def upload(self, items: list[Path | str]) -> None:
        if self.ws is not None and await upload_items(self.ws, items, self._upload_outlets):
            self.refresh_credits()

    # --- exports (see :mod:`artgen_tui.tui.exports`) ------------------------------------------

    def action_export(self) -> None:
        if not self.ready or self.jobs is None:
            self.notify("Not connected yet.", severity="warning")
            return
        self._export_worker(self.exports.start())

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
        """Ctrl+Q: with exports still running, say they resume next time (or cancel them)."""
        running = self.jobs.resumable() if self.jobs is not None else []
        if not running or isinstance(self.screen, QuitScreen):
            self.exit()
            return

        async def answered(answer: QuitAnswer | None) -> None:
            if answer == "cancel":
                for job in running:
                    await self.exports.cancel(job.id)
            if answer in ("quit", "cancel"):
                self.exit()

        self.push_screen(QuitScreen(len(running)), answered)

    # --- errors ------------------------------------------------------------------------------

    async def show_error(self, title: str, text: str) -> None:
        await self.errors.error(title, text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "turn" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.notifier.turn_ended()
            self.call_later(self.queue_flow.drain)
        if event.state != WorkerState.ERROR:
            return
        self.errors.worker_failed(event.worker)
        if event.worker.group == "turn":
            self.status.stop_timer()
            if self.ready:
                self.set_ready()
        if event.worker.group == "connect":
            self.status.set_connection("error", "Offline · Press F5 to retry.")

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
        self.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[tuple[str, str]]:
        """(key, description) for every app binding, with the user's remaps applied."""
        return key_help(self.BINDINGS, self.settings.keymap)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, callback in palette_entries(self):
            yield SystemCommand(title, help_text, callback)


def run_app(settings: Settings, *, session_id: str | None = None, new_session: bool = False) -> int:
    """Run the TUI until the user quits; returns the exit code."""
    app = ArtgenApp(settings, session_id=session_id, new_session=new_session)
    app.run()
    return app.return_code or 0
