"""The upload progress row under the chat: hidden until an upload runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

if TYPE_CHECKING:
    from artgen_tui.core.uploads import UploadProgress


class UploadBar(Horizontal):
    """``Uploading clip.mp4 (1/2)`` and a bar; :meth:`begin`, :meth:`show`, :meth:`end`."""

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="upload-label")
        yield ProgressBar(total=100, show_eta=False, id="upload-progress")

    def on_mount(self) -> None:
        self.display = False

    def begin(self) -> None:
        self.display = True
        self.query_one(ProgressBar).update(total=100, progress=0)

    def show(self, p: UploadProgress) -> None:
        self.query_one("#upload-label", Static).update(
            Content(f"Uploading {p.name} ({p.index + 1}/{p.count})")
        )
        fraction = p.fraction
        self.query_one(ProgressBar).update(
            total=100, progress=0 if fraction is None else fraction * 100
        )

    def end(self) -> None:
        self.display = False
