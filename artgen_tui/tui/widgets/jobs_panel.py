"""Export jobs: one row each with status, render progress, elapsed time and download or result."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Self

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

from artgen_tui.api.files import human_size
from artgen_tui.api.untrusted import clean_line
from artgen_tui.core.jobs import CANCELLABLE, FINAL, RETRYABLE, ExportJob
from artgen_tui.tui.open_actions import CopyPathRequested, OpenRequested
from artgen_tui.tui.widgets.table_caches import bound_render_caches

EMPTY_TEXT = "No exports yet — press {key} or type 'export'"

STATUS_TEXT: dict[str, str] = {
    "pending": "queued",
    "processing": "rendering",
    "completed": "rendered",
    "downloading": "downloading",
    "downloaded": "✓ saved",
    "failed": "✗ failed",
    "cancelled": "cancelled",
    "download_failed": "✗ not saved",
}

ID_WIDTH = 14
STATUS_WIDTH = 11
ELAPSED_WIDTH = 7
LINE_FIXED = ID_WIDTH + 1 + STATUS_WIDTH + 1 + 4 + 1 + ELAPSED_WIDTH
"""Cells of the first line without the bar: id, status, ``100%``, elapsed, single spaces."""
MIN_ID_WIDTH = 6
MAX_BAR = 20
DEFAULT_WIDTH = 60


def short_id(job_id: str, limit: int = ID_WIDTH) -> str:
    """The distinctive end of the id: render ids all start with ``render_``."""
    job_id = clean_line(job_id, None)  # a server-chosen id is drawn: cleaned first
    tail = job_id.removeprefix("render_") or job_id
    return tail if len(tail) <= limit else "…" + tail[-(limit - 1) :]


def format_elapsed(seconds: float | None) -> str:
    """``0:42``, ``12:05``, ``1:02:03``; ``—`` when unknown."""
    if seconds is None or seconds < 0:
        return "—"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def short_path(path: str, limit: int = 44) -> str:
    """The path with ``~`` for home, cut from the left when long (the file name matters most)."""
    p = Path(path)
    try:
        text = "~/" + p.relative_to(Path.home()).as_posix()
    except ValueError:
        text = path
    text = clean_line(text, None)
    limit = max(limit, 8)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def bar(fraction: float, done: Style, todo: Style, width: int) -> Text:
    """A text progress bar: ``━━━━━╸──────``."""
    fraction = min(1.0, max(0.0, fraction))
    halves = round(fraction * width * 2)
    full, half = divmod(halves, 2)
    text = Text()
    text.append("━" * full, done)
    if half:
        text.append("╸", done)
    text.append("─" * (width - full - half), todo)
    return text


def _progress(job: ExportJob) -> int:
    try:
        return max(0, min(100, int(job.progress)))
    except (TypeError, ValueError, OverflowError):
        return 0


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(clean_line(text, max(limit, 1) * 4).split())
    limit = max(limit, 1)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class JobsTable(DataTable[Text]):
    """The rows of :class:`JobsPanel`; its cursor row is the focused job."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", show_header=False, id=id)
        bound_render_caches(self)  # redrawn at every progress tick


class JobsPanel(Vertical):
    """Every export of this session. Feed it with :meth:`upsert`; it posts requests, never acts."""

    class _JobMessage(Message):
        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    class CopyUrlRequested(_JobMessage):
        """``c``: copy the export's download URL."""

        def __init__(self, job_id: str, url: str | None = None) -> None:
            super().__init__(job_id)
            self.url = url

    class CancelRequested(_JobMessage):
        """``x``: stop the render or download."""

    class RetryRequested(_JobMessage):
        """``r``: download again, or export again after a failure."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_result", "Open", id="jobs.open", tooltip="Open in the player"),
        Binding("r", "reveal_result", "Reveal", id="jobs.reveal", tooltip="Show its folder"),
        Binding("c", "copy_path", "Copy path", id="jobs.copy_path", tooltip="Copy the file's path"),
        Binding("c", "copy_url", "Copy URL", id="jobs.copy_url", tooltip="Copy the video's URL"),
        Binding("x", "cancel_job", "Cancel", id="jobs.cancel", tooltip="Stop this export"),
        Binding("r", "retry_job", "Retry", id="jobs.retry", tooltip="Try this export again"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "jobs-panel--bar-done",
        "jobs-panel--bar-todo",
        "jobs-panel--ok",
        "jobs-panel--active",
        "jobs-panel--error",
        "jobs-panel--muted",
    }

    DEFAULT_CSS = """
    JobsPanel {
        height: auto;
        min-height: 5;
        max-height: 12;
        border: round $panel;
        border-title-color: $text-muted;
        &:focus-within {
            border: round $accent;
        }
        & > .jobs-panel--bar-done { color: $accent; }
        & > .jobs-panel--bar-todo { color: $panel-lighten-2; }
        & > .jobs-panel--ok { color: $success; }
        & > .jobs-panel--active { color: $warning; }
        & > .jobs-panel--error { color: $error; }
        & > .jobs-panel--muted { color: $text-muted; }
        JobsTable {
            height: auto;
            max-height: 100%;
            scrollbar-size-vertical: 1;
        }
        #jobs-strip { height: auto; padding: 0 1; }
        #jobs-empty {
            padding: 1 1;
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Exports"
        self._clock = clock
        self._jobs: dict[str, ExportJob] = {}
        self._ticker: Timer | None = None
        self._signature: tuple[Style, ...] = ()
        self._layout: tuple[int, int] = (0, 0)
        self._strips: dict[str, Text] = {}
        """(cells per line, id column width) the rows were drawn for."""

    def compose(self) -> ComposeResult:
        table = JobsTable(id="jobs-table")
        table.add_column("Export", key="job")
        table.display = False
        yield table
        strip = Static(Text(""), id="jobs-strip")
        strip.display = False
        yield strip
        yield Static(EMPTY_TEXT.format(key="F6"), id="jobs-empty", markup=False)

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self.refresh_elapsed, pause=True)
        for job in self._jobs.values():
            self._render_row(job)
        self._sync_empty()

    # -- public API ---------------------------------------------------------------------------

    @property
    def jobs(self) -> list[ExportJob]:
        return list(self._jobs.values())

    @property
    def has_jobs(self) -> bool:
        return bool(self._jobs)

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    @property
    def focused_job(self) -> ExportJob | None:
        """The job under the table's cursor."""
        if not self.is_mounted:
            return None
        table = self.table
        if not table.row_count or not table.is_valid_row_index(table.cursor_row):
            return None
        key = table.ordered_rows[table.cursor_row].key.value
        return self._jobs.get(str(key))

    def upsert(self, job: ExportJob) -> None:
        """Add or update one job's row (the job is copied: callers may keep mutating theirs)."""
        self._jobs[job.id] = dataclasses.replace(job)
        if self.is_mounted:
            self._render_row(self._jobs[job.id])
            self._sync_empty()
            self.refresh_bindings()

    def set_strip(self, job_id: str, strip: Text) -> None:
        """A compact frame strip shown under the rows while ``job_id``'s row is focused."""
        self._strips[job_id] = strip
        if self.is_mounted:
            self._show_strip()

    def _show_strip(self) -> None:
        job = self.focused_job
        strip = self._strips.get(job.id) if job is not None else None
        widget = self.query_one("#jobs-strip", Static)
        widget.update(strip or Text(""))
        widget.display = strip is not None

    def row_text(self, job_id: str) -> str:
        """The two lines shown for a job, as plain text."""
        return self.table.get_cell(job_id, "job").plain

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus goes to the table, so the job keys apply."""
        if self.is_mounted and self._jobs:
            self.table.focus(scroll_visible)
        return self

    # -- rendering ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Colours are baked into the cells: redo them when the theme changes. Later, because
        # component styles are refreshed only after this call.
        if self.is_mounted and self._jobs:
            self.call_later(self._restyle)

    def _restyle(self) -> None:
        signature = tuple(
            self._style(name.removeprefix("jobs-panel--"))
            for name in sorted(self.COMPONENT_CLASSES)
        )
        if signature != self._signature:
            self._signature = signature
            self._render_all()

    def on_resize(self) -> None:
        self._render_all()

    def _current_layout(self) -> tuple[int, int]:
        ids = max((len(short_id(j.id)) for j in self._jobs.values()), default=0)
        return self._line_width(), max(MIN_ID_WIDTH, min(ID_WIDTH, ids))

    def _render_all(self) -> None:
        self._layout = self._current_layout()
        for job in self._jobs.values():
            self._write_row(job)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"jobs-panel--{name}", partial=True)

    def _line_width(self) -> int:
        """Cells available to a row; room for a scrollbar is kept so rows never scroll sideways."""
        table = self.table
        width = self.content_region.width  # the table fills the panel, and may still be hidden
        if width <= 0:
            return DEFAULT_WIDTH
        return max(20, width - 2 * table.cell_padding - table.styles.scrollbar_size_vertical)

    def _elapsed(self, job: ExportJob) -> float | None:
        if job.created_at <= 0:
            return None
        end = job.updated_at if job.status in FINAL else self._clock()
        return max(0.0, end - job.created_at)

    def _status_style(self, job: ExportJob) -> Style:
        if job.status == "downloaded":
            return self._style("ok")
        if job.status in ("failed", "download_failed"):
            return self._style("error")
        if job.status == "cancelled":
            return self._style("muted")
        return self._style("active")

    def _first_line(self, job: ExportJob, width: int) -> Text:
        """``7f3a9c2e1b rendering   ━━━━━━━━────────────  40%    0:42``, elapsed flush right."""
        progress = _progress(job)
        status = STATUS_TEXT.get(job.status, str(job.status))
        # Narrow panes drop the bar first, then shorten the elapsed column and the id.
        id_column = self._layout[1]
        fixed = LINE_FIXED - ID_WIDTH + id_column
        elapsed_width = ELAPSED_WIDTH if width >= fixed else 5
        id_width = id_column - max(0, fixed - (ELAPSED_WIDTH - elapsed_width) - width)
        id_width = max(MIN_ID_WIDTH, id_width)
        line = Text(short_id(job.id, id_width).ljust(id_width) + " ")
        line.append(_one_line(status, STATUS_WIDTH).ljust(STATUS_WIDTH), self._status_style(job))
        line.append(" ")
        bar_width = min(MAX_BAR, width - fixed - 1)
        if bar_width >= 4:
            line.append_text(bar(progress / 100, *self._bar_styles(), bar_width))
            line.append(" ")
        line.append(f"{progress:>3d}%")
        elapsed = format_elapsed(self._elapsed(job)).rjust(elapsed_width)
        line.append(" " * max(1, width - line.cell_len - len(elapsed)) + elapsed)
        return line

    def _bar_styles(self) -> tuple[Style, Style]:
        return self._style("bar-done"), self._style("bar-todo")

    def _second_line(self, job: ExportJob, width: int) -> Text:
        """Download progress, the saved file, the error, or what the export is."""
        room = width - 2
        line = Text("  ")
        if job.status == "downloading":
            fraction = job.download_fraction
            if fraction is None:
                line.append(f"↓ {human_size(job.download_bytes)} so far", self._style("muted"))
                return line
            tail = f" {fraction * 100:>3.0f}% of {human_size(job.download_total or 0)}"
            line.append("↓ ")
            bar_width = min(MAX_BAR, room - 2 - len(tail))
            if bar_width >= 4:
                line.append_text(bar(fraction, *self._bar_styles(), bar_width))
            line.append(tail)
            return line
        if job.status == "downloaded" and job.path:
            line.append(f"→ {short_path(job.path, room - 2)}", self._style("ok"))
            return line
        if job.status in ("failed", "download_failed", "cancelled"):
            what = "download failed: " if job.status == "download_failed" else ""
            detail = what + (
                job.error or ("stopped" if job.status == "cancelled" else "no details")
            )
            hint = " · r retries"
            style = self._style("muted" if job.status == "cancelled" else "error")
            line.append(_one_line(detail, room - len(hint)) + hint, style)
            return line
        if job.status == "completed":
            line.append("download starting…", self._style("muted"))
            return line
        about = " · ".join(x for x in (job.title, job.resolution) if x)
        waiting = "waiting for the renderer…" if job.status == "pending" else "rendering the video…"
        line.append(_one_line(about or waiting, room), self._style("muted"))
        return line

    def _cell(self, job: ExportJob) -> Text:
        width = self._line_width()
        first = self._first_line(job, width)
        second = self._second_line(job, width)
        for line in (first, second):
            line.truncate(width, overflow="ellipsis", pad=True)
        return Text("\n").join([first, second])

    def _render_row(self, job: ExportJob) -> None:
        if self._current_layout() != self._layout:
            self._render_all()  # a new width or a longer id moves every row's columns
        else:
            self._write_row(job)

    def _write_row(self, job: ExportJob) -> None:
        table = self.table
        cell = self._cell(job)
        if job.id in table.rows:
            table.update_cell(job.id, "job", cell, update_width=True)
        else:
            table.add_row(cell, key=job.id, height=2)
            if not table.has_focus:
                table.move_cursor(row=table.row_count - 1, animate=False)
        if self._ticker is not None:
            if any(not j.finished for j in self._jobs.values()):
                self._ticker.resume()
            else:
                self._ticker.pause()

    def refresh_elapsed(self) -> None:
        """Redraw the rows of running jobs (a timer calls this every second while any runs)."""
        for job in self._jobs.values():
            if not job.finished and job.id in self.table.rows:
                self._render_row(job)

    def set_export_key(self, key: str) -> None:
        """Name the key that exports now (the user's keymap may have moved it)."""
        self.query_one("#jobs-empty", Static).update(EMPTY_TEXT.format(key=key))

    def _sync_empty(self) -> None:
        has_jobs = bool(self._jobs)
        self.table.display = has_jobs
        self.query_one("#jobs-empty", Static).display = not has_jobs

    # -- keys ---------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _row_highlighted(self) -> None:
        self.refresh_bindings()
        self._show_strip()

    def _saved(self) -> Path | None:
        """The focused job's file, when it is downloaded."""
        job = self.focused_job
        return (
            Path(job.path) if job is not None and job.status == "downloaded" and job.path else None
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.focused_job
        if action in ("open_result", "reveal_result", "copy_path"):
            return self._saved() is not None
        if action == "copy_url":
            return (job is not None and bool(job.output_url)) or None
        if action == "cancel_job":
            return (job is not None and job.status in CANCELLABLE) or None
        if action == "retry_job":
            return (job is not None and job.status in RETRYABLE) or None
        return True

    def action_open_result(self) -> None:
        if (path := self._saved()) is not None:
            self.post_message(OpenRequested(path))

    def action_reveal_result(self) -> None:
        if (path := self._saved()) is not None:
            self.post_message(OpenRequested(path, reveal=True))

    def action_copy_path(self) -> None:
        if (path := self._saved()) is not None:
            self.post_message(CopyPathRequested(path))

    def action_copy_url(self) -> None:
        job = self.focused_job
        if job is not None and job.output_url:
            self.post_message(self.CopyUrlRequested(job.id, job.output_url))

    def action_cancel_job(self) -> None:
        job = self.focused_job
        if job is not None and job.status in CANCELLABLE:
            self.post_message(self.CancelRequested(job.id))

    def action_retry_job(self) -> None:
        job = self.focused_job
        if job is not None and job.status in RETRYABLE:
            self.post_message(self.RetryRequested(job.id))
