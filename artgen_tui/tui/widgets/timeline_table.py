"""The live timeline: one row per segment, changed rows highlighted until the next update."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable, Static

from artgen_tui.api.untrusted import clean_line

# The timeline rules (and the models under them) load with the first state, after the first frame.
from artgen_tui.tui.widgets.table_caches import bound_render_caches
from artgen_tui.tui.widgets.thumbnail import thumbnail_text

if TYPE_CHECKING:
    from artgen_tui.api.models import SessionState
    from artgen_tui.core.timeline import TimelineDiff, TimelineRow

log = logging.getLogger(__name__)

EMPTY_TEXT = "No timeline yet — describe a video to start"
CHANGED_MARK = "●"
LABEL_MAX = 40
LABEL_MIN = 8
TRACK_MAX = 16

COLUMNS: tuple[tuple[str, str], ...] = (
    ("type", "Track"),
    ("label", "Label / text"),
    ("start", "Start"),
    ("end", "End"),
    ("duration", "Len"),
    ("volume", "Vol"),
)


LABEL_COLUMN = 1


def _read_rows(state: SessionState) -> list[TimelineRow]:
    from artgen_tui.core import timeline

    try:
        return timeline.rows(state.draft)
    except Exception:  # malformed drafts must never take the UI down
        log.exception("could not read the draft's timeline")
        return []


def _seconds(value: float) -> Text:
    from artgen_tui.core import timeline

    return Text(f"{timeline.fmt_seconds(value)}s", justify="right")


def _volume(value: float | None) -> Text:
    if value is None:
        return Text("—", justify="right", style="dim")
    return Text(f"{value * 100:.0f}%", justify="right")


def _clip(text: str, limit: int) -> str:
    return clean_line(text, limit)  # cleaned again here: a cell is drawn as is


def _same(a: Text, b: Text | None) -> bool:
    return b is not None and (a.plain, a.spans, a.style) == (b.plain, b.spans, b.style)


def row_cells(row: TimelineRow, changed: bool, changed_style: Style) -> tuple[Text, ...]:
    """The six cells of one segment; a changed row gets the marker and the accent style."""
    mark = CHANGED_MARK if changed else " "
    label = row.label or row.segment_kind or ""
    cells = (
        Text(f"{mark} {row.icon} {_clip(row.track_name, TRACK_MAX)}"),
        Text(_clip(label, LABEL_MAX), style="" if row.label else "dim italic"),
        _seconds(row.start_s),
        _seconds(row.end_s),
        _seconds(row.duration_s),
        _volume(row.volume),
    )
    if changed:
        for cell in cells:
            cell.stylize(changed_style)
    return cells


class TimelineTable(DataTable[Text]):
    """Tracks × segments of the current draft.

    :meth:`show_state` updates in place by row key: only cells whose content changed are
    rewritten; the rows are rebuilt only when segments were added, removed or reordered.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"timeline-table--changed", "timeline-table--empty"}

    DEFAULT_CSS = """
    TimelineTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        border: round $panel;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        border-subtitle-align: right;
        &:focus {
            border: round $accent;
        }
        & > .timeline-table--changed {
            color: $accent;
            text-style: bold;
        }
        & > .timeline-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        bound_render_caches(self)
        self.border_title = "Timeline"
        self._state: SessionState | None = None
        self._pending: tuple[SessionState, TimelineDiff | None] | None = None
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._rows: list[TimelineRow] = []
        self._changed_style: Style | None = None
        self._label_width = LABEL_MAX
        self.changed_keys: frozenset[str] = frozenset()
        """Keys of the rows highlighted by the last update."""
        self.caption = "empty"
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def on_mount(self) -> None:
        self._update_caption()
        if self._pending is not None:
            state, diff = self._pending
            self._pending = None
            self._show(state, diff)

    class FocusChanged(Message):
        """The table got or lost focus (the selected row's details show only while focused)."""

    def on_focus(self) -> None:
        self.post_message(self.FocusChanged())

    def on_blur(self) -> None:
        self.post_message(self.FocusChanged())

    @property
    def highlighted_row(self) -> TimelineRow | None:
        """The segment under the cursor."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        key = str(self.ordered_rows[self.cursor_row].key.value)
        return next((row for row in self._rows if row.key == key), None)

    @property
    def row_keys(self) -> list[str]:
        """The segment keys in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    class Shown(Message, bubble=False):
        """The table now shows a new state (one per update: tests count them)."""

        def __init__(self, diff: TimelineDiff | None) -> None:
            super().__init__()
            self.diff = diff

    @property
    def state(self) -> SessionState | None:
        """The state on screen (``None`` before the first)."""
        return self._state

    def show_state(self, state: SessionState, diff: TimelineDiff | None = None) -> None:
        """Show ``state`` and highlight ``diff.changed_keys`` (the diff is decided in core; with
        none, nothing is highlighted)."""
        if not self.is_mounted:
            self._pending = (state, diff)
            return
        self._show(state, diff)

    def _show(self, state: SessionState, diff: TimelineDiff | None) -> None:
        from artgen_tui.core import timeline

        if timeline.segment_count(state.draft) > timeline.LARGE_TIMELINE:
            # Thousands of segments: read them on a worker thread, keep the app responsive.
            self.run_worker(self._show_large(state, diff), group="timeline-rows", exclusive=True)
            return
        self._show_rows(state, diff, _read_rows(state))

    async def _show_large(self, state: SessionState, diff: TimelineDiff | None) -> None:
        self._show_rows(state, diff, await asyncio.to_thread(_read_rows, state))

    def _show_rows(
        self, state: SessionState, diff: TimelineDiff | None, new_rows: list[TimelineRow]
    ) -> None:
        changed = set(diff.changed_keys) if diff is not None else set()
        self._state = state
        self.changed_keys = frozenset(changed & {r.key for r in new_rows})
        self._apply(new_rows)
        self._update_caption()
        self.post_message(self.Shown(diff))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Highlight colours are baked into the cells: redo them when the theme changes. Later,
        # because component styles are refreshed only after this call.
        if self.is_mounted and self._rows:
            self.call_later(self._restyle)

    def _restyle(self) -> None:
        if self._changed_style != self._highlight_style():
            self._apply(self._rows)

    def _highlight_style(self) -> Style:
        return self.get_component_rich_style("timeline-table--changed", partial=True)

    def _apply(self, new_rows: list[TimelineRow]) -> None:
        style = self._changed_style = self._highlight_style()
        self._rows = new_rows
        cells = {r.key: row_cells(r, r.key in self.changed_keys, style) for r in new_rows}
        self._label_width = self._label_room(list(cells.values()))
        for values in cells.values():
            values[LABEL_COLUMN].truncate(self._label_width, overflow="ellipsis")
        if [r.key for r in new_rows] == self.row_keys:
            for key, values in cells.items():
                old = self._cells.get(key, ())
                for (column, _), value, before in zip(
                    COLUMNS, values, (*old, *[None] * len(COLUMNS)), strict=False
                ):
                    if not _same(value, before):
                        self.update_cell(key, column, value, update_width=True)
        else:
            cursor_key = self._cursor_key()
            self.clear()
            for key, values in cells.items():
                self.add_row(*values, key=key)
            if cursor_key is not None and cursor_key in cells:
                self.move_cursor(row=self.get_row_index(cursor_key), animate=False)
        self._cells = cells

    def _label_room(self, rows: list[tuple[Text, ...]]) -> int:
        """Width left for labels once the other columns fit, so rows never scroll sideways."""
        width = self.content_region.width - self.styles.scrollbar_size_vertical
        if width <= 0:
            return LABEL_MAX
        pad = 2 * self.cell_padding
        others = 0
        for index, (_, header) in enumerate(COLUMNS):
            if index != LABEL_COLUMN:
                widest = max((cells[index].cell_len for cells in rows), default=0)
                others += max(len(header), widest) + pad
        return max(LABEL_MIN, min(LABEL_MAX, width - others - pad))

    def on_resize(self) -> None:
        if self._rows and self._label_room(list(self._cells.values())) != self._label_width:
            self._apply(self._rows)

    def _cursor_key(self) -> str | None:
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        return str(self.ordered_rows[self.cursor_row].key.value)

    def _update_caption(self) -> None:
        state = self._state
        count = self.row_count
        if state is None or count == 0:
            self.caption = "empty"
        else:
            from artgen_tui.core import timeline

            total = timeline.duration_s(state.draft, self._rows)
            noun = "segment" if count == 1 else "segments"
            canvas = timeline.canvas(state).describe()
            caption = f"{count} {noun} · {timeline.fmt_seconds(total)} s · {canvas}"
            self.caption = clean_line(caption, 200)
        self.border_subtitle = self.caption

    def render_line(self, y: int) -> Strip:
        if self.row_count == 0 and y == (self.header_height if self.show_header else 0) + 1:
            style = self.get_component_rich_style("timeline-table--empty", partial=True)
            text = Text(f" {EMPTY_TEXT}", style=style, no_wrap=True, overflow="ellipsis")
            segments = list(text.render(self.app.console))
            return Strip(segments).crop_extend(0, self.size.width, self.rich_style)
        return super().render_line(y)


class TimelineDetail(Static):
    """Under the timeline: the selected segment in words, and its source's thumbnail when the
    file is local and known (an upload from this machine)."""

    DEFAULT_CSS = """
    TimelineDetail { height: auto; max-height: 12; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id)
        self.display = False
        self.source: Path | None = None

    def show(self, row: TimelineRow | None, source: Path | None) -> None:
        if row is None:
            self.display = False
            return
        self.source = source
        words = f"{row.icon} {row.label or row.track_name} · {row.segment_kind or row.track_kind}"
        words += f" · {row.start_s:.1f}–{row.end_s:.1f} s"
        self.update(Content(words))
        self.display = True
        if source is not None:
            self._thumbnail(words, source)

    @work(exclusive=True, group="timeline-thumb", exit_on_error=False)
    async def _thumbnail(self, words: str, source: Path) -> None:
        picture = await thumbnail_text(source, 24)
        if picture is not None and self.source == source:
            self.update(Text.assemble(words, "\n", picture))
