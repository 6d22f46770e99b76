"""Deadlines of our own, for servers that answer too slowly to trip a read timeout.

httpx's read timeout restarts on every byte, so a server dripping one byte every few seconds
holds a request forever. These helpers bound what the client waits for: a whole JSON answer
(:func:`deadline`), the next line of an event stream (:func:`watch_lines`, where keep-alives
count as progress), the next event of a reply and the reply as a whole (:func:`watch_events`,
where they do not), the rate of a download (:class:`RateGuard`) and a server's ``Retry-After``
(:func:`check_wait`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterable, AsyncIterator


class TooSlow(Exception):
    """The server sent too little in the time allowed; the message ends a sentence."""


def describe_wait(seconds: float) -> str:
    """``10800`` → ``3 h``; ``90`` → ``2 min``; ``12`` → ``12 s`` (rounded up)."""
    if not math.isfinite(seconds) or seconds >= 86400 * 365:
        return "more than a year"
    if seconds >= 2 * 86400:
        return f"{math.ceil(seconds / 86400)} days"
    if seconds >= 3600:
        return f"{math.ceil(seconds / 3600)} h"
    if seconds >= 120:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds)} s"


def wait_too_long(wait: float, cap: float) -> bool:
    """Whether a server's requested wait is beyond what the client will sit through."""
    return not math.isfinite(wait) or wait > cap


def deadline(seconds: float | None) -> asyncio.Timeout:
    """``asyncio.timeout`` for a whole request (``None``: no deadline)."""
    return asyncio.timeout(seconds if seconds is not None and seconds > 0 else None)


async def watch_lines(lines: AsyncIterable[str], idle: float) -> AsyncIterator[str]:
    """Pass ``lines`` on; raise :class:`TooSlow` when no non-empty line arrives for ``idle`` s.

    A partial line dripping in byte by byte is not progress; a keep-alive line (``:`` comment or
    empty ``data:``) is.
    """
    it = aiter(lines)
    loop = asyncio.get_running_loop()
    until = loop.time() + idle
    while True:
        try:
            async with asyncio.timeout_at(until):
                line = await anext(it)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise TooSlow(f"no complete event from the server for {idle:g} s") from None
        if line.strip():
            until = loop.time() + idle
        yield line


class Stalled(TooSlow):
    """A reply stream kept the connection alive but brought no event, or went on too long."""


async def watch_events(
    payloads: AsyncIterable[str], idle: float, total: float | None
) -> AsyncIterator[str]:
    """Pass SSE ``payloads`` on; raise :class:`Stalled` when no event arrives for ``idle`` s or
    the whole stream lasts longer than ``total`` s (``None`` or 0: no total).

    Unlike :func:`watch_lines`, keep-alives do not count: ``:`` comments never reach here and
    an empty ``data:`` is ignored. Any other event does, a ``{"type": "heartbeat"}`` included
    (the agent sends one every few seconds while it works), so the total is what bounds a
    server that only ever sends heartbeats.
    """
    it = aiter(payloads)
    loop = asyncio.get_running_loop()
    started = loop.time()
    end = started + total if total is not None and total > 0 else math.inf
    until = started + idle
    while True:
        limit = min(until, end)
        try:
            async with asyncio.timeout_at(None if math.isinf(limit) else limit):
                payload = await anext(it)
        except StopAsyncIteration:
            return
        except TimeoutError:
            if limit >= end:
                raise Stalled(
                    f"the reply went on for more than {describe_wait(end - started)}"
                ) from None
            raise Stalled(f"nothing but keep-alives came for {idle:g} s") from None
        if payload.strip():
            until = loop.time() + idle
        yield payload


class RateGuard:
    """Fails a transfer whose average over each ``window`` seconds is below ``min_rate`` B/s.

    :meth:`feed` is called with each chunk; :meth:`left` says how long the next chunk may take
    before the current window is over (so a stalled transfer is caught without a chunk).
    ``min_rate`` 0 turns the guard off.
    """

    def __init__(self, min_rate: float, window: float) -> None:
        self.min_rate = max(0.0, min_rate)
        self.window = max(0.001, window)
        self._start = time.monotonic()
        self._bytes = 0

    @property
    def active(self) -> bool:
        return self.min_rate > 0

    def left(self) -> float | None:
        """Seconds the next chunk may take before the current window fails (``None``: no limit).

        Once the window holds enough bytes it cannot fail, so there is no limit until it closes.
        """
        if not self.active or self._bytes >= self.min_rate * self.window:
            return None
        return max(0.0, self._start + self.window - time.monotonic())

    def feed(self, n: int) -> None:
        """Count ``n`` bytes; raise :class:`TooSlow` when a finished window fell short."""
        self._bytes += n
        self.check()

    def check(self) -> None:
        if not self.active:
            return
        now = time.monotonic()
        elapsed = now - self._start
        if elapsed < self.window:
            return
        rate = self._bytes / elapsed
        if rate < self.min_rate:
            raise TooSlow(
                f"the transfer slowed to {rate:.0f} bytes/s over {elapsed:.0f} s "
                f"(the minimum is {self.min_rate:g})"
            )
        self._start, self._bytes = now, 0

    async def watch(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """Pass ``chunks`` on while the rate holds, also when no chunk arrives at all."""
        it = aiter(chunks)
        while True:
            try:
                async with asyncio.timeout(self.left()):
                    chunk = await anext(it)
            except StopAsyncIteration:
                return
            except TimeoutError:
                elapsed = time.monotonic() - self._start
                raise TooSlow(
                    f"the transfer slowed to {self._bytes / elapsed:.0f} bytes/s over "
                    f"{elapsed:.0f} s (the minimum is {self.min_rate:g})"
                ) from None
            self.feed(len(chunk))
            yield chunk
