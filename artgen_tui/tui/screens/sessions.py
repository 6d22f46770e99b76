"""F3: every local session in a table, a search box over the transcripts, and the session keys.

Enter opens the highlighted session (the screen dismisses with its id; the app switches to it),
``r`` renames, ``d`` deletes locally (asks first), ``e`` exports the transcript into the output
folder. Typing in the search box filters by a case-insensitive substring of prompts and replies
(:meth:`artgen_tui.core.sessions.SessionIndex.search`); Down moves to the table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from artgen_tui.core.sessions import SearchHit, SessionIndex, UnknownSessionId, ago, write_export
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.rename import InputDialog

COLUMNS = ("", "Title", "Id", "Last activity", "Credits", "Exports")


TITLE_SHOWN = 24
"""Characters of a title shown in the table, so the numbers fit an 80-column terminal."""


def _cut(title: str) -> str:
    return title if len(title) <= TITLE_SHOWN else title[: TITLE_SHOWN - 1] + "…"


class SessionsScreen(ModalScreen[str | None]):
    """Dismisses with the id of the session to open, or ``None``."""

    DEFAULT_CSS = """
    SessionsScreen {
        align: center middle;
        & > Vertical {
            width: 96%;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        #sessions-title { text-style: bold; color: $accent; }
        #sessions-search { margin: 1 0 0 0; }
        #sessions-table { height: 1fr; }
        #sessions-match { color: $text-muted; height: auto; max-height: 3; }
        #sessions-hint { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="sessions.close"),
        Binding("r", "rename", "Rename", id="sessions.rename"),
        Binding("d", "delete", "Delete", id="sessions.delete"),
        Binding("e", "export", "Export chat", id="sessions.export"),
        Binding("slash", "search", "Search", show=False, id="sessions.search"),
    ]

    def __init__(
        self,
        index: SessionIndex,
        current: str | None,
        output_dir: Path,
        wall_clock: Callable[[], float],
    ) -> None:
        super().__init__()
        self.index, self.current = index, current
        self.output_dir, self.wall_clock = output_dir, wall_clock
        self.hits: list[SearchHit] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Sessions"), id="sessions-title")
            yield Input(placeholder="Search prompts and replies…", id="sessions-search")
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Static(Content(""), id="sessions-match")
            yield Static(
                Content(
                    "Enter opens · r renames · d deletes here (the server keeps it) · "
                    "e exports the chat · / searches · Esc closes"
                ),
                id="sessions-hint",
            )
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#sessions-table", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)
        self.refill()
        self.table.focus()

    def refill(self, text: str = "") -> None:
        """Show the sessions matching ``text``; the highlighted session stays highlighted."""
        keep = self.selected()
        self.hits = self.index.search(text)
        table, now = self.table, self.wall_clock()
        table.clear()
        for hit in self.hits:
            r = hit.record
            table.add_row(
                "●" if r.session_id == self.current else "",
                _cut(r.title),
                r.short_id,
                ago(r.last_activity, now),
                str(r.credits),
                str(len(r.exports)),
                key=r.session_id,
            )
        ids = [hit.record.session_id for hit in self.hits]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self._show_match()
        if not self.hits:
            empty = f"No session mentions {text!r}." if text.strip() else "No sessions yet."
            self.query_one("#sessions-match", Static).update(Content(empty))

    def selected(self) -> str | None:
        table = self.table
        if not self.hits or table.cursor_row < 0 or table.cursor_row >= len(self.hits):
            return None
        return self.hits[table.cursor_row].record.session_id

    def _show_match(self) -> None:
        row = self.table.cursor_row
        text = ""
        if 0 <= row < len(self.hits) and self.hits[row].snippets:
            text = "  ".join(self.hits[row].snippets[:2])
        self.query_one("#sessions-match", Static).update(Content(text))

    @on(Input.Changed, "#sessions-search")
    def _search(self, event: Input.Changed) -> None:
        self.refill(event.value)

    @on(Input.Submitted, "#sessions-search")
    def _search_done(self) -> None:
        self.table.focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_match()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.dismiss(event.row_key.value)

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key == "down" and isinstance(self.focused, Input):
            self.table.focus()

    def action_search(self) -> None:
        self.query_one("#sessions-search", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rename(self) -> None:
        session_id = self.selected()
        if session_id is None:
            return
        record = self.index.find(session_id)

        def renamed(title: str | None) -> None:
            if title:
                self.index.rename(session_id, title)
                self.refill(self.query_one("#sessions-search", Input).value)

        self.app.push_screen(
            InputDialog("Rename the session", record.title if record else ""), renamed
        )

    def action_delete(self) -> None:
        session_id = self.selected()
        if session_id is None:
            return
        if session_id == self.current:
            self.notify("This is the session you are in; open another one first.", timeout=4)
            return
        record = self.index.find(session_id)
        title = record.title if record else session_id

        def answered(yes: bool | None) -> None:
            if yes:
                with contextlib.suppress(UnknownSessionId):
                    self.index.delete(session_id)
                self.refill(self.query_one("#sessions-search", Input).value)
                self.notify(f"Deleted {title!r} here; the server keeps its data.", timeout=4)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {title!r} from this computer? Its transcript is removed here; "
                "the project stays on the server.",
                title="Delete session",
                yes="Delete",
            ),
            answered,
        )

    def action_export(self) -> None:
        session_id = self.selected()
        if session_id is None:
            return
        try:
            path = write_export(self.index, session_id, self.output_dir)
        except (OSError, UnknownSessionId) as exc:
            self.notify(f"Could not export the chat: {exc}", severity="error", markup=False)
            return
        self.notify(f"Chat saved to {path}", title="Exported", timeout=6, markup=False)
