"""Smaller render caches for tables that change all the time.

Textual's ``DataTable`` keys its render caches by an update count that every change bumps (a cell
updated, a row added), and keeps up to 1,000 rows, 1,000 renderable rows, 1,000 lines and 10,000
cells. A table that changes every second (an export's progress, a timeline edited each turn)
fills them with renders of counts that are never drawn again: thousands of strips, segments,
styles and colours, several MB over an afternoon that a redraw never reuses. A few screens' worth
is all a redraw needs.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

ROWS_KEPT = 128
"""Rendered rows (and renderable rows) kept: several screens of the tallest table we show."""
LINES_KEPT = 256
CELLS_KEPT = 1024


def bound_render_caches(table: DataTable[Any]) -> None:
    """Shrink ``table``'s render caches (call from its ``__init__``)."""
    table._row_render_cache.maxsize = ROWS_KEPT
    table._row_renderable_cache.maxsize = ROWS_KEPT
    table._line_cache.maxsize = LINES_KEPT
    table._cell_render_cache.maxsize = CELLS_KEPT
