"""A work-around for a memory leak in the pinned Textual release, applied when the app starts.

``StylesCache.get_inner_outer`` is an ``lru_cache(1024)`` on an instance method, so its key holds
the ``StylesCache`` itself: the caches of up to 1024 widgets long removed (every line they drew:
a chat's frame strips and replies) stay alive (Textualize/textual#6665). The colours it maps are
all it needs, so the same cache is kept without the instance. ``tests/test_tui_textual_hooks.py``
fails when Textual fixes this (then drop the work-around) or changes what it replaces.
"""

from __future__ import annotations

from functools import lru_cache

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style

TEXTUAL_GET_INNER_OUTER = StylesCache.get_inner_outer
"""Textual's own method, kept for the test that shows the leak."""


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """What ``StylesCache.get_inner_outer`` returns, keyed on the two colours only."""
    return (
        Style(background=base_background + background),
        Style(background=base_background),
    )


def _get_inner_outer(
    self: StylesCache, base_background: Color, background: Color
) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


def apply() -> None:
    """Replace the leaking cache (once; later calls change nothing)."""
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign,assignment]
