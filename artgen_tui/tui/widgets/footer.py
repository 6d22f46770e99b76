"""Textual's Footer without the slow leak it has in a long session."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter

WATCHERS = "__watchers"
"""Where Textual keeps the watchers registered on a node (``textual/reactive.py``, ``_watch``)."""


def drop_stale_watchers(node: DOMNode) -> int:
    """Forget the watchers on ``node`` whose owner has left the DOM; returns how many went."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, WATCHERS, None) or {}
    dropped = 0
    for entries in watchers.values():
        live = [entry for entry in entries if getattr(entry[0], "is_attached", True)]
        dropped += len(entries) - len(live)
        entries[:] = live
    return dropped


class Footer(TextualFooter):
    """The Footer draws its keys anew whenever the active bindings change (focus moves, a turn
    starts or ends). Each key it draws binds the footer's ``compact`` flag, which registers a
    watcher on the footer, and Textual prunes those only when ``compact`` itself changes: it
    never does here, so every key ever drawn stayed alive with its styles and caches (a few
    hundred keys an hour of work). After each redraw the watchers of keys that are gone go too.
    """

    async def recompose(self) -> None:
        await super().recompose()
        drop_stale_watchers(self)
