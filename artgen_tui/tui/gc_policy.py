"""Keep Python's full garbage collections out of the way of a streaming reply.

A full (generation-2) collection walks every object of the UI and can stall the event loop for
100 ms or more, which shows as a frozen screen. While a reply streams only the young generations
are collected. When the turn ends, a collection of what is *not* frozen (roughly what the turn
made: milliseconds) reclaims the turn's garbage, and the survivors are frozen (out of the
collector's view).

Frozen objects that die later (a message unmounted from the chat, a finished export's records) can
only be reclaimed by unfreezing everything and collecting in full. That runs after the app has
been idle :data:`IDLE_COLLECT_AFTER` seconds, and also at the end of a turn once the frozen set
has grown by :data:`FULL_COLLECT_GROWTH` since the last full collection, so a session with no idle
moments (turn after turn) still returns its memory.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from textual.timer import Timer

IDLE_COLLECT_AFTER = 20.0
"""Seconds after the last turn before the deferred full collection runs."""

FULL_COLLECT_GROWTH = 0.25
"""Growth of the frozen set (a share of its size after the last full collection) that makes the
end of a turn run the full collection (like CPython's own rule for its oldest generation)."""

FULL_COLLECT_MIN = 50_000
"""...but never for fewer new frozen objects than this."""

_PAUSED_GEN2 = 1_000_000


class CollectorPolicy:
    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._idle: Timer | None = None
        self._frozen_after_full: int | None = 0
        """Size of the frozen set after the last full collection (or startup); ``None``: not
        counted yet, and nothing was frozen since (see :meth:`startup_done`)."""
        self._frozen_since_full = 0
        """Objects frozen at the ends of turns since the last full collection."""
        self.full_collections = 0
        """Full collections of the frozen set run so far (shown by ``bench/soak.py``)."""

    def collect_when_idle(self, set_timer: Callable[..., Timer], busy: Callable[[], Any]) -> None:
        """Run :meth:`idle_collect` :data:`IDLE_COLLECT_AFTER` seconds from now, postponed while
        ``busy()`` (a turn is running)."""
        if self._idle is not None:
            self._idle.stop()

        def fire() -> None:
            self._idle = None
            if busy():
                self.collect_when_idle(set_timer, busy)
            else:
                self.idle_collect()

        self._idle = set_timer(IDLE_COLLECT_AFTER, fire)

    def startup_done(self) -> None:
        """Objects alive after startup live as long as the app: never scan them again (and the
        collector, off while the program started, runs from now on)."""
        gc.freeze()
        gc.enable()
        # Counting walks every frozen object (~10 ms): done before the next freeze instead,
        # not on the way to the app's "Ready".
        self._frozen_after_full = None
        self._frozen_since_full = 0

    def _count_startup(self) -> None:
        if self._frozen_after_full is None:
            self._frozen_after_full = gc.get_freeze_count()

    def turn_started(self) -> None:
        self._count_startup()
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], _PAUSED_GEN2)

    def turn_finished(self) -> None:
        self._count_startup()
        gc.collect()  # frozen objects are not scanned: this is the turn's garbage only
        # What survived it is all in the oldest generation (a short list, unlike the frozen set,
        # which gc.get_freeze_count() walks whole: tens of milliseconds in a long session).
        self._frozen_since_full += len(gc.get_objects(generation=2))
        gc.freeze()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        if self.frozen_growth_due():
            self.idle_collect()

    def frozen_growth_due(self) -> bool:
        """Has the frozen set grown enough since the last full collection to run one now?"""
        self._count_startup()
        baseline = self._frozen_after_full or 0
        return self._frozen_since_full > max(FULL_COLLECT_MIN, FULL_COLLECT_GROWTH * baseline)

    def idle_collect(self) -> None:
        """Reclaim garbage that was frozen at the end of turns (call when nothing streams)."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._frozen_after_full = gc.get_freeze_count()
        self._frozen_since_full = 0
        self.full_collections += 1
