"""Messages widgets post to ask the app for something; the app decides and calls core."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message


class ActionChosen(Message):
    """An action hint under a reply was chosen: ``kind`` is a GUI action (``export``,
    ``state``, ``focus_timeline``; see :mod:`artgen_tui.core.gui_phrases`)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class BatchFinished(Message):
    """A batch run from the app ended: ``done`` of ``total`` items became videos."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ReexportRequested(Message):
    """Render ``path``'s stored draft again at ``resolution`` (``None``: the server's default)
    into a new file (the Library's ``e``)."""

    def __init__(self, path: Path, resolution: str | None) -> None:
        super().__init__()
        self.path = path
        self.resolution = resolution


class OpenSessionRequested(Message):
    """Switch to session ``session_id``, the one a result came from (the Library's ``s``)."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id
