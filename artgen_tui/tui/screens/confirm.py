"""A yes/no question in a modal: ``y``/Enter on Yes answers yes, ``n``/Esc answers no.

Any feature that must ask first (a new session over one with content, deleting a session, sending
again while a cancelled request may still run) pushes :class:`ConfirmScreen` and reads the answer
from the dismiss callback (``True`` / ``False``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks ``question``; ``yes``/``no`` label the buttons. Focus starts on ``No`` unless
    ``default_yes``, so a stray Enter never does the irreversible thing."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        & > Vertical {
            width: 70%;
            max-width: 80;
            height: auto;
            border: thick $warning;
            background: $surface;
            padding: 1 2;
        }
        #confirm-title { text-style: bold; padding-bottom: 1; }
        #confirm-question { padding-bottom: 1; }
        #confirm-buttons { height: auto; align-horizontal: right; }
        #confirm-buttons Button { margin-left: 2; }
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        question: str,
        *,
        title: str = "Are you sure?",
        yes: str = "Yes",
        no: str = "No",
        default_yes: bool = False,
    ) -> None:
        super().__init__()
        self.question, self.confirm_title = question, title
        self.yes_label, self.no_label = yes, no
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.confirm_title), id="confirm-title")
            yield Static(Content(self.question), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.no_label} (n)", id="confirm-no")
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes" if self.default_yes else "#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
