"""Messages the app's widgets post; protocol work stays in :mod:`artgen_tui.core`."""

from __future__ import annotations

from textual.message import Message


class RunAction(Message):
    """Run an app action by name (from an action hint under a reply or a palette entry)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
