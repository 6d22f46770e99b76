"""The prompt: one line of input with history (Up/Down) and a busy state."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

PLACEHOLDER = "Describe a video, or type /help · Enter sends · Esc cancels a reply"


class PromptInput(Input):
    """Enter posts ``Input.Submitted``; the app decides what the text means."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous", show=False, id="prompt.history_back"),
        Binding("down", "history(1)", "Next", show=False, id="prompt.history_forward"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id, select_on_focus=False)
        self._history: list[str] = []
        self._index = 0
        self._draft = ""

    def remember(self, text: str) -> None:
        """Add a sent message to the history."""
        if text and (not self._history or self._history[-1] != text):
            self._history.append(text)
        self._index = len(self._history)
        self._draft = ""

    def restore(self, text: str) -> None:
        """Put text back (after a cancelled turn), cursor at the end."""
        self.value = text
        self.cursor_position = len(text)

    def action_history(self, step: int) -> None:
        if not self._history:
            return
        if self._index == len(self._history):
            self._draft = self.value
        self._index = max(0, min(len(self._history), self._index + step))
        text = self._draft if self._index == len(self._history) else self._history[self._index]
        self.restore(text)
