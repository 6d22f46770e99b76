"""A one-line text question in a modal (renaming a session): Enter keeps, Esc cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class InputDialog(ModalScreen[str | None]):
    """Asks for a line of text, starting from ``value``; dismisses with the text (stripped, never
    empty) or ``None`` when cancelled."""

    DEFAULT_CSS = """
    InputDialog {
        align: center middle;
        & > Vertical {
            width: 70%;
            max-width: 80;
            height: auto;
            border: thick $primary;
            background: $surface;
            padding: 1 2;
        }
        #dialog-title { text-style: bold; padding-bottom: 1; }
        #dialog-hint { color: $text-muted; padding-top: 1; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, value: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self.dialog_title, self.value, self.placeholder = title, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.dialog_title), id="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Static(Content("Enter keeps · Esc cancels"), id="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
