"""The full-screen app: key bindings, composition, and routing to the flows (``turn_view``,
``exports``, ``uploads``, ``connection``, ``credits_view``, ``errors``), each given only the widgets
and callbacks it needs. Every worker catches its errors, so a failure never closes the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from artgen_tui.api.errors import ApiError, TransportError
from artgen_tui.api.untrusted import clean, clean_line
from artgen_tui.config import Settings
from artgen_tui.core import termimage
from artgen_tui.core.intents import Intent, route
from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.core.prompt_history import default_path as prompt_history_path
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.connection import (
    connection_failed,
    preload,
    restore_transcript,
    session_label,
    show_project_status,
    start_new_session,
)
from artgen_tui.tui.credits_view import CreditsView
from artgen_tui.tui.editor import edit_in_app
from artgen_tui.tui.errors import ErrorView
from artgen_tui.tui.exports import ExportFlow, ExportOutlets
from artgen_tui.tui.gc_policy import CollectorPolicy
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
from artgen_tui.tui.preview_flow import PreviewFlow, PreviewOutlets
from artgen_tui.tui.queue_flow import QueueFlow
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.help import HelpScreen
from artgen_tui.tui.screens.main import MainPart, MainScreen
from artgen_tui.tui.screens.quit import QuitAnswer, QuitScreen
from artgen_tui.tui.screens.spend_confirm import SpendConfirm
from artgen_tui.tui.session_flow import SessionFlow
from artgen_tui.tui.spend_view import SpendView
from artgen_tui.tui.theme_save import ThemeSaver
from artgen_tui.tui.turn_view import TurnOutlets, TurnState, TurnView
from artgen_tui.tui.uploads import UploadOutlets, offer_upload, upload_items
from artgen_tui.tui.welcome import Welcome, greet
from artgen_tui.tui.widgets.chat_log import ChatLog
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.queue_bar import QueueBar
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.strip import compact_strip, load_graphics
from artgen_tui.tui.widgets.timeline_table import TimelineDetail, TimelineTable
from artgen_tui.tui.widgets.upload_bar import UploadBar

# The client, the models and the product rules load after the first frame (issue 9).
if TYPE_CHECKING:
    from artgen_tui.core.jobs import ExportJob, JobManager
    from artgen_tui.core.spend import Estimate
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.screens.batch import BatchPlan
    from artgen_tui.tui.screens.file_picker import UploadChoice

WorkspaceFactory = Callable[[Settings], "Workspace"]


def _new_workspace(settings: Settings) -> Workspace:
    from artgen_tui.core.workspace import Workspace

    return Workspace(settings)


class ArtgenApp(App[int], inherit_bindings=False):
    """artgen's terminal UI. ``clock``/``wall_clock`` are injectable for deterministic tests."""

    TITLE = "artgen"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, action, label, id=f"app.{bid}", tooltip=tip, show=show, priority=prio)
        for key, action, label, bid, tip, show, prio in [
            ("f1", "help", "Help", "help", "Keys and commands", True, True),
            ("f2", "upload", "Upload", "upload", "Upload media", True, True),
            ("f3", "sessions", "Sessions", "sessions", "Your sessions", True, True),
            ("f4", "library", "Library", "library", "Your exported videos", True, True),
            ("f5", "credits", "Credits", "credits", "Refresh credits (offline: reconnect)", True, True),
            ("f6", "export", "Export", "export", "Render and download", True, True),
            ("f7", "preview", "Preview", "preview", "Quick preview of the last export", True, True),
            ("f8", "focus_timeline", "Timeline", "timeline", "Focus the timeline (again: hide it)", True, True),
            ("f9", "focus_jobs", "Exports", "jobs", "Focus the exports (again: hide them)", False, True),
            ("f10", "new_session", "New", "new_session", "New session", True, True),
            ("ctrl+l", "focus_prompt", "Prompt", "prompt", "Back to the prompt", False, False),
            ("escape", "cancel_turn", "Cancel", "cancel", "Cancel the reply in progress, else drop the newest queued message", False, False),
            ("ctrl+q", "quit", "Quit", "quit", "Quit artgen", True, True),
        ]
    ]  # fmt: skip
    """App actions: F-keys (priority, so the prompt never takes them) and the palette; never a
    key the prompt edits with. F3/F4/F7 stay inert until their screens exist (``check_action``).
    Textual's own set (Ctrl+Q, and Ctrl+C's "how to quit" hint: Ctrl+C copies in the prompt) is
    not inherited, so the footer lists F1 first."""

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
        prompt_history: PromptHistory | None = None,
    ) -> None:
        super().__init__()
        self._first_session = (session_id, new_session)
        """``--session`` / ``--new-session``: used by the first connect only."""
        self.settings = settings
        # Every id is known only once every screen is loaded: done only when there are remaps.
        self.keymap = resolve_keymap(settings.keymap, binding_ids()) if settings.keymap else {}
        check_app_keys(self.keymap, PromptInput.editing_keys())
        self.prompt_history = prompt_history or PromptHistory(prompt_history_path())
        self.theme_saver = ThemeSaver(self, settings)
        self._workspace_factory = workspace_factory or _new_workspace
        self._autoconnect = autoconnect
        self.clock, self.wall_clock = clock, wall_clock
        self._journal_path = journal_path
        self.uploaded: dict[str, Path] = {}
        """Local files uploaded in this run, by name (a segment's label is its file's name)."""
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
                key_of=lambda action: key_display(self.key_of(action)),
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
        self.graphics = termimage.graphics_protocol()
        self.spend = SpendView(lambda: self.status, self._say, self._ask_spend)
        self.opener = Opener(
            lambda text, severity: self.notify(text, severity=severity, markup=False),  # type: ignore[arg-type]
            self.copy_to_clipboard,
        )
        self.previews = PreviewFlow(
            PreviewOutlets(
                chat=lambda: self.chat,
                say=self._say,
                show_error=self.errors.api_error,
                show_frames=lambda job_id, f: self.jobs_panel.set_strip(job_id, compact_strip(f)),
                protocol=self.graphics,
            )
        )
        self.queue_flow = QueueFlow(self)
        self.notifier = Notifier(self, settings.notify, clock)
        self.exports = ExportFlow(
            ExportOutlets(
                show_job=self.show_job,
                say=self._say,
                show_error=self.errors.api_error,
                credits_changed=self.refresh_credits,
                key_of=self.key_of,
                show_result=self.previews.show_result,
            ),
            jobs=lambda: self.jobs,
            resolution=export_resolution,
        )

    # --- setup -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.clock, self.wall_clock, self.prompt_history)

    def on_ready(self) -> None:
        self._collector.startup_done()
        self.chat.max_mounted = self.settings.chat_max_messages
        self.jobs_panel.set_export_key(key_display(self.key_of("export")))
        self.prompt.placeholder = prompt_placeholder(self.key_of)
        # Connect only once the first frame is on screen: a failure that arrives before it (a
        # refused connection takes milliseconds) would otherwise never be painted.
        if self._autoconnect:
            self.connect()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast passes the sanitiser: its text may quote the server."""
        super().notify(
            clean(message),
            title=clean_line(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self.notify(
                f"Unknown theme {self.settings.theme!r}; using the default. "
                f"Pick one with {key_display(self.COMMAND_PALETTE_BINDING)} → Theme.",
                severity="warning",
                markup=False,
            )
        self.theme_saver.watch()
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
            retry = key_display(self.key_of("credits"))
            await connection_failed(
                error, self.settings.api_url, self.status, self.errors.error, retry
            )
            return
        from artgen_tui.core.jobs import JobManager

        self.jobs = JobManager(ws, journal_path=self._journal_path)
        self.spend.connected(ws)
        await restore_transcript(self.chat, ws.sessions, ws.session_id)
        self.status.set_session(*session_label(ws))
        await greet(self.chat, self.key_of)
        self.set_ready()
        self.run_worker(preload, thread=True, group="preload", exit_on_error=False)
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

    @on(PromptInput.Changed)
    def _typed(self, event: PromptInput.Changed) -> None:
        self.spend.typed(event.text_area.text, self._has_timeline())

    def _has_timeline(self) -> bool | None:
        state = self.ws.last_state if self.ws is not None else None
        return (
            None
            if state is None
            else bool(state.state.draft and state.state.draft.ready_for_export)
        )

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
        edited = edit_in_app(self, self.prompt.text)
        if edited is not None:
            self.prompt.restore(edited)
        self.prompt.focus()

    @on(Welcome.ExampleChosen)
    def _example_chosen(self, event: Welcome.ExampleChosen) -> None:
        self.prompt.restore(event.text)
        self.prompt.focus()

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
            retry = key_display(self.key_of("credits"))
            what = f"press {retry} to retry" if intent.kind != "chat" else "your message is kept"
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
            self.action_preview()
            return
        if intent.kind == "upload" and intent.args:
            from artgen_tui.core import uploads

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
            "library": self.action_library,
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
            kind = self.spend.kind_of(turn.text, self._has_timeline())
            if not await self.spend.allowed(kind):
                self.turns.end(turn)
                self.prompt.restore(turn.text)
                await self.chat.add_notice("Not sent; your message is back in the prompt.", "info")
                return
            pending = await self.spend.begin(self.ws, kind)
            await self.turns.run(self.ws, turn)
            await self.spend.report(pending, turn.credits_after)
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
            "preview": self.action_preview,
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
        """F5: credits now; offline, it retries connecting first."""
        if not self.ready:
            self.connect()
            return
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
            await greet(self.chat, self.key_of)
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
            if choice is not None and choice.one_video_per_file:
                from artgen_tui.tui.screens.batch import BatchSetup

                self.push_screen(BatchSetup(choice.paths), self.run_batch)
            elif choice is not None and (choice.paths or choice.urls):
                self.upload([*choice.paths, *choice.urls])

        from artgen_tui.tui.screens.file_picker import FilePickerScreen

        self.push_screen(FilePickerScreen(Path.cwd()), chosen)

    def run_batch(self, plan: BatchPlan | None) -> None:
        """One video per file: a batch screen prices the plan, then runs it."""
        from artgen_tui.tui.screens.batch import batch_screen

        if plan is not None and self.ws is not None:
            self.push_screen(batch_screen(self.ws, self.settings, plan))

    @on(DataTable.RowHighlighted, "#timeline")
    @on(TimelineTable.FocusChanged)
    def _segment_selected(self) -> None:
        """A selected segment's details (and its source's thumbnail when it came from here)."""
        row = self.timeline.highlighted_row if self.timeline.has_focus else None
        source = self.uploaded.get(row.label) if row is not None else None
        self.main.query_one(TimelineDetail).show(row, source)

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def upload(self, items: list[Path | str]) -> None:
        self.uploaded.update({i.name: i for i in items if isinstance(i, Path)})
        if self.ws is not None and await upload_items(self.ws, items, self._upload_outlets):
            self.refresh_credits()

    # --- exports (see :mod:`artgen_tui.tui.exports`) ------------------------------------------

    def action_export(self) -> None:
        if not self.ready or self.jobs is None:
            self.notify("Not connected yet.", severity="warning")
            return
        if self.ws is not None:
            self._export_worker(self.spend.priced(self.ws, "export", self.exports.start))

    # --- quick preview and library (see :mod:`artgen_tui.tui.preview_flow`) --------------------

    def action_preview(self) -> None:
        if not self.ready or self.ws is None:
            self.notify("Not connected yet.", severity="warning")
            return
        self._preview()

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _preview(self) -> None:
        if self.ws is None:
            return
        estimate = self.spend.estimate("export", "preview")
        if estimate is not None and estimate.credits > 0:
            await self._say(estimate.sentence, "info")
        ws = self.ws
        await self.spend.priced(ws, "export", lambda: self.previews.run(ws), "preview")

    def action_library(self) -> None:
        from artgen_tui.core.library import Library
        from artgen_tui.tui.screens.library import LibraryScreen

        library = Library([self.settings.output_dir], journal_path=self._journal_path)
        self.push_screen(LibraryScreen(library, self.graphics))

    @on(ReexportRequested)
    def _reexport(self, event: ReexportRequested) -> None:
        from artgen_tui.tui.library_flow import LibraryFlow

        LibraryFlow(self).reexport(event.path, event.resolution)

    @on(OpenSessionRequested)
    def _open_session_of_result(self, event: OpenSessionRequested) -> None:
        from artgen_tui.tui.library_flow import LibraryFlow

        LibraryFlow(self).open_session(event.session_id)

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

    async def _ask_spend(self, estimate: Estimate) -> bool:
        answer: bool = await self.push_screen_wait(SpendConfirm(estimate))
        return answer

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
        batch = [w for w in self.workers if w.group == "batch" and w.is_running]
        if batch and not isinstance(self.screen, ConfirmScreen):
            question = (
                "A batch is still running. Its finished videos are kept, and running the same "
                "batch again (the same files, or `artgen batch` on its file) finishes the rest "
                "without redoing them. Quit now?"
            )
            self.push_screen(
                ConfirmScreen(question, title="Quit?", yes="Quit", no="Stay"),
                lambda yes: self.exit() if yes else None,
            )
            return
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
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.keymap, self.COMMAND_PALETTE_BINDING))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, callback in palette_entries(self):
            yield SystemCommand(title, help_text, callback)


def run_app(settings: Settings, *, session_id: str | None = None, new_session: bool = False) -> int:
    """Run the TUI until the user quits; returns the exit code."""
    app = ArtgenApp(settings, session_id=session_id, new_session=new_session)
    load_graphics(app.graphics)  # before run: textual-image queries the terminal on import
    app.run()
    return app.return_code or 0
