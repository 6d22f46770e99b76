"""Server-sent-events framing: lines in, ``data`` payloads out.

ADK frames every event as ``data: <json>`` followed by a blank line, with no ``event:`` or ``id:``
lines. Keep-alives may be ``:`` comment lines (ignored here) or an empty ``data:`` (passed on as an
empty payload, which :class:`~artgen_tui.api.events.EventDecoder` turns into a heartbeat).

The parser never raises and its memory is bounded: an event whose data grows beyond
:data:`MAX_EVENT_CHARS` (a server that never sends the blank line) is dropped whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

MAX_EVENT_CHARS: Final = 64 * 1024 * 1024
"""One event's data beyond this is dropped, not kept growing."""


class SSEParser:
    """Incremental parser: :meth:`feed_line` returns a completed payload or ``None``."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._size = 0
        self._dropping = False

    def feed_line(self, line: str) -> str | None:
        line = line.rstrip("\r\n")
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if not sep:
            value = ""
        elif value.startswith(" "):
            value = value[1:]
        if name == "data" and not self._dropping:
            self._size += len(value) + 1
            if self._size > MAX_EVENT_CHARS:
                self._data, self._dropping = [], True
            else:
                self._data.append(value)
        return None

    def flush(self) -> str | None:
        """End of an event (blank line or end of stream): the joined data lines, if any."""
        data, self._data, self._size, self._dropping = self._data, [], 0, False
        return "\n".join(data) if data else None


async def iter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """Yield each event's data payload; an event still open when the stream ends is yielded too."""
    parser = SSEParser()
    async for line in lines:
        payload = parser.feed_line(line)
        if payload is not None:
            yield payload
    tail = parser.flush()
    if tail is not None:
        yield tail
