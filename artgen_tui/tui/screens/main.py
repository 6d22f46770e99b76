"""The main screen: chat and prompt, the timeline and exports beside (wide) or below (narrow)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key, Resize
from textual.screen import Screen
from textual.widget import Widget

from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.tui.widgets.chat_log import ChatLog, ChatMessage
from artgen_tui.tui.widgets.footer import Footer
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.prompt import PromptInput
from artgen_tui.tui.widgets.queue_bar import QueueBar
from artgen_tui.tui.widgets.status_bar import StatusBar
from artgen_tui.tui.widgets.timeline_table import TimelineDetail, TimelineTable
from artgen_tui.tui.widgets.upload_bar import UploadBar

NARROW_WIDTH = 110
"""Below this many columns the side area moves under the chat."""

_W = TypeVar("_W", bound=Widget)


class MainPart(Generic[_W]):
    """An app attribute for the main screen's one widget of a kind, looked up once (the layout
    never changes) and again only if it was replaced."""

    def __init__(self, kind: type[_W]) -> None:
        self.kind = kind
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = f"_part_{name}"

    def __get__(self, app: App[Any], owner: type[Any] | None = None) -> _W:
        found = app.__dict__.get(self.name)
        if not isinstance(found, self.kind) or not found.is_attached:
            screen = app.screen_stack[0]
            assert isinstance(screen, MainScreen)
            found = screen.query_one(self.kind)
            app.__dict__[self.name] = found
        return found


class MainScreen(Screen[None]):
    def __init__(
        self,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        history: PromptHistory | None = None,
        keymap: Mapping[str, str] | None = None,
        *,
        hints: tuple[str, str] | None = None,
    ) -> None:
        """``hints``: the key that exports and the empty prompt's text, with the keymap applied
        (in the first frame: set after it, they would lay the screen out again)."""
        super().__init__(id="main")
        self._hints = hints
        self._clock = clock
        self._wall_clock = wall_clock
        self._history = history
        self._keymap = keymap or {}

    def compose(self) -> ComposeResult:
        yield StatusBar(self._clock, id="status")
        with Horizontal(id="body"):
            with Vertical(id="chat-pane"):
                yield ChatLog(id="chat")
                yield UploadBar(id="upload-row")
                yield PromptInput(self._history, keymap=self._keymap, id="prompt")
                yield QueueBar(id="queue")
            with Vertical(id="side"):
                yield TimelineTable(id="timeline")
                yield TimelineDetail(id="timeline-detail")
                yield JobsPanel(clock=self._wall_clock, id="jobs")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._apply_width(self.size.width)
        prompt = self.query_one(PromptInput)
        if self._hints is not None:
            export_key, prompt.placeholder = self._hints
            self.query_one(JobsPanel).set_export_key(export_key)
        prompt.focus()

    def on_key(self, event: Key) -> None:
        """Typing while a message is focused goes to the prompt (except the message's own keys:
        ``c`` copies; a result also has ``o`` and ``r``)."""
        focused = self.focused
        if (
            isinstance(focused, ChatMessage)
            and event.is_printable
            and event.character
            and event.key not in _own_keys(focused)
        ):
            event.stop()
            prompt = self.query_one(PromptInput)
            prompt.focus()
            prompt.insert_text_at_cursor(event.character)

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


def _own_keys(widget: ChatMessage) -> set[str]:
    return {
        key.strip()
        for binding in widget.BINDINGS
        if isinstance(binding, Binding)
        for key in binding.key.split(",")
    }
