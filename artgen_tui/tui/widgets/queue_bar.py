"""Messages waiting for the turn to end, dimmed under the prompt: "queued, not sent, not charged".

Hidden while nothing waits. Selecting one (Enter or a click) posts :class:`QueueBar.Pulled` so it
goes back into the prompt to be edited; the widget itself decides nothing.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from artgen_tui.core.queue import QUEUED_LABEL


class QueueBar(OptionList):
    DEFAULT_CSS = """
    QueueBar {
        height: auto;
        max-height: 5;
        border: none;
        padding: 0 1;
        color: $text-muted;
        text-style: dim;
        background: transparent;
    }
    """

    class Pulled(Message):
        """The user picked the queued message at ``index`` to edit it."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def on_mount(self) -> None:
        self.display = False

    def show_items(self, items: list[str]) -> None:
        self.clear_options()
        self.add_options(
            Option(Content(f"⏸ {text.splitlines()[0][:70]} · {QUEUED_LABEL}")) for text in items
        )
        self.display = bool(items)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Pulled(event.option_index))
