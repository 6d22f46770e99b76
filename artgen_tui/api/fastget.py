"""A lean HTTP/1.1 GET that streams a response body straight from the socket into a file.

Large downloads through httpx copy every byte several times on the event loop (socket → h11 buffer
→ slices), which caps them at a fraction of what the disk and network allow. Here an
:class:`asyncio.BufferedProtocol` receives into a few reusable 1 MiB buffers and the shared
:class:`~artgen_tui.api.transfer.FileWriter` writes each full buffer from its worker thread, so the
loop only does bookkeeping. What to do with an answer is decided by :mod:`artgen_tui.api.resume`.

Only the simple case is handled: a direct connection (no proxy), a ``200``/``206`` answer with a
``Content-Length`` and no transfer or content encoding. Anything else raises :class:`Declined` and
the caller repeats the request through httpx, which handles redirects, errors and proxies.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from artgen_tui.api.deadlines import RateGuard, TooSlow
from artgen_tui.api.tls import default_context
from artgen_tui.api.transfer import FileWriter

BUFFER_BYTES = 1024 * 1024
BUFFERS = 8
MAX_HEAD_BYTES = 64 * 1024
MAX_SMALL_BYTES = 1024 * 1024

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Head:
    status: int
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Declined(Exception):
    """This response is not one the fast path handles; use the general client instead."""


class Answered(Exception):
    """A short non-file answer (an error, a redirect, a JSON envelope), read whole."""

    def __init__(self, head: Head, body: bytes) -> None:
        super().__init__(f"HTTP {head.status}")
        self.head = head
        self.body = body


class ConnectFailed(OSError):
    """The server could not be reached at all (nothing was received)."""


class BodyInterrupted(OSError):
    """The connection ended or stalled before the whole body arrived; ``received`` bytes were kept."""

    def __init__(self, message: str, received: int) -> None:
        super().__init__(message)
        self.received = received


def usable_for(url: httpx.URL) -> bool:
    """True for plain http/https URLs that the environment does not route through a proxy."""
    if url.scheme not in ("http", "https") or not url.host:
        return False
    proxies = urllib.request.getproxies_environment()
    if not any(proxies.get(k) for k in (url.scheme, "all")):
        return True
    return bool(urllib.request.proxy_bypass(url.host))


def _request_bytes(url: httpx.URL, headers: Mapping[str, str]) -> bytes:
    default_port = 443 if url.scheme == "https" else 80
    host = url.host if url.port in (None, default_port) else f"{url.host}:{url.port}"
    if ":" in url.host and not host.startswith("["):  # IPv6 literal
        host = f"[{url.host}]" if url.port in (None, default_port) else f"[{url.host}]:{url.port}"
    lines = [f"GET {url.raw_path.decode('ascii')} HTTP/1.1", f"Host: {host}"]
    skip = {"host", "connection", "content-length", "transfer-encoding"}
    for name, value in headers.items():
        if name.lower() in skip:
            continue
        if any(c in name + value for c in "\r\n\0"):
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(f"{name}: {value}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(raw: bytes) -> Head:
    try:
        text = raw.decode("latin-1")
        status_line, *header_lines = text.split("\r\n")
        version, code, *_ = status_line.split(" ", 2)
        if not version.startswith("HTTP/1."):
            raise ValueError(version)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(line)
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        return Head(int(code), headers)
    except ValueError as exc:
        raise Declined(f"unreadable response head ({exc})") from None


def _observe(fut: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen so a late failure is not logged as unhandled."""
    if not fut.cancelled():
        fut.exception()


class _Receiver(asyncio.BufferedProtocol):
    """Receives the head into a small buffer, then the body into rotating large buffers."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.head_buf = bytearray(MAX_HEAD_BYTES)
        self.head_len = 0
        self.head: asyncio.Future[tuple[Head, bytes]] = self.loop.create_future()
        self.done: asyncio.Future[None] = self.loop.create_future()
        for fut in (self.head, self.done):  # may fail after the caller stopped waiting
            fut.add_done_callback(_observe)
        self.in_body = False
        self.free: deque[bytearray] = deque()
        self.current = bytearray()
        self.fill = 0
        self.received = 0
        self.expected = 0
        self.last_activity = self.loop.time()
        self.writer: Callable[[memoryview, bytearray], None] | None = None
        self.progress: Callable[[int], None] | None = None
        self.paused = False

    # -- asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        if not self.in_body:
            return memoryview(self.head_buf)[self.head_len :]
        return memoryview(self.current)[self.fill :]

    def buffer_updated(self, nbytes: int) -> None:
        self.last_activity = self.loop.time()
        if not self.in_body:
            self.head_len += nbytes
            self._check_head()
            return
        extra = max(0, self.received + nbytes - self.expected)
        nbytes -= extra  # anything past Content-Length is not part of the file
        self.fill += nbytes
        self.received += nbytes
        if self.progress is not None:
            self.progress(nbytes)
        if self.received >= self.expected:
            self._hand_over()
            self._finish(None)
        elif self.fill == len(self.current):
            self._hand_over()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(Declined(f"connection closed before the head ({exc})"))
        if self.in_body and not self.done.done():
            self._hand_over()
            self._finish(BodyInterrupted("the connection closed mid-body", self.received))

    # -- head
    def _check_head(self) -> None:
        end = self.head_buf.find(b"\r\n\r\n", 0, self.head_len)
        if end < 0:
            if self.head_len >= MAX_HEAD_BYTES and not self.head.done():
                self.head.set_exception(Declined("response head too large"))
            return
        if self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        if self.head.done():
            return
        try:
            head = _parse_head(bytes(self.head_buf[:end]))
        except Declined as exc:
            self.head.set_exception(exc)
            return
        self.head.set_result((head, bytes(self.head_buf[end + 4 : self.head_len])))

    # -- body
    def start_body(
        self,
        expected: int,
        writer: Callable[[memoryview, bytearray], None],
        progress: Callable[[int], None] | None,
        *,
        buffers: int = BUFFERS,
        size: int = BUFFER_BYTES,
    ) -> None:
        self.in_body = True
        self.expected = expected
        self.writer = writer
        self.progress = progress
        self.free.extend(bytearray(size) for _ in range(buffers))
        self.current = self.free.popleft()
        self.fill = 0
        if self.received >= self.expected:
            self._finish(None)
        else:
            self._resume()

    def _hand_over(self) -> None:
        if self.fill == 0 or self.writer is None:
            return
        buf, n = self.current, self.fill
        self.writer(memoryview(buf)[:n], buf)
        self.fill = 0
        if self.free:
            self.current = self.free.popleft()
        else:
            self.current = bytearray()
            if self.transport is not None and not self.paused:
                self.transport.pause_reading()
                self.paused = True

    def give_back(self, buf: bytearray) -> None:
        """A buffer's bytes are on disk: reuse it, and resume reading if we were starved."""
        if len(self.current) == 0:
            self.current = buf
            self.fill = 0
            if not self.done.done():
                self._resume()
        else:
            self.free.append(buf)

    def _resume(self) -> None:
        if self.transport is not None and self.paused and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()

    def stop(self, exc: BaseException) -> None:
        """Give up on the body: keep what arrived (hand it to the writer), then close."""
        if self.in_body and not self.done.done():
            self._hand_over()
        self._finish(exc)

    def _finish(self, exc: BaseException | None) -> None:
        if self.done.done():
            return
        if exc is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


async def fetch_to_file(
    url: httpx.URL,
    headers: Mapping[str, str],
    path: os.PathLike[str] | str,
    *,
    accept: Callable[[Head], tuple[int, bool] | None],
    timeout: float,
    progress: Callable[[int], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    guard: RateGuard | None = None,
) -> int:
    """GET ``url`` and stream the body into ``path``; returns the number of body bytes written.

    ``accept(head)`` inspects the answer and returns ``(expected body bytes, append)`` to stream
    it into the file, ``None`` for a short answer that is read whole and raised as
    :class:`Answered`, or raises :class:`Declined`. Raises :class:`ConnectFailed` when the server
    cannot be reached and :class:`BodyInterrupted` when the body stops short (what arrived is
    kept in the file). ``guard`` fails a body that arrives too slowly (:class:`TooSlow`).
    """
    loop = asyncio.get_running_loop()
    tls: ssl.SSLContext | None = None
    if url.scheme == "https":
        tls = ssl_context or default_context()
    port = url.port or (443 if url.scheme == "https" else 80)
    request = _request_bytes(url, headers)
    try:
        transport, receiver = await asyncio.wait_for(
            loop.create_connection(
                _Receiver, url.host, port, ssl=tls, server_hostname=url.host if tls else None
            ),
            timeout,
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise ConnectFailed(
            f"could not connect to {url.host}: {exc or type(exc).__name__}"
        ) from exc
    try:
        transport.write(request)
        try:
            head, leftover = await asyncio.wait_for(asyncio.shield(receiver.head), timeout)
        except TimeoutError:
            raise Declined("no response head in time") from None
        plan = accept(head)
        if plan is None:
            raise Answered(head, await _read_small(receiver, head, leftover, timeout))
        expected, append = plan
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        fd = os.open(path, flags, 0o644)
        try:
            writer = FileWriter(fd)

            def hand_over(view: memoryview, buf: bytearray) -> None:
                def written(exc: BaseException | None) -> None:
                    if exc is None:
                        receiver.give_back(buf)
                    else:
                        receiver._finish(exc)

                writer.submit(view, written)

            if leftover:
                leftover = leftover[:expected]
                writer.submit(leftover)
                receiver.received = len(leftover)
                if progress is not None:
                    progress(len(leftover))
            receiver.start_body(expected, hand_over, progress)
            try:
                await _wait_with_stall_check(receiver, timeout, guard)
            finally:
                await writer.drain()
            await loop.run_in_executor(None, os.fsync, fd)
        finally:
            os.close(fd)
        return receiver.received
    finally:
        transport.close()


async def _read_small(receiver: _Receiver, head: Head, leftover: bytes, timeout: float) -> bytes:
    """Read a short answer's body into memory (up to :data:`MAX_SMALL_BYTES`)."""
    length = head.header("content-length")
    chunked = "chunked" in (head.header("transfer-encoding") or "").lower()
    sized = bool(length and length.isdigit()) and not chunked
    expected = int(length) if sized and length else MAX_SMALL_BYTES
    if expected > MAX_SMALL_BYTES:
        raise Declined("answer body too large")
    body = bytearray(leftover[:expected])

    def keep(view: memoryview, buf: bytearray) -> None:
        body.extend(view)
        receiver.give_back(buf)

    receiver.received = len(body)
    receiver.start_body(expected, keep, None, buffers=1, size=MAX_HEAD_BYTES)
    try:
        await _wait_with_stall_check(receiver, timeout)
    except BodyInterrupted:
        if sized:
            raise Declined("answer body cut short") from None
    return _dechunk(bytes(body)) if chunked else bytes(body)


def _dechunk(raw: bytes) -> bytes:
    """Decode a complete ``Transfer-Encoding: chunked`` body (small answers only)."""
    out = bytearray()
    pos = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            raise Declined("chunked answer cut short")
        try:
            size = int(raw[pos:eol].split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise Declined("bad chunk size") from None
        if size == 0:
            return bytes(out)
        start = eol + 2
        if start + size > len(raw):
            raise Declined("chunked answer cut short")
        out += raw[start : start + size]
        pos = start + size + 2


async def _wait_with_stall_check(
    receiver: _Receiver, timeout: float, guard: RateGuard | None = None
) -> None:
    loop = asyncio.get_running_loop()
    counted = receiver.received
    while True:
        done, _ = await asyncio.wait({receiver.done}, timeout=min(timeout, 1.0))
        if done:
            receiver.done.result()
            return
        if guard is not None:
            try:
                guard.feed(receiver.received - counted)
            except TooSlow as exc:
                receiver.stop(exc)
                continue
            counted = receiver.received
        if not receiver.paused and loop.time() - receiver.last_activity > timeout:
            receiver.stop(BodyInterrupted(f"no data for {timeout:g} s", receiver.received))
