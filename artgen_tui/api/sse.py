"""Server-sent-events framing: lines in, ``data`` payloads out.

ADK frames every event as ``data: <json>`` followed by a blank line, with no ``event:`` or ``id:``
lines. Keep-alives may be ``:`` comment lines (ignored here) or an empty ``data:`` (passed on as an
empty payload, which :class:`~artgen_tui.api.events.EventDecoder` turns into a heartbeat).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class SSEParser:
    """Incremental parser: :meth:`feed_line` returns a completed payload or ``None``."""

    def __init__(self) -> None:
        self._data: list[str] = []

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
        if name == "data":
            self._data.append(value)
        return None

    def flush(self) -> str | None:
        """End of an event (blank line or end of stream): the joined data lines, if any."""
        if not self._data:
            return None
        payload = "\n".join(self._data)
        self._data = []
        return payload


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
