"""Compute frames one step ahead of the encoder on a helper thread.

numpy, Pillow and swscale release the GIL for their heavy work, and so does libx264, so
drawing frame ``i + 1`` while frame ``i`` is being encoded uses a second core. Frames still
come out strictly in order from a single producer, so output stays deterministic, and the
bounded queue keeps at most a few frames in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Generic, TypeVar, cast

T = TypeVar("T")

_DONE = object()


class FramePipeline(Generic[T]):
    """Iterates ``make(0) … make(count - 1)``, produced ahead by a daemon thread.

    An exception in ``make`` is re-raised in the consumer; leaving the ``with`` block early
    (cancel, error) stops the producer and waits for it.
    """

    def __init__(self, make: Callable[[int], T], count: int, ahead: int = 3) -> None:
        self._make = make
        self._count = count
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, ahead))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="render-frames", daemon=True)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for i in range(self._count):
                if self._stop.is_set() or not self._put(self._make(i)):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)
            return
        self._put(_DONE)

    def __enter__(self) -> FramePipeline[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[T]:
        for _ in range(self._count):
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
