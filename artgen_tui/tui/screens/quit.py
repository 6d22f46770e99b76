"""Quitting with exports still running: they resume next time, or are cancelled if asked.

Answers ``"quit"`` (leave them; the journal resumes them on the next start), ``"cancel"``
(cancel them, then quit) or ``"stay"`` (Esc).
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

QuitAnswer = Literal["quit", "cancel", "stay"]


def running_question(count: int) -> str:
    what = "1 export is" if count == 1 else f"{count} exports are"
    return (
        f"{what} still running. Quit now and they resume the next time you open artgen, "
        "or cancel them and quit?"
    )


class QuitScreen(ModalScreen[QuitAnswer]):
    DEFAULT_CSS = """
    QuitScreen {
        align: center middle;
        & > Vertical {
            width: 70%;
            max-width: 80;
            height: auto;
            border: thick $warning;
            background: $surface;
            padding: 1 2;
        }
        #quit-question { padding-bottom: 1; }
        #quit-buttons { height: auto; align-horizontal: right; }
        #quit-buttons Button { margin-left: 1; }
    }
    """

    BINDINGS = [
        Binding("q", "answer('quit')", "Quit", id="quit.resume_later"),
        Binding("c", "answer('cancel')", "Cancel exports", id="quit.cancel_exports"),
        Binding("escape,s", "answer('stay')", "Stay", id="quit.stay"),
    ]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(running_question(self.count)), id="quit-question")
            with Horizontal(id="quit-buttons"):
                yield Button("Stay (Esc)", id="stay")
                yield Button("Cancel exports and quit (c)", id="cancel", variant="error")
                yield Button("Quit, resume later (q)", id="quit", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        answer: QuitAnswer = "quit" if event.button.id == "quit" else "stay"
        if event.button.id == "cancel":
            answer = "cancel"
        self.dismiss(answer)

    def action_answer(self, answer: QuitAnswer) -> None:
        self.dismiss(answer)
