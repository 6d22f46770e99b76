"""Resumable downloads for :class:`~artgen_tui.api.client.NemoClient`.

Bytes go to ``<dest>.part``. After an interruption the next attempt asks for the rest with
``Range: bytes=N-`` (a ``206`` must start exactly at N; a ``200`` restarts the file cleanly), a few
times. ``dest`` appears, fsynced and atomically renamed, only once the byte count matches. A public
URL that is gone (403/404/410) or unreachable falls back to the authenticated proxy; the token is
only sent to the API's own host.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from artgen_tui.api import fastget
from artgen_tui.api.errors import ApiError, MalformedResponse, TransportError
from artgen_tui.api.transfer import (
    FileSink,
    ProgressCallback,
    fsync_file,
    parse_content_range,
    parse_unsatisfied_range,
)

if TYPE_CHECKING:
    from artgen_tui.api.client import NemoClient

GONE_STATUSES = frozenset({403, 404, 410})

log = logging.getLogger("artgen_tui.api")


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


class Downloader:
    """One download: the public URLs in order, then the proxy path (with the token)."""

    def __init__(self, client: NemoClient) -> None:
        self._client = client

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
                    url, part, progress, auth=self._client._is_api_origin(url), public=True
                )
            except _SourceFailed as failed:
                last = failed.error
                log.info("download from the output URL failed: %s", failed.error.message)
                continue
            return self._finish(part, dest)
        if proxy is not None:
            path = proxy

            async def attempt() -> None:
                try:
                    await self._source(path, part, progress, auth=True, public=False)
                except _SourceFailed as failed:
                    raise failed.error from None

            await self._client._with_recovery(attempt)
            return self._finish(part, dest)
        assert last is not None
        raise last

    @staticmethod
    def _finish(part: Path, dest: Path) -> Path:
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
                return
            except _Interrupted as exc:
                failures += 1
                if failures > self._client._download_retries:
                    raise _SourceFailed(exc.error) from None
                log.info("download interrupted (%s); resuming", exc.error.message)
                await asyncio.sleep(self._client._retry_backoff * failures)

    async def _once(
        self, url: str, part: Path, progress: ProgressCallback | None, *, auth: bool, public: bool
    ) -> None:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        request = await self._client._build(
            "GET",
            url,
            auth=auth,
            api=auth,
            headers=headers,
            timeout=httpx.Timeout(self._client.options.request_timeout),
        )
        if self._client._fast_downloads and fastget.usable_for(request.url):
            try:
                await self._fast(request, part, have, progress)
                return
            except fastget.Answered as answer:
                short = httpx.Response(
                    answer.head.status,
                    headers=list(answer.head.headers.items()),
                    content=answer.body,
                    request=request,
                )
                await self._receive(short, part, have, progress, public=public)
                return
            except fastget.Declined as exc:
                log.debug("fast download declined (%s); using httpx", exc)
        try:
            response = await self._client._send(request, stream=True, follow_redirects=True)
        except TransportError as err:
            if isinstance(err.__cause__, httpx.ConnectError | httpx.ConnectTimeout):
                raise _SourceFailed(err) from None
            raise _Interrupted(err) from None
        try:
            await self._receive(response, part, have, progress, public=public)
        finally:
            await response.aclose()

    async def _fast(
        self,
        request: httpx.Request,
        part: Path,
        have: int,
        progress: ProgressCallback | None,
    ) -> None:
        """The common case without httpx: a plain 200/206 streamed straight into ``part``."""
        total: int | None = None
        start = 0

        def accept(head: fastget.Head) -> tuple[int, bool] | None:
            nonlocal total, start
            if head.status < 200 or 300 <= head.status < 400:
                raise fastget.Declined(f"HTTP {head.status}")  # httpx follows redirects
            if (
                head.status not in (200, 206)
                or "json" in (head.header("content-type") or "").lower()
            ):
                return None  # read whole, then handled like any other answer
            encoding = (head.header("content-encoding") or "identity").lower()
            length = head.header("content-length") or ""
            if head.header("transfer-encoding") or encoding != "identity" or not length.isdigit():
                raise fastget.Declined("not a plain sized body")
            if head.status == 206:
                rng = parse_content_range(head.header("content-range"))
                if rng is None or rng[0] != have:
                    part.unlink(missing_ok=True)
                    raise _Interrupted(ApiError("The server resumed at the wrong offset."))
                total, start = rng[2], have
                return int(length), True
            total, start = int(length), 0
            return total, False

        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(start + done, total)

        what = "Downloading"
        try:
            await fastget.fetch_to_file(
                request.url,
                request.headers,
                part,
                accept=accept,
                timeout=self._client.options.request_timeout,
                progress=advance,
            )
        except fastget.ConnectFailed as exc:
            raise _SourceFailed(TransportError(f"{what}: {exc}.")) from None
        except fastget.BodyInterrupted as exc:
            raise _Interrupted(TransportError(f"{what}: {exc}; resuming.")) from None
        except OSError as exc:
            raise ApiError(
                f"{what}: could not write {part.name} ({exc.strerror or exc}).",
                hint="Free some disk space or choose another output folder.",
            ) from exc
        if total is not None and start + done != total:
            raise _Interrupted(TransportError(f"{what}: got {start + done} of {total} bytes."))

    async def _receive(
        self,
        response: httpx.Response,
        part: Path,
        have: int,
        progress: ProgressCallback | None,
        *,
        public: bool,
    ) -> None:
        status = response.status_code
        what = "Downloading the export"
        if status == 416 and have:
            if parse_unsatisfied_range(response.headers.get("content-range")) == have:
                return  # the .part file already holds every byte
            part.unlink(missing_ok=True)
            raise _Interrupted(ApiError(f"{what}: the partial file did not match; restarting."))
        if status in GONE_STATUSES and public:
            raise _SourceFailed(ApiError(f"{what}: the download link answered HTTP {status}."))
        ctype = response.headers.get("content-type", "").lower()
        if status >= 400 or "json" in ctype:
            try:
                await self._client._read_body(response, what)
            except ApiError as err:
                if status >= 500:
                    raise _Interrupted(err) from None
                if public:
                    raise _SourceFailed(err) from None
                raise
            raise _SourceFailed(MalformedResponse(f"{what}: got JSON instead of the video."))
        total: int | None
        if status == 206:
            rng = parse_content_range(response.headers.get("content-range"))
            if rng is None or rng[0] != have:
                part.unlink(missing_ok=True)
                raise _Interrupted(ApiError(f"{what}: the server resumed at the wrong offset."))
            total = rng[2]
            mode = "ab"
        else:
            have = 0
            mode = "wb"
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
        if progress:
            progress(have, total)
        try:
            with open(part, mode) as fh:
                writer = FileSink(fh)
                try:
                    async for chunk in response.aiter_raw():
                        await writer.write(chunk)
                        have += len(chunk)
                        if progress:
                            progress(have, total)
                    await writer.drain()
                except httpx.HTTPError as exc:
                    await writer.drain()  # keep every byte that arrived, for the resume
                    raise _Interrupted(
                        TransportError(f"{what}: the connection broke ({type(exc).__name__}).")
                    ) from None
                except BaseException:
                    await writer.abort()
                    raise
                if total is not None and have != total:
                    if have > total:
                        fh.truncate(0)
                    raise _Interrupted(
                        TransportError(f"{what}: got {have} of {total} bytes; resuming.")
                    )
                await asyncio.to_thread(fsync_file, fh)
        except OSError as exc:
            raise ApiError(
                f"{what}: could not write {part.name} ({exc.strerror or exc}).",
                hint="Free some disk space or choose another output folder.",
            ) from exc
