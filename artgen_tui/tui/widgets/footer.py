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

    A redraw that would draw the same keys is skipped: every change of the bindings queues one
    (three while the app starts, ~20 ms each, on the way to "Ready"), and they all draw what the
    bindings are when they run.
    """

    _drawn: tuple[object, ...] | None = None

    def _keys_now(self) -> tuple[object, ...]:
        """Everything the keys drawn now would show (what :meth:`compose` reads)."""
        shown = self.app.get_key_display
        return (
            self.show_command_palette,
            self.compact,
            self.combine_groups,
            *(
                (key, shown(b), b.key, b.description, b.action, b.show, b.group, b.tooltip, on, tip)
                for key, (_node, b, on, tip) in self.screen.active_bindings.items()
            ),
        )

    async def recompose(self) -> None:
        keys = self._keys_now() if self.is_attached and self._bindings_ready else None
        if keys is not None and keys == self._drawn:
            return
        await super().recompose()
        self._drawn = keys
        drop_stale_watchers(self)
