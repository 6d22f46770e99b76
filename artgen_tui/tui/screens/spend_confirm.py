"""Ask before sending a request whose estimate is over the balance or the ``[spend] limit``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from artgen_tui.core.spend import Estimate  # light: the models load under TYPE_CHECKING there


def figures(estimate: Estimate) -> list[str]:
    """The lines of figures the dialog shows."""
    lines = [f"Estimate: about {estimate.credits} credits ({estimate.basis})"]
    if estimate.available is not None:
        lines.append(f"Balance: {estimate.available} available")
    if estimate.limit:
        lines.append(f"Per-run limit ([spend] limit): {estimate.limit}")
    if len(estimate.parts) > 1:
        lines.append(" + ".join(f"{kind} {credits}" for kind, credits in estimate.parts))
    return lines


class SpendConfirm(ModalScreen[bool]):
    """Yes (``y``/Enter on Send) sends; No (``n``/Esc) keeps it unsent."""

    DEFAULT_CSS = """
    SpendConfirm {
        align: center middle;
        & > Vertical {
            width: 72; height: auto; border: thick $warning; background: $surface; padding: 0 1;
        }
        #spend-title { text-style: bold; color: $warning; padding-bottom: 1; }
        #spend-figures { padding-bottom: 1; }
        #spend-buttons { height: auto; align-horizontal: right; }
        #spend-buttons > Button { margin-left: 1; }
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Send", id="spend.yes"),
        Binding("n,escape", "answer(False)", "Don't send", id="spend.no"),
    ]

    def __init__(self, estimate: Estimate, what: str = "Send it anyway?") -> None:
        super().__init__()
        self.estimate = estimate
        self.question = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.estimate.sentence), id="spend-title")
            yield Static(Content("\n".join(figures(self.estimate))), id="spend-figures")
            yield Static(Content(self.question))
            with Horizontal(id="spend-buttons"):
                yield Button("Send (y)", id="spend-yes", variant="warning", compact=True)
                yield Button("Don't send (n)", id="spend-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#spend-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "spend-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
