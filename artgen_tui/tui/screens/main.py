"""The main screen: chat and prompt, the timeline and exports beside (wide) or below (narrow)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from artgen_tui.tui.widgets.chat_log import ChatLog
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.timeline_table import TimelineTable

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
                with Horizontal(id="upload-row"):
                    yield Static(Content(""), id="upload-label")
                    yield ProgressBar(total=100, show_eta=False, id="upload-progress")
                yield PromptInput(id="prompt")
            with Vertical(id="side"):
                yield TimelineTable(id="timeline")
                yield JobsPanel(clock=self._wall_clock, id="jobs")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#upload-row").display = False
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
