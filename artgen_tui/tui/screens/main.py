"""The main screen: chat and prompt, the timeline and exports beside (wide) or below (narrow)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from artgen_tui.tui.widgets.chat_log import ChatLog
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.timeline_table import TimelineTable
from artgen_tui.tui.widgets.upload_bar import UploadBar

NARROW_WIDTH = 110
"""Below this many columns the side area moves under the chat."""


class MainScreen(Screen[None]):
    def __init__(self, clock: Callable[[], float], wall_clock: Callable[[], float]) -> None:
        super().__init__(id="main")
        self._clock = clock
        self._wall_clock = wall_clock

    def compose(self) -> ComposeResult:
        yield StatusBar(self._clock, id="status")
        with Horizontal(id="body"):
            with Vertical(id="chat-pane"):
                yield ChatLog(id="chat")
                yield UploadBar(id="upload-row")
                yield PromptInput(id="prompt")
            with Vertical(id="side"):
                yield TimelineTable(id="timeline")
                yield JobsPanel(clock=self._wall_clock, id="jobs")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._apply_width(self.size.width)
        self.query_one(PromptInput).focus()

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.set_class(0 < width < NARROW_WIDTH, "-narrow")

    @property
    def side_visible(self) -> bool:
        return bool(self.query_one("#side").display)

    def show_side(self, visible: bool) -> None:
        self.query_one("#side").display = visible

    def show_jobs(self) -> None:
        """The exports panel has something to show (it takes room in the side area)."""
        self.add_class("-has-jobs")

    def toggle_timeline(self) -> None:
        """Show and focus the timeline; again while it has focus, hide it (back to the prompt)."""
        table = self.query_one(TimelineTable)
        if table.has_focus:
            table.display = False
            self.query_one(PromptInput).focus()
            return
        self.show_side(True)
        table.display = True
        table.focus()

    def toggle_jobs(self) -> bool:
        """Show and focus the exports; again while they have focus, hide them. ``False`` when
        there is no job to focus yet."""
        panel = self.query_one(JobsPanel)
        if panel.has_focus_within:
            panel.display = False
            self.query_one(PromptInput).focus()
            return True
        self.show_side(True)
        panel.display = True
        if not panel.has_jobs:
            return False
        panel.focus()
        return True
