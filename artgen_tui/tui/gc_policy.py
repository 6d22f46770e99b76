"""Keep Python's full garbage collections out of the way of a streaming reply.

A full (generation-2) collection walks every object of the UI and can stall the event loop for
100 ms or more, which shows as a frozen screen. While a reply streams only the young generations
are collected; when the turn ends the survivors are frozen (out of the collector's view), and the
full collection that reclaims frozen garbage runs only after the app has been idle a while.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from textual.timer import Timer

IDLE_COLLECT_AFTER = 20.0
"""Seconds after the last turn before the deferred full collection runs."""

_PAUSED_GEN2 = 1_000_000


class CollectorPolicy:
    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._idle: Timer | None = None

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
        """Objects alive after startup live as long as the app: never scan them again."""
        gc.freeze()

    def turn_started(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], _PAUSED_GEN2)

    def turn_finished(self) -> None:
        gc.collect(1)
        gc.freeze()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def idle_collect(self) -> None:
        """Reclaim garbage that was frozen at the end of turns (call when nothing streams)."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
