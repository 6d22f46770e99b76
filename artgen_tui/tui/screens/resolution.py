"""Pick the size of a re-export: the first choice keeps the result's own (Enter takes it), Esc
gives up. Dismisses with ``(resolution,)`` (``None`` inside: the server's default size) or
``None`` when cancelled."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from artgen_tui.core.sizes import RESOLUTIONS

Choice = tuple[str | None]


def choices(current: str | None) -> list[tuple[str, str | None]]:
    """``(label, resolution)`` pairs, the result's own size first."""
    same = f"Same as before ({current})" if current else "Same as before (the server's default)"
    return [(same, current), *((size, size) for size in RESOLUTIONS if size != current)]


class ResolutionScreen(ModalScreen[Choice | None]):
    DEFAULT_CSS = """
    ResolutionScreen {
        align: center middle;
        & > Vertical {
            width: 60; height: auto; border: thick $accent; background: $surface; padding: 0 1;
        }
        #resolution-title { text-style: bold; padding-bottom: 1; }
        #resolution-list { height: auto; max-height: 8; }
        #resolution-hint { color: $text-muted; padding-top: 1; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, current: str | None) -> None:
        super().__init__()
        self.file_name = name
        self.options = choices(current)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"Re-export {self.file_name}"), id="resolution-title")
            yield OptionList(
                *(Option(label, id=str(n)) for n, (label, _) in enumerate(self.options)),
                id="resolution-list",
            )
            yield Static(
                Content("Enter renders its stored draft into a new file · Esc cancels"),
                id="resolution-hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss((self.options[event.option_index][1],))

    def action_cancel(self) -> None:
        self.dismiss(None)
