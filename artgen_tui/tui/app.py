"""The full-screen app: wires the widgets to :mod:`artgen_tui.core`.

Workers consume core async generators (turns, uploads, export jobs) and update widgets; no widget
talks to the network. Every worker catches its errors (``exit_on_error=False`` plus typed
handling), so a failure is shown to the user and never closes the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlparse

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from artgen_tui.api.errors import ApiError, InsufficientCredits, TransportError
from artgen_tui.api.models import Credits, SessionState
from artgen_tui.config import Settings
from artgen_tui.core import conversation as conv
from artgen_tui.core import timeline, uploads
from artgen_tui.core.gui_phrases import GuiAction
from artgen_tui.core.history import Transcript
from artgen_tui.core.intents import Intent, route
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace, is_embedded
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.exports import ExportFlow
from artgen_tui.tui.gc_policy import IDLE_COLLECT_AFTER, CollectorPolicy
from artgen_tui.tui.messages import ActionChosen
from artgen_tui.tui.screens.error import ErrorModal
from artgen_tui.tui.screens.file_picker import FilePickerScreen, UploadChoice
from artgen_tui.tui.screens.help import HelpScreen
from artgen_tui.tui.screens.main import MainScreen
from artgen_tui.tui.widgets.chat_log import ChatLog, ChatMessage, Reply
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.timeline_table import TimelineTable

LONG_ERROR = 240
"""Errors longer than this (or multi-line) also open the copyable error modal."""

RESTORED_MESSAGES = 30
"""How many transcript entries are shown when a session is resumed."""

ACTION_KEYS: dict[str, str] = {"export": "ctrl+e", "state": "", "focus_timeline": "ctrl+t"}

_MAIN_ACTIONS = frozenset(
    {
        "upload",
        "export",
        "credits",
        "new_session",
        "focus_timeline",
        "focus_jobs",
        "toggle_side",
        "focus_prompt",
        "copy_last",
        "reconnect",
        "cancel_turn",
    }
)

_W = TypeVar("_W", bound="Widget")

WorkspaceFactory = Callable[[Settings], Workspace]


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


class ArtgenApp(App[int]):
    """artgen's terminal UI. ``clock``/``wall_clock`` are injectable for deterministic tests."""

    TITLE = "artgen"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys and commands"),
        Binding(
            "ctrl+u", "upload", "Upload", id="app.upload", tooltip="Upload media", priority=True
        ),
        Binding(
            "ctrl+e",
            "export",
            "Export",
            id="app.export",
            tooltip="Render and download",
            priority=True,
        ),
        Binding(
            "ctrl+r",
            "credits",
            "Credits",
            id="app.credits",
            tooltip="Refresh credits",
            priority=True,
        ),
        Binding(
            "ctrl+n",
            "new_session",
            "New",
            id="app.new_session",
            tooltip="New session",
            priority=True,
        ),
        Binding(
            "ctrl+t",
            "focus_timeline",
            "Timeline",
            id="app.timeline",
            tooltip="Focus the timeline (again: hide it)",
        ),
        Binding(
            "ctrl+o",
            "focus_jobs",
            "Exports",
            id="app.jobs",
            show=False,
            tooltip="Focus the exports (again: hide them)",
        ),
        Binding(
            "ctrl+b",
            "toggle_side",
            "Side panel",
            id="app.side",
            show=False,
            tooltip="Show or hide timeline and exports",
        ),
        Binding(
            "ctrl+l",
            "focus_prompt",
            "Prompt",
            id="app.prompt",
            show=False,
            tooltip="Back to the prompt",
        ),
        Binding(
            "ctrl+y",
            "copy_last",
            "Copy reply",
            id="app.copy_last",
            show=False,
            tooltip="Copy the last reply",
        ),
        Binding(
            "f5",
            "reconnect",
            "Reconnect",
            id="app.reconnect",
            show=False,
            tooltip="Retry connecting",
        ),
        Binding(
            "escape",
            "cancel_turn",
            "Cancel",
            id="app.cancel",
            show=False,
            tooltip="Cancel the reply in progress",
        ),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit artgen"),
    ]

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
    ) -> None:
        super().__init__()
        self.settings = settings
        self._workspace_factory = workspace_factory or (lambda s: Workspace(s))
        self._autoconnect = autoconnect
        self.clock = clock
        self.wall_clock = wall_clock
        self.export_resolution = export_resolution
        self._journal_path = journal_path
        self.ws: Workspace | None = None
        self.jobs: JobManager | None = None
        self.ready = False
        self.turn_text: str | None = None
        """The message of the turn in progress (restored to the prompt on cancel)."""
        self._turn_widgets: list[ChatMessage] = []
        self._turn_worker: Worker[None] | None = None
        self._turn_seq = 0
        self.exports = ExportFlow(self)
        self._low_warned = False
        self.last_credits: Credits | None = None
        self._widgets: dict[type[Widget], Widget] = {}
        self._collector = CollectorPolicy()
        self._idle_collect: Timer | None = None

    # --- setup -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.clock, self.wall_clock)

    def on_ready(self) -> None:
        self._collector.startup_done()
        # Connect only once the first frame is on screen: a failure that arrives before it (a
        # refused connection takes milliseconds) would otherwise never be painted.
        if self._autoconnect:
            self.connect()

    def _schedule_idle_collect(self) -> None:
        if self._idle_collect is not None:
            self._idle_collect.stop()
        self._idle_collect = self.set_timer(IDLE_COLLECT_AFTER, self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        self._idle_collect = None
        if self.turn_running:
            self._schedule_idle_collect()
        else:
            self._collector.idle_collect()

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
        if action in ("quit", "help", "command_palette") or action not in _MAIN_ACTIONS:
            return True
        return isinstance(self.screen, MainScreen)

    async def on_unmount(self) -> None:
        if self.ws is not None:
            await self.ws.aclose()

    # --- widget access -----------------------------------------------------------------------

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def _widget(self, kind: type[_W]) -> _W:
        """The main screen's one widget of ``kind`` (looked up once: the layout never changes)."""
        found = self._widgets.get(kind)
        if found is None or not found.is_attached:
            found = self.main.query_one(kind)
            self._widgets[kind] = found
        assert isinstance(found, kind)
        return found

    @property
    def chat(self) -> ChatLog:
        return self._widget(ChatLog)

    @property
    def prompt(self) -> PromptInput:
        return self._widget(PromptInput)

    @property
    def status(self) -> StatusBar:
        return self._widget(StatusBar)

    @property
    def timeline(self) -> TimelineTable:
        return self._widget(TimelineTable)

    @property
    def jobs_panel(self) -> JobsPanel:
        return self._widget(JobsPanel)

    @property
    def is_local(self) -> bool:
        return is_embedded(self.settings.api_url) or is_loopback(self.settings.api_url)

    @property
    def turn_running(self) -> bool:
        return self._turn_worker is not None and self._turn_worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    # --- connection --------------------------------------------------------------------------

    def _notice(self, text: str) -> None:
        """Workspace notices (new token, lost session, rate-limit waits) go to the chat."""
        self.call_later(self.chat.add_notice, text, "info")

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, *, new_session: bool = False) -> None:
        self.ready = False
        self.status.set_connection("connecting", "Connecting…")
        try:
            if self.ws is None:
                self.ws = self._workspace_factory(self.settings)
                self.ws.set_notice_callback(self._notice)
            ws = self.ws
            await ws.ready(new=new_session)
        except ApiError as exc:
            await self._connection_failed(exc)
            return
        except (OSError, ValueError) as exc:
            await self._connection_failed(TransportError(str(exc)))
            return
        self.jobs = JobManager(ws, journal_path=self._journal_path)
        await self._restore_transcript(ws.session_id)
        self.set_ready()
        if ws.last_state is not None:
            self.timeline.show_state(ws.last_state)
        self.refresh_credits()
        self.resume_jobs()

    async def _connection_failed(self, exc: ApiError) -> None:
        embedded = is_embedded(self.settings.api_url)
        if isinstance(exc, TransportError) and embedded:
            hint = "Press F5 to retry; if it keeps failing, restart `artgen --local`."
        elif isinstance(exc, TransportError) and self.is_local:
            hint = (
                f"Press F5 to retry. Is `artgen serve-local` running at {self.settings.api_url}? "
                "Or run `artgen --local` to start one inside the app."
            )
        elif isinstance(exc, TransportError):
            hint = "Press F5 to retry, or run `artgen --local` to work offline."
        else:
            hint = "Press F5 to retry."
        self.status.set_connection("error", f"Offline · {hint}")
        await self.show_error("Could not connect", f"{exc.user_text()}\n{hint}")

    def set_ready(self) -> None:
        self.ready = True
        self.status.set_connection("ready", "Ready")

    async def _restore_transcript(self, session_id: str) -> None:
        entries = Transcript(session_id).load(limit=RESTORED_MESSAGES)
        chat = self.chat
        await chat.remove_children()
        if not entries:
            return
        for entry in entries:
            if entry.role == "user":
                await chat.add_user(entry.text)
            elif entry.role == "assistant":
                await chat.add_reply(entry.text)
            else:
                await chat.add_notice(entry.text, "info")
        await chat.add_notice("Resumed your last session.", "marker")

    def action_reconnect(self) -> None:
        if not self.ready:
            self.connect()

    # --- prompt and routing ------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    async def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        await self.submit(text)

    async def submit(self, text: str) -> None:
        """Handle one line typed in the prompt."""
        if self.turn_running:
            self.notify("A reply is still arriving; Esc cancels it.", severity="warning")
            return
        intent = route(text)
        if intent.kind == "help" and intent.error and text.strip().startswith("/bench-stream"):
            intent = Intent("chat", text)
        if intent.kind == "help":
            self.prompt.clear()
            if intent.error:
                await self.chat.add_notice(intent.error, "warning")
            else:
                self.action_help()
            return
        if not self.ready and intent.kind != "chat":
            self.notify("Not connected yet; press F5 to retry.", severity="warning")
            return
        if not self.ready:
            self.notify("Not connected yet; your message is kept.", severity="warning")
            return
        self.prompt.remember(text)
        self.prompt.clear()
        await self.run_intent(intent)

    async def run_intent(self, intent: Intent) -> None:
        """Local actions never start an agent turn."""
        if intent.kind == "chat":
            self.start_turn(intent.text)
            return
        await self.chat.add_user(intent.text)
        if intent.kind == "export":
            self.action_export()
        elif intent.kind == "credits":
            self.refresh_credits(announce=True)
        elif intent.kind == "state":
            self.show_status()
        elif intent.kind == "upload":
            if intent.args:
                items: list[Path | str] = [
                    a if uploads.is_url(a) else Path(a).expanduser() for a in intent.args
                ]
                self.upload(items)
            else:
                self.action_upload()
        elif intent.kind == "new":
            self.action_new_session()

    # --- chat turns --------------------------------------------------------------------------

    def start_turn(self, text: str) -> None:
        self.turn_text = text
        self._turn_worker = self._run_turn(text)

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def _run_turn(self, text: str) -> None:
        ws = self.ws
        if ws is None:
            return
        self._turn_seq += 1
        seq = self._turn_seq
        chat = self.chat
        self._turn_widgets = [await chat.add_user(text)]
        chat.anchor()
        self.status.set_connection("busy", "Agent working… · Esc cancels")
        self.status.start_timer()
        reply: Reply | None = None
        self._collector.turn_started()
        try:
            async for event in conv.run_turn(ws, text):
                reply = await self.apply_turn_event(event, reply)
        except ApiError as exc:
            if reply is not None:
                await reply.finish()
            await self.show_api_error(exc)
        finally:
            self._collector.turn_finished()
            self._schedule_idle_collect()
            if seq == self._turn_seq:  # not cancelled (Esc already reset everything)
                self.status.stop_timer()
                if self.ws is not None and self.ready:
                    self.set_ready()
                self.turn_text = None

    async def apply_turn_event(self, event: conv.TurnEvent, reply: Reply | None) -> Reply | None:
        """Show one turn event; returns the reply being streamed (created on the first text)."""
        chat = self.chat
        if isinstance(event, conv.TextChunk):
            if reply is None:
                reply = await chat.add_reply()
                self._turn_widgets.append(reply)
            reply.write(event.text)
        elif isinstance(event, conv.ToolActivity):
            if self.settings.show_tool_activity:
                await self._close_reply(reply)
                reply = None
                self._turn_widgets.append(await chat.add_notice(event.label, "marker"))
        elif isinstance(event, conv.StillWorking):
            await self._close_reply(reply)
            reply = None
            self._turn_widgets.append(await chat.add_notice(event.text, "working"))
        elif isinstance(event, conv.TimelineChanged):
            self.timeline.show_state(event.state, event.diff)
        elif isinstance(event, conv.Notice):
            await chat.add_notice(event.text, "info")
        elif isinstance(event, conv.TurnDone):
            if reply is not None:
                await reply.finish()
            if event.credits is not None:
                self.show_credits(event.credits)
            if event.actions:
                await chat.add_actions(self._action_triples(event.actions))
        return reply

    @staticmethod
    async def _close_reply(reply: Reply | None) -> None:
        """Text after a marker starts a new reply block below it."""
        if reply is not None:
            await reply.finish()

    @staticmethod
    def _action_triples(actions: Iterable[GuiAction]) -> list[tuple[str, str, str]]:
        return [(a.kind, a.label, ACTION_KEYS.get(a.kind, "")) for a in actions]

    @on(ActionChosen)
    def _action_chosen(self, event: ActionChosen) -> None:
        if event.kind == "export":
            self.action_export()
        elif event.kind == "state":
            self.show_status()
        elif event.kind == "focus_timeline":
            self.action_focus_timeline()

    def action_cancel_turn(self) -> None:
        """Esc: stop the reply in progress and put the message back in the prompt."""
        if not self.turn_running or self._turn_worker is None:
            return
        text = self.turn_text or ""
        self._turn_worker.cancel()
        self._turn_worker = None
        self._turn_seq += 1
        self.turn_text = None
        for widget in self._turn_widgets:
            if isinstance(widget, Reply):
                widget.abandon()
            widget.remove()
        self._turn_widgets = []
        self.status.stop_timer()
        if self.ready:
            self.set_ready()
        self.prompt.restore(text)
        self.prompt.focus()
        self.call_later(self.chat.add_notice, "Cancelled; your message is back in the prompt.")

    # --- credits -----------------------------------------------------------------------------

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def refresh_credits(self, *, announce: bool = False) -> None:
        if self.ws is None or not self.ready:
            return
        try:
            credits = await self.ws.credits()
        except ApiError as exc:
            if announce:
                await self.show_api_error(exc)
            return
        self.show_credits(credits)
        if announce:
            await self.chat.add_notice(
                f"Credits: {credits.available} available · {credits.frozen} frozen · "
                f"{credits.total} total.",
                "info",
            )

    def show_credits(self, credits: Credits) -> None:
        self.last_credits = credits
        threshold = self.settings.low_credits_threshold
        self.status.set_credits(credits, threshold)
        low = credits.available < threshold
        if low and not self._low_warned:
            self._low_warned = True
            what = "You are out of credits" if credits.available <= 0 else "Credits are low"
            self.notify(
                f"{what}: {credits.available} left. Generations cost about 100.",
                title="Credits",
                severity="warning",
                markup=False,
            )
        elif not low:
            self._low_warned = False

    def action_credits(self) -> None:
        self.refresh_credits(announce=True)

    # --- status and sessions -----------------------------------------------------------------

    @work(exclusive=True, group="state", exit_on_error=False)
    async def show_status(self) -> None:
        if self.ws is None:
            return
        try:
            state = await self.ws.state()
        except ApiError as exc:
            await self.show_api_error(exc)
            return
        shown = self.timeline.state
        self.timeline.show_state(state, timeline.diff(shown, state) if shown is not None else None)
        await self.chat.add_notice(timeline.summary(state), "info")

    def action_new_session(self) -> None:
        if not self.ready or self.turn_running:
            self.notify("Wait for the current reply (or press Esc) first.", severity="warning")
            return
        self._new_session()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _new_session(self) -> None:
        if self.ws is None:
            return
        try:
            await self.ws.new_session()
        except ApiError as exc:
            await self.show_api_error(exc)
            return
        await self.chat.remove_children()
        self.timeline.show_state(SessionState())
        await self.chat.add_notice("Started a new session: an empty project.", "info")
        self.refresh_credits()

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
        if self.ws is None:
            return
        row = self.main.query_one("#upload-row")
        label = self.main.query_one("#upload-label", Static)
        bar = self.main.query_one("#upload-progress", ProgressBar)

        def progress(p: uploads.UploadProgress) -> None:
            label.update(Content(f"Uploading {p.name} ({p.index + 1}/{p.count})"))
            fraction = p.fraction
            bar.update(total=100, progress=0 if fraction is None else fraction * 100)

        row.display = True
        bar.update(total=100, progress=0)
        try:
            outcome = await uploads.upload(self.ws, items, progress=progress)
        except ApiError as exc:
            await self.show_api_error(exc)
            return
        finally:
            row.display = False
        await self.chat.add_notice(outcome.sentence(), "info")
        if outcome.state is not None:
            self.timeline.show_state(outcome.state, outcome.diff)
        self.refresh_credits()

    # --- exports (see :mod:`artgen_tui.tui.exports`) ------------------------------------------

    def action_export(self) -> None:
        if not self.ready or self.jobs is None:
            self.notify("Not connected yet.", severity="warning")
            return
        self._export_worker(self.exports.start())

    def resume_jobs(self) -> None:
        self._export_worker(self.exports.resume())

    def _export_worker(self, work: Coroutine[Any, Any, None]) -> None:
        self.run_worker(work, group="export", exit_on_error=False)

    def show_job(self, job: ExportJob) -> None:
        self.jobs_panel.upsert(job)
        self.main.add_class("-has-jobs")

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

    # --- errors ------------------------------------------------------------------------------

    async def show_api_error(self, exc: ApiError) -> None:
        if isinstance(exc, InsufficientCredits):
            await self.chat.add_notice(exc.user_text(), "error")
            self.status.query_one("#status-credits").add_class("-empty")
            return
        await self.show_error("Something went wrong", exc.user_text())

    async def show_error(self, title: str, text: str) -> None:
        """In the chat; long or multi-line text also opens the copyable modal."""
        await self.chat.add_notice(text, "error")
        if len(text) > LONG_ERROR or text.count("\n") > 2:
            self.push_screen(ErrorModal(title, text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Last line of defence: an unexpected exception in a worker becomes an error modal."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        name = event.worker.name or "task"
        detail = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        self.push_screen(ErrorModal(f"Unexpected error in {name}", detail))
        if event.worker.group == "turn":
            self.status.stop_timer()
            if self.ready:
                self.set_ready()
        if event.worker.group == "connect":
            self.status.set_connection("error", "Offline · Press F5 to retry.")

    # --- navigation --------------------------------------------------------------------------

    def action_focus_timeline(self) -> None:
        """Show and focus the timeline; pressed again while it has focus, hide it."""
        table = self.timeline
        if table.has_focus:
            table.display = False
            self.prompt.focus()
            return
        self.main.show_side(True)
        table.display = True
        table.focus()

    def action_focus_jobs(self) -> None:
        """Show and focus the exports; pressed again while they have focus, hide them."""
        panel = self.jobs_panel
        if panel.has_focus_within:
            panel.display = False
            self.prompt.focus()
            return
        self.main.show_side(True)
        panel.display = True
        if panel.jobs:
            panel.focus()
        else:
            self.notify("No exports yet: press Ctrl+E to export.", timeout=3)

    def action_toggle_side(self) -> None:
        self.main.show_side(not self.main.side_visible)

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def on_key(self, event: events.Key) -> None:
        """Typing while a message is focused goes to the prompt (only ``c`` copies)."""
        if (
            isinstance(self.focused, ChatMessage)
            and event.is_printable
            and event.character
            and event.character != "c"
        ):
            event.stop()
            prompt = self.prompt
            prompt.focus()
            prompt.insert_text_at_cursor(event.character)

    def action_copy_last(self) -> None:
        replies = [m for m in self.chat.messages() if isinstance(m, Reply)]
        if not replies:
            self.notify("No reply to copy yet.", timeout=2)
            return
        replies[-1].action_copy()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[tuple[str, str]]:
        """(key, description) for every app binding, with the user's remaps applied."""
        keymap = self.settings.keymap
        rows: list[tuple[str, str]] = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            key = keymap.get(binding.id or "", binding.key)
            rows.append((key, binding.tooltip or binding.description))
        rows.append(("ctrl+p", "Command palette (every action)"))
        return rows

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, callback in palette_entries(self):
            yield SystemCommand(title, help_text, callback)


def run_app(settings: Settings) -> int:
    """Run the TUI until the user quits; returns the exit code."""
    app = ArtgenApp(settings)
    app.run()
    return app.return_code or 0
