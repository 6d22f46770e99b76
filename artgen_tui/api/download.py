"""Resumable downloads for :class:`~artgen_tui.api.client.NemoClient`.

Bytes go to ``<dest>.part``. After an interruption the next attempt asks for the rest with
``Range: bytes=N-`` and acts on :func:`~artgen_tui.api.resume.decide` (a ``206`` must start
exactly at N; a ``200`` restarts the file cleanly), a few times. ``dest`` appears, fsynced and
atomically renamed, only once the byte count matches. A public URL that is gone (403/404/410) or
unreachable falls back to the authenticated proxy; the token is only sent to the API's own host.

Two transports share every rule: a lean socket path (:mod:`artgen_tui.api.fastget`, for a plain
sized body; ``fast_downloads`` turns it off) and httpx for everything else. The downloader sees
the client only through :class:`DownloadWire`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import httpx

from artgen_tui.api import fastget
from artgen_tui.api.deadlines import RateGuard, TooSlow, deadline
from artgen_tui.api.errors import ApiError, MalformedResponse, TransportError
from artgen_tui.api.resume import (
    SNIFF_BYTES,
    Action,
    Decision,
    decide,
    looks_like_video,
    shortfall,
)
from artgen_tui.api.transfer import FileWriter, ProgressCallback, fsync_file

log = logging.getLogger("artgen_tui.api")

T = TypeVar("T")

WHAT = "Downloading the export"


class DownloadWire(Protocol):
    """What a download needs from the client: requests built and sent with its rules."""

    def is_api_origin(self, url: str) -> bool:
        """True when ``url`` is on the API's own host (the only one that may see the token)."""
        ...

    async def build_get(self, url: str, *, auth: bool, headers: dict[str, str]) -> httpx.Request:
        """A GET for ``url`` (an API path or an absolute URL), with the token when ``auth``."""
        ...

    async def open(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` for a streamed answer, following redirects; raises TransportError."""
        ...

    async def raise_for_body(self, response: httpx.Response, what: str) -> None:
        """Read a (JSON) answer whole and raise the API error it carries, if any."""
        ...

    async def with_recovery(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` with the client's token-renewal and rate-limit recovery."""
        ...


@dataclass(frozen=True)
class DownloadPolicy:
    retries: int = 3
    """Resume attempts per source after an interruption."""
    backoff: float = 0.5
    """Seconds of wait before resume attempt n is ``backoff * n``."""
    timeout: float = 30.0
    """Seconds to wait for a connection, an answer, or the next bytes."""
    fast: bool = True
    """Use the lean socket path when the answer allows it."""
    min_rate: float = 0.0
    """Bytes/s the body must average over each ``window`` (0: no check); a slower source fails."""
    window: float = 30.0
    head_deadline: float | None = None
    """Seconds for the answer's status and headers, however slowly they trickle in."""


class _SourceFailed(Exception):
    """A download URL that cannot serve the file (gone, refused, or unreachable): try the next one."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


class _Interrupted(Exception):
    """A download attempt that stopped early; the ``.part`` file keeps what arrived."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _disk_error(part: Path, exc: OSError) -> ApiError:
    return ApiError(
        f"{WHAT}: could not write {part.name} ({exc.strerror or exc}).",
        hint="Free some disk space or choose another output folder.",
    )


def _settle(decision: Decision, part: Path) -> None:
    """Act on every decision but WRITE and ERROR (those need the body); return for DONE."""
    if decision.action is Action.DISCARD:
        part.unlink(missing_ok=True)
        raise _Interrupted(ApiError(f"{WHAT}: {decision.reason}."))
    if decision.action is Action.NEXT_SOURCE:
        raise _SourceFailed(ApiError(f"{WHAT}: {decision.reason}."))


class Downloader:
    """One download: the public URLs in order, then the proxy path (with the token)."""

    def __init__(self, wire: DownloadWire, policy: DownloadPolicy, *, video: bool = False) -> None:
        self._wire = wire
        self._policy = policy
        self._video = video
        """A render: the answer must be a video (content type, first bytes)."""

    async def fetch(
        self,
        dest: Path,
        public: list[str],
        proxy: str | None,
        progress: ProgressCallback | None,
    ) -> Path:
        """Download to ``dest`` from ``public`` URLs, then ``proxy``; returns ``dest``."""
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        last: ApiError | None = None
        for url in public:
            try:
                await self._source(
                    url, part, progress, auth=self._wire.is_api_origin(url), public=True
                )
            except _SourceFailed as failed:
                last = failed.error
                log.info("download from the output URL failed: %s", failed.error.message)
                continue
            return self._finish(part, dest)
        if proxy is not None:
            path = proxy
            if public:
                log.info("falling back to the authenticated download proxy")

            async def attempt() -> None:
                try:
                    await self._source(path, part, progress, auth=True, public=False)
                except _SourceFailed as failed:
                    raise failed.error from None

            await self._wire.with_recovery(attempt)
            return self._finish(part, dest)
        assert last is not None
        raise last

    @staticmethod
    def _finish(part: Path, dest: Path) -> Path:
        """``part`` is complete and checked: it becomes ``dest``."""
        os.replace(part, dest)
        return dest

    async def _source(
        self, url: str, part: Path, progress: ProgressCallback | None, *, auth: bool, public: bool
    ) -> None:
        """Fetch one source into ``part``, resuming after interruptions a few times.

        A public source that is gone or unreachable raises :class:`_SourceFailed` so the caller
        can try the next one; the proxy raises its API errors as they are.
        """
        failures = 0
        while True:
            try:
                await self._once(url, part, progress, auth=auth, public=public)
                self._check_content(part)
                return
            except _Interrupted as exc:
                failures += 1
                if failures > self._policy.retries:
                    raise _SourceFailed(exc.error) from None
                log.info("download interrupted (%s); resuming", exc.error.message)
                await asyncio.sleep(self._policy.backoff * failures)

    def _check_content(self, part: Path) -> None:
        """A finished video download must start like a video; anything else is thrown away."""
        if not self._video:
            return
        try:
            with open(part, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise _disk_error(part, exc) from exc
        if looks_like_video(head):
            return
        part.unlink(missing_ok=True)
        shown = head[:8].decode("ascii", "replace")
        shown = "".join(c if c.isprintable() else "?" for c in shown)
        raise _SourceFailed(
            MalformedResponse(
                f"{WHAT}: what the server sent is not a video (it starts with {shown!r}); "
                "nothing was saved."
            )
        )

    async def _once(
        self, url: str, part: Path, progress: ProgressCallback | None, *, auth: bool, public: bool
    ) -> None:
        held = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if held:
            headers["Range"] = f"bytes={held}-"
        request = await self._wire.build_get(url, auth=auth, headers=headers)
        if self._policy.fast and fastget.usable_for(request.url):
            try:
                await self._fast(request, part, held, progress, public=public)
                return
            except fastget.Answered as answer:
                short = httpx.Response(
                    answer.head.status,
                    headers=list(answer.head.headers.items()),
                    content=answer.body,
                    request=request,
                )
                await self._receive(short, part, held, progress, public=public)
                return
            except fastget.Declined as exc:
                log.info("fast download declined (%s); using httpx", exc)
        try:
            async with deadline(self._policy.head_deadline):
                response = await self._wire.open(request)
        except TimeoutError:
            raise _Interrupted(
                TransportError(
                    f"{WHAT}: the server did not answer within {self._policy.head_deadline:g} s."
                )
            ) from None
        except TransportError as err:
            if isinstance(err.__cause__, httpx.ConnectError | httpx.ConnectTimeout):
                raise _SourceFailed(err) from None
            raise _Interrupted(err) from None
        try:
            await self._receive(response, part, held, progress, public=public)
        finally:
            await response.aclose()

    async def _fast(
        self,
        request: httpx.Request,
        part: Path,
        held: int,
        progress: ProgressCallback | None,
        *,
        public: bool,
    ) -> None:
        """The common case without httpx: a plain 200/206 streamed straight into ``part``."""
        plan = Decision(Action.ERROR)

        def accept(head: fastget.Head) -> tuple[int, bool] | None:
            nonlocal plan
            if head.status < 200 or 300 <= head.status < 400:
                raise fastget.Declined(f"HTTP {head.status}")  # httpx follows redirects
            plan = decide(head.status, head.header, held, public=public, video=self._video)
            _settle(plan, part)
            if plan.action is not Action.WRITE:
                return None  # DONE or ERROR: read whole, then handled like any other answer
            encoding = (head.header("content-encoding") or "identity").lower()
            length = head.header("content-length") or ""
            if head.header("transfer-encoding") or encoding != "identity" or not length.isdigit():
                raise fastget.Declined("not a plain sized body")
            return int(length), plan.append

        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(plan.offset + done, plan.total)

        try:
            await fastget.fetch_to_file(
                request.url,
                request.headers,
                part,
                accept=accept,
                timeout=self._policy.timeout,
                progress=advance,
                guard=self._guard(),
            )
        except TooSlow as exc:
            raise _SourceFailed(TransportError(f"{WHAT}: {exc}.")) from None
        except fastget.ConnectFailed as exc:
            raise _SourceFailed(TransportError(f"{WHAT}: {exc}.")) from None
        except fastget.BodyInterrupted as exc:
            raise _Interrupted(TransportError(f"{WHAT}: {exc}; resuming.")) from None
        except OSError as exc:
            raise _disk_error(part, exc) from exc
        missing = shortfall(plan.offset + done, plan.total)
        if missing:
            raise _Interrupted(TransportError(f"{WHAT}: {missing}."))

    def _guard(self) -> RateGuard:
        return RateGuard(self._policy.min_rate, self._policy.window)

    async def _receive(
        self,
        response: httpx.Response,
        part: Path,
        held: int,
        progress: ProgressCallback | None,
        *,
        public: bool,
    ) -> None:
        status = response.status_code
        plan = decide(status, response.headers.get, held, public=public, video=self._video)
        _settle(plan, part)
        if plan.action is Action.DONE:
            return
        if plan.action is Action.ERROR:
            try:
                await self._wire.raise_for_body(response, WHAT)
            except ApiError as err:
                if status >= 500:
                    raise _Interrupted(err) from None
                if public:
                    raise _SourceFailed(err) from None
                raise
            raise _SourceFailed(MalformedResponse(f"{WHAT}: got JSON instead of the video."))
        await self._write_body(response, part, plan, progress)

    async def _write_body(
        self,
        response: httpx.Response,
        part: Path,
        plan: Decision,
        progress: ProgressCallback | None,
    ) -> None:
        """Stream a WRITE answer's body into ``part``; raise unless it is provably whole."""
        have = plan.offset
        if progress:
            progress(have, plan.total)
        try:
            with open(part, "ab" if plan.append else "wb") as fh:
                writer = FileWriter(fh.fileno())
                try:
                    async for chunk in self._guard().watch(response.aiter_raw()):
                        await writer.write(chunk)
                        have += len(chunk)
                        if progress:
                            progress(have, plan.total)
                    await writer.drain()
                except TooSlow as exc:
                    await writer.drain()
                    raise _SourceFailed(TransportError(f"{WHAT}: {exc}.")) from None
                except httpx.HTTPError as exc:
                    await writer.drain()  # keep every byte that arrived, for the resume
                    raise _Interrupted(
                        TransportError(f"{WHAT}: the connection broke ({type(exc).__name__}).")
                    ) from None
                except BaseException:
                    await writer.abort()
                    raise
                missing = shortfall(have, plan.total)
                if missing:
                    if plan.total is not None and have > plan.total:
                        fh.truncate(0)
                    raise _Interrupted(TransportError(f"{WHAT}: {missing}."))
                await asyncio.to_thread(fsync_file, fh)
                if plan.total is None and not plan.framed:
                    # The body just stopped: complete, or cut? Ask for the rest to find out
                    # (``416 bytes */N`` confirms it; a 206 carries on from here).
                    raise _Interrupted(
                        TransportError(f"{WHAT}: the server did not say the size; confirming.")
                    )
        except OSError as exc:
            raise _disk_error(part, exc) from exc
