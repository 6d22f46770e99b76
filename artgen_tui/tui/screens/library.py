"""Every result across sessions (:class:`artgen_tui.core.library.Library`): a table, the
highlighted result's thumbnail, and its actions (strip, open, reveal, copy path, re-export,
open its session). Pictures are decoded in a thread and kept per file.

Re-export and opening a session are the app's work: the screen asks with
:class:`~artgen_tui.tui.messages.ReexportRequested` /
:class:`~artgen_tui.tui.messages.OpenSessionRequested` (see :mod:`artgen_tui.tui.library_flow`). Whether an item can be re-exported is core's rule
(:mod:`artgen_tui.core.reexport`); the screen only says so.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from PIL import Image
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from artgen_tui.api.files import human_size
from artgen_tui.core import imaging, reexport, termimage
from artgen_tui.core.library import Library, LibraryItem
from artgen_tui.core.sessions import short_id
from artgen_tui.core.termimage import Protocol
from artgen_tui.tui.messages import OpenSessionRequested, ReexportRequested
from artgen_tui.tui.open_actions import CopyPathRequested, OpenRequested
from artgen_tui.tui.screens.resolution import Choice, ResolutionScreen
from artgen_tui.tui.widgets.strip import FrameStrip

THUMB_COLUMNS = 28
NO_SESSION = "{name} does not say which session made it, so there is no session to open."


def when(created_at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(created_at))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def row(item: LibraryItem) -> tuple[str, ...]:
    title = item.title if len(item.title) <= 40 else item.title[:39] + "…"
    session = short_id(item.session_id) if item.session_id else "—"
    return (title, when(item.created_at), duration(item.duration_s), human_size(item.size), session)


class LibraryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="library.close"),
        Binding("p", "strip", "Preview", id="library.preview", tooltip="Show its frame strip"),
        Binding("o", "open_result", "Open", id="library.open", tooltip="Open in the player"),
        Binding("r", "reveal_result", "Reveal", id="library.reveal", tooltip="Show its folder"),
        Binding("c", "copy_path", "Copy path", id="library.copy", tooltip="Copy the file's path"),
        Binding("e", "reexport", "Re-export", id="library.reexport"),
        Binding("s", "open_session", "Session", id="library.session"),
    ]

    DEFAULT_CSS = """
    LibraryScreen {
        #library-title { padding: 0 1; text-style: bold; background: $panel; width: 1fr; }
        #library-body { height: 1fr; }
        #library-table { width: 1fr; height: 1fr; }
        #library-detail { width: 32; padding: 0 1; border-left: vkey $panel; }
        #library-thumb { height: auto; }
        #library-info { color: $text-muted; height: auto; }
        #library-strip { height: auto; max-height: 12; padding: 0 1; }
        #library-empty { padding: 1 2; color: $text-muted; }
    }
    """

    def __init__(self, library: Library, protocol: Protocol = "halfblock") -> None:
        super().__init__()
        self.library = library
        self.protocol = protocol
        self.items: list[LibraryItem] = []
        self._thumbs: dict[str, Image.Image | str] = {}

    def compose(self) -> ComposeResult:
        yield Static(Content("Library · every result, across sessions"), id="library-title")
        with Horizontal(id="library-body"):
            yield DataTable[str](id="library-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="library-detail"):
                yield Static(Text(""), id="library-thumb")
                yield Static(Content(""), id="library-info")
        yield Vertical(id="library-strip")
        yield Static(Content("No results yet: exports land here."), id="library-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Title", "Date", "Length", "Size", "Session")
        self.items = self.library.items()
        for n, item in enumerate(self.items):
            table.add_row(*row(item), key=str(n))
        self.query_one("#library-empty").display = not self.items
        table.focus()
        if self.items:
            self._show_detail(self.items[0])

    @property
    def current(self) -> LibraryItem | None:
        table = self.query_one(DataTable)
        if not self.items or not table.is_valid_row_index(table.cursor_row):
            return None
        return self.items[table.cursor_row]

    @on(DataTable.RowHighlighted, "#library-table")
    def _highlighted(self) -> None:
        if (item := self.current) is not None:
            self._show_detail(item)

    def _show_detail(self, item: LibraryItem) -> None:
        info = [
            item.title,
            item.path.name,
            item.resolution or "",
            f"session {item.session_id or '—'}",
        ]
        self.query_one("#library-info", Static).update(Content("\n".join(i for i in info if i)))
        self._thumbnail(item)

    @work(exclusive=True, group="library-thumb", exit_on_error=False)
    async def _thumbnail(self, item: LibraryItem) -> None:
        key = str(item.path)
        if key not in self._thumbs:
            try:
                self._thumbs[key] = await asyncio.to_thread(self.library.thumbnail, item)
            except imaging.MediaError as exc:
                self._thumbs[key] = str(exc)
        thumb = self._thumbs[key]
        widget = self.query_one("#library-thumb", Static)
        if isinstance(thumb, str):
            widget.update(Content(thumb))
        else:
            widget.update(termimage.halfblock(thumb, THUMB_COLUMNS))

    def action_strip(self) -> None:
        if (item := self.current) is not None:
            self._strip(item)

    @work(exclusive=True, group="library-strip", exit_on_error=False)
    async def _strip(self, item: LibraryItem) -> None:
        box = self.query_one("#library-strip", Vertical)
        await box.remove_children()
        try:
            frames = await asyncio.to_thread(self.library.strip, item)
        except imaging.MediaError as exc:
            await box.mount(Static(Content(str(exc))))
            return
        await box.mount(FrameStrip(frames, self.protocol))

    def action_open_result(self) -> None:
        if (item := self.current) is not None:
            self.post_message(OpenRequested(item.path))

    def action_reveal_result(self) -> None:
        if (item := self.current) is not None:
            self.post_message(OpenRequested(item.path, reveal=True))

    def action_copy_path(self) -> None:
        if (item := self.current) is not None:
            self.post_message(CopyPathRequested(item.path))

    def action_reexport(self) -> None:
        """Ask for the size (default: its own), then ask the app to re-export it."""
        if (item := self.current) is None:
            return
        try:
            source = reexport.load(item.path)
        except reexport.NotReexportable as exc:
            self.notify(exc.user_text(), severity="warning", markup=False, timeout=10)
            return

        def chosen(choice: Choice | None) -> None:
            if choice is not None:
                self.post_message(ReexportRequested(source.path, choice[0]))

        self.app.push_screen(ResolutionScreen(item.path.name, source.resolution), chosen)

    def action_open_session(self) -> None:
        if (item := self.current) is None:
            return
        if not item.session_id:
            self.notify(NO_SESSION.format(name=item.path.name), severity="warning", markup=False)
            return
        self.post_message(OpenSessionRequested(item.session_id))
