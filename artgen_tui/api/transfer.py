"""Streaming file transfer: multipart upload bodies read from disk, resumable downloads to disk.

Memory stays flat: a file is never held whole. Disk reads and writes run in a worker thread, one
chunk ahead of (or behind) the socket, so a slow disk never stalls the event loop and disk and
network overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

UPLOAD_CHUNK = 1024 * 1024
"""Bytes read from disk per step of an upload (large steps cut per-chunk overhead)."""

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None)."""


@dataclass(frozen=True)
class FilePart:
    path: Path
    size: int
    content_type: str
    field: str = "files"


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """A ``multipart/form-data`` body streamed from disk with an exact ``Content-Length``."""

    def __init__(
        self,
        parts: Sequence[FilePart],
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = UPLOAD_CHUNK,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self._parts = list(parts)
        self._progress = progress
        self._chunk_size = chunk_size
        self._heads = [self._head(p) for p in self._parts]
        self._tail = f"--{self.boundary}--\r\n".encode()
        self.file_bytes = sum(p.size for p in self._parts)
        self.length = (
            sum(len(h) for h in self._heads) + self.file_bytes + 2 * len(parts) + len(self._tail)
        )

    def _head(self, part: FilePart) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(part.field)}"; '
            f'filename="{_quote(part.path.name)}"\r\n'
            f"Content-Type: {part.content_type}\r\n\r\n"
        ).encode()

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.length),
        }

    async def __aiter__(self) -> AsyncIterator[bytes]:
        done = 0
        if self._progress:
            self._progress(0, self.file_bytes)
        for part, head in zip(self._parts, self._heads, strict=True):
            yield head
            sent = 0
            async for chunk in read_chunks(part.path, self._chunk_size):
                sent += len(chunk)
                if sent > part.size:
                    raise OSError(f"{part.path.name} grew while it was being uploaded.")
                yield chunk
                done += len(chunk)
                if self._progress:
                    self._progress(done, self.file_bytes)
            if sent != part.size:
                raise OSError(f"{part.path.name} changed size while it was being uploaded.")
            yield b"\r\n"
        yield self._tail


async def read_chunks(path: Path, chunk_size: int = UPLOAD_CHUNK) -> AsyncIterator[bytes]:
    """Read a file in a worker thread, always one chunk ahead of the consumer."""
    loop = asyncio.get_running_loop()
    with open(path, "rb", buffering=0) as fh:
        pending: asyncio.Future[bytes] | None = loop.run_in_executor(None, fh.read, chunk_size)
        try:
            while pending is not None:
                data = await pending
                pending = None
                if not data:
                    break
                pending = loop.run_in_executor(None, fh.read, chunk_size)
                yield data
        finally:
            if pending is not None:
                await _settle(pending)


async def _settle(fut: asyncio.Future[Any]) -> None:
    """Wait for a worker-thread step to finish before its file is closed; its result is dropped."""
    with contextlib.suppress(BaseException):
        await asyncio.wait([fut])
    if fut.done() and not fut.cancelled():
        fut.exception()


class FileSink:
    """Write a stream of chunks to a file from one worker thread, off the event loop.

    Chunks are gathered into batches of ``batch_bytes`` and handed to the thread together; up to ``depth`` batches may be in flight, so a slow disk and the socket overlap
    while memory stays bounded (about ``batch_bytes * (depth + 1)``).
    """

    def __init__(self, fh: IO[bytes], *, batch_bytes: int = 1024 * 1024, depth: int = 4) -> None:
        self._fd = fh.fileno()
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artgen-write")
        self._batch: list[bytes] = []
        self._batch_size = 0
        self._batch_bytes = batch_bytes
        self._depth = depth
        self._pending: deque[asyncio.Future[None]] = deque()

    async def write(self, data: bytes) -> None:
        self._batch.append(data)
        self._batch_size += len(data)
        if self._batch_size >= self._batch_bytes:
            await self._submit()

    async def _submit(self) -> None:
        if not self._batch:
            return
        batch, self._batch, self._batch_size = self._batch, [], 0
        self._pending.append(self._loop.run_in_executor(self._pool, _write_all, self._fd, batch))
        while len(self._pending) > self._depth:
            await self._pending.popleft()

    async def drain(self) -> None:
        """Write everything still buffered and wait for the thread to finish."""
        try:
            await self._submit()
            while self._pending:
                await self._pending.popleft()
        finally:
            self._pool.shutdown(wait=False)

    async def abort(self) -> None:
        """Drop what is not yet handed over; wait for in-flight writes so the file can close."""
        self._batch, self._batch_size = [], 0
        while self._pending:
            await _settle(self._pending.popleft())
        self._pool.shutdown(wait=False)


def _write_all(fd: int, chunks: list[bytes]) -> None:
    # One write per chunk (each at most a socket read): faster than one big writev here.
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]


def fsync_file(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes a-b/total`` → ``(a, b, total)``; ``None`` when absent or malformed."""
    if not value:
        return None
    m = _CONTENT_RANGE.match(value)
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), int(m.group(2)), total


def parse_unsatisfied_range(value: str | None) -> int | None:
    """``bytes */total`` (sent with 416) → ``total``."""
    if not value:
        return None
    m = _UNSATISFIED_RANGE.match(value)
    return int(m.group(1)) if m else None
