"""A modal for long or technical errors, with a key to copy the full text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from artgen_tui.api.untrusted import clean, clean_line


class ErrorModal(ModalScreen[None]):
    """Shows ``title`` and ``text`` (never parsed as markup); ``c`` copies, Esc closes."""

    DEFAULT_CSS = """
    ErrorModal {
        align: center middle;
        & > Vertical {
            width: 80%;
            max-width: 100;
            height: auto;
            max-height: 80%;
            border: thick $error;
            background: $surface;
            padding: 0 1;
        }
        #error-title { text-style: bold; color: $error; padding-bottom: 1; }
        #error-scroll { height: auto; max-height: 20; }
        #error-hint { color: $text-muted; padding-top: 1; }
    }
    """

    BINDINGS = [
        Binding("c", "copy", "Copy error", id="error.copy"),
        Binding("escape,enter,q", "close", "Close", id="error.close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.error_title = clean_line(title, 200)
        self.error_text = clean(text)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.error_title), id="error-title")
            with VerticalScroll(id="error-scroll"):
                yield Static(Content(self.error_text), id="error-text")
            yield Static(Content("c copies the full text · Esc closes"), id="error-hint")
        yield Footer()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(f"{self.error_title}\n\n{self.error_text}")
        self.notify("Error text copied to the clipboard.", title="Copied", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
