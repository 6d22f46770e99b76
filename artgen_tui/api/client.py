"""NemoClient: every endpoint of ``docs/protocol.md`` §3 over async httpx, with its recovery policy (§2).

Recovery: an expired token (1001) gets a fresh anonymous token for the same client id and one retry;
a rate limit (429) waits ``Retry-After`` (or ``rate_limit_wait``) and retries once; everything else
is raised as an :class:`~artgen_tui.api.errors.ApiError` for the caller to explain. The token only
ever travels in the ``Authorization`` header to the API host; it is masked in logs and errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from artgen_tui import __version__
from artgen_tui.api import logsafe, tls
from artgen_tui.api.deadlines import (
    Stalled,
    TooSlow,
    deadline,
    describe_wait,
    wait_too_long,
    watch_events,
    watch_lines,
)
from artgen_tui.api.errors import (
    ApiError,
    ExportBlocked,
    FileTooLarge,
    InsufficientCredits,
    MalformedResponse,
    MissingClientId,
    RateLimited,
    SessionNotFound,
    StreamInterrupted,
    StreamStalled,
    TokenExpired,
    TransportError,
    UnsupportedFileType,
    error_from_response,
)
from artgen_tui.api.files import check_upload, content_type
from artgen_tui.api.logsafe import redact
from artgen_tui.api.models import (
    Credits,
    RenderJob,
    SessionInfo,
    SessionState,
    Token,
    UploadResult,
    parse_render_job,
)
from artgen_tui.api.tokens import TokenStore
from artgen_tui.api.untrusted import PARSE_ERRORS, clean_line

# Loaded with the first turn, upload or download: connecting and the headless reads need none.
if TYPE_CHECKING:
    from artgen_tui.api.download import Downloader, DownloadPolicy
    from artgen_tui.api.events import ChatEvent
    from artgen_tui.api.transfer import MultipartBody, ProgressCallback

NoticeCallback = Callable[[str], None]
"""Called with a short human sentence when the client recovers from something (429 wait, new token)."""

APP_NAME = "nemo_agent"
DEFAULT_RATE_LIMIT_WAIT = 30.0
DEFAULT_RENDER_OUTPUT: dict[str, Any] = {"format": "mp4", "quality": "high"}
RATE_LIMITED_AGAIN = "It still refused after one wait; give it a minute, then try again."

log = logging.getLogger("artgen_tui.api")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ClientOptions:
    api_url: str
    skill_source: str = "art-generator"
    skill_version: str = __version__
    skill_platform: str = "unknown"
    language: str = "en"
    request_timeout: float = 30.0
    stream_timeout: float = 900.0
    max_retry_after: float = 120.0
    """Longest ``Retry-After`` waited out; a longer one is raised as :class:`RateLimited`."""
    request_deadline: float | None = 120.0
    """Seconds for a whole JSON request, however slowly it trickles (``None``: none)."""
    stream_idle: float = 300.0
    """Seconds a reply stream may go without a whole line (keep-alives count)."""
    stream_event_idle: float = 600.0
    """Seconds a reply stream may go without an event (keep-alives do not count, heartbeats do)."""
    turn_deadline: float | None = 1800.0
    """Seconds one reply stream may last in all (``None``: no limit)."""
    min_download_rate: float = 1024.0
    """Bytes/s a download must average over each ``download_window`` (0: no check)."""
    download_window: float = 30.0


def _base_url(api_url: str) -> httpx.URL:
    """The API root as an absolute URL ending in ``/``; a bad setting is a clear error."""
    try:
        url = httpx.URL(api_url.strip().rstrip("/") + "/")
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ApiError(
            f"The API URL {api_url!r} is not an http:// or https:// address.",
            hint="Fix api_url in config.toml, NEMO_API_URL or --api-url.",
        )
    return url


def new_render_id() -> str:
    """A fresh client-side render id: ``render_<epoch ms>_<random hex>``."""
    return f"render_{int(time.time() * 1000)}_{secrets.token_hex(4)}"


def _already_exists(err: ApiError) -> bool:
    """A submit refused because the id is taken: the earlier (ambiguous) submit got through."""
    return err.http_status == 409 or (
        err.http_status is not None and 400 <= err.http_status < 500 and "exist" in err.message
    )


def _outcome_unknown(err: ApiError) -> bool:
    """Whether a failed submit may still have started the render (send it again, same id)."""
    if isinstance(err, ExportBlocked | InsufficientCredits | SessionNotFound | RateLimited):
        return False
    if isinstance(err, TokenExpired | MissingClientId):
        return False
    return err.transient


def _scrub(err: ApiError) -> ApiError:
    """Mask anything token-like in an error's text before it leaves the client."""
    err.message = redact(err.message)
    err.hint = redact(err.hint)
    err.args = (err.message,)
    return err


class NemoClient:
    """One client per API base URL; owns one ``httpx.AsyncClient`` (close it with :meth:`aclose`).

    ``static_token`` is NEMO_TOKEN (never replaced; a refusal says to refresh or unset it).
    ``on_notice`` hears recoveries ("Rate limited; retrying in 30 s"). ``rate_limit_wait`` is the
    wait after a 429 without ``Retry-After``. ``download_retries`` and ``retry_backoff`` bound the
    resume attempts of a download. ``fast_downloads`` streams plain downloads straight from the
    socket to disk (:mod:`artgen_tui.api.fastget`) when the answer allows it (the ``fast_downloads``
    setting).
    """

    def __init__(
        self,
        options: ClientOptions,
        credentials: TokenStore,
        *,
        static_token: str | None = None,
        on_notice: NoticeCallback | None = None,
        rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT,
        download_retries: int = 3,
        retry_backoff: float = 0.5,
        fast_downloads: bool = True,
    ) -> None:
        logsafe.install()
        self._options = options
        self._credentials = credentials
        self._static_token = static_token or None
        self._on_notice = on_notice
        self._rate_limit_wait = rate_limit_wait
        self._download_retries = download_retries
        self._retry_backoff = retry_backoff
        self._fast_downloads = fast_downloads
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()
        self._session_user_id: str | None = None
        self._base = _base_url(options.api_url)
        self._http = httpx.AsyncClient(
            base_url=self._base,
            timeout=httpx.Timeout(options.request_timeout),
            headers={"User-Agent": f"artgen-tui/{__version__}"},
            verify=tls.default_context(),  # made ahead where the app could (see api.tls)
        )

    def __repr__(self) -> str:
        state = "static" if self._static_token else ("set" if self._token else "none")
        return f"NemoClient(api_url={self._options.api_url!r}, token={state})"

    async def __aenter__(self) -> NemoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def options(self) -> ClientOptions:
        return self._options

    @property
    def user_id(self) -> str | None:
        if self._token is not None and self._token.user_id:
            return self._token.user_id
        return self._session_user_id

    # ------------------------------------------------------------------ plumbing

    def _notice(self, text: str) -> None:
        log.info("%s", text)
        if self._on_notice is not None:
            self._on_notice(text)

    def _attribution(self) -> dict[str, str]:
        return {
            "X-Skill-Source": self._options.skill_source,
            "X-Skill-Version": self._options.skill_version,
            "X-Skill-Platform": self._options.skill_platform,
        }

    def _url(self, path: str) -> httpx.URL:
        return self._base.join(path.lstrip("/"))

    def _is_api_origin(self, url: str) -> bool:
        target = httpx.URL(url)
        return (target.scheme, target.host, target.port) == (
            self._base.scheme,
            self._base.host,
            self._base.port,
        )

    async def _build(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        auth: bool = True,
        api: bool = True,
        json_body: Any = None,
        body: MultipartBody | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        hdrs: dict[str, str] = self._attribution() if api else {}
        if auth:
            token = await self.ensure_token()
            hdrs["Authorization"] = f"Bearer {token.token}"
        if body is not None:
            hdrs.update(body.headers)
        if headers:
            hdrs.update(headers)
        target = self._url(url) if isinstance(url, str) and "://" not in url else httpx.URL(url)
        return self._http.build_request(
            method,
            target,
            json=json_body,
            content=body,
            headers=hdrs,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    async def _send(
        self, request: httpx.Request, *, stream: bool = False, follow_redirects: bool = False
    ) -> httpx.Response:
        log.debug("-> %s %s", request.method, request.url.path)
        try:
            response = await self._http.send(
                request, stream=stream, follow_redirects=follow_redirects
            )
        except httpx.TimeoutException as exc:
            raise _scrub(
                TransportError(f"The server did not answer in time ({type(exc).__name__}).")
            ) from exc
        except httpx.HTTPError as exc:
            raise _scrub(
                TransportError(f"Could not reach {self._base.host}: {exc or type(exc).__name__}.")
            ) from exc
        log.debug("<- %s %s %d", request.method, request.url.path, response.status_code)
        return response

    async def _read_body(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """Read a whole JSON response; raise the error it carries or :class:`MalformedResponse`."""
        try:
            raw = await response.aread()
        except httpx.HTTPError as exc:
            raise _scrub(TransportError(f"{what}: the connection broke: {exc}.")) from exc
        finally:
            await response.aclose()
        parsed: Any
        problem = "not JSON"
        try:
            parsed = json.loads(raw) if raw.strip() else None
            valid = True
        except RecursionError:
            parsed, valid, problem = None, False, "nested too deeply"
        except PARSE_ERRORS:  # bad UTF-8, a 5,000-digit number, not JSON at all
            parsed, valid = None, False
        err = error_from_response(
            response.status_code, parsed, response.headers, user_id=self.user_id
        )
        if err is not None:
            raise _scrub(err)
        if not valid or not isinstance(parsed, dict):
            kind = problem if not valid else "not a JSON object"
            raise MalformedResponse(
                f"{what}: the server's answer was {kind} (HTTP {response.status_code}).",
                http_status=response.status_code,
            )
        return parsed

    async def _with_recovery(self, attempt: Callable[[], Awaitable[T]], *, auth: bool = True) -> T:
        """Run ``attempt``; on 1001 renew the token and on 429 wait, each at most once."""
        token_retry = rate_retry = True
        while True:
            used = (await self.ensure_token()).token if auth else None
            try:
                return await attempt()
            except TokenExpired as err:
                if not auth:
                    raise
                if self._static_token:
                    raise _scrub(
                        TokenExpired(
                            "The server refused the token in NEMO_TOKEN (expired or invalid).",
                            hint="Refresh NEMO_TOKEN, or unset it to use an anonymous token.",
                            http_status=err.http_status,
                        )
                    ) from None
                if not token_retry:
                    err.hint = "Try again in a moment; if it keeps happening, report it."
                    raise
                token_retry = False
                self._notice("Token expired; getting a new anonymous token.")
                await self._renew_token(used)
            except RateLimited as err:
                wait = err.retry_after if err.retry_after is not None else self._rate_limit_wait
                if wait_too_long(wait, self._options.max_retry_after):
                    raise self._wait_refused(err, wait) from None
                if not rate_retry:
                    err.hint = RATE_LIMITED_AGAIN
                    raise
                rate_retry = False
                self._notice(f"Rate limited; retrying in {math.ceil(wait)} s")
                await asyncio.sleep(wait)

    @staticmethod
    def _wait_refused(err: RateLimited, wait: float) -> RateLimited:
        """A 429 whose ``Retry-After`` is beyond what the client waits out: say how long."""
        refused = RateLimited(
            f"The service asked to wait {describe_wait(wait)}; try again later.",
            hint="",
            retry_after=err.retry_after,
            http_status=err.http_status,
        )
        log.info("rate limited with Retry-After %s s: not waiting", wait)
        return refused

    async def _request_json(
        self,
        method: str,
        path: str,
        what: str,
        *,
        auth: bool = True,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        body_factory: Callable[[], MultipartBody] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> dict[str, Any]:
        """One JSON request with recovery. The answer must arrive whole within
        ``request_deadline`` (for an upload, counted from when the server starts answering)."""
        limit = self._options.request_deadline

        async def attempt() -> dict[str, Any]:
            request = await self._build(
                method,
                path,
                auth=auth,
                json_body=json_body,
                body=body_factory() if body_factory else None,
                headers=headers,
                timeout=timeout,
            )
            try:
                async with deadline(None if body_factory else limit):
                    response = await self._send(request, stream=True)
                async with deadline(limit):
                    return await self._read_body(response, what)
            except TimeoutError:
                log.info("%s: no whole answer within %s s", what, limit)
                raise TransportError(
                    f"{what}: the server's answer did not arrive within {limit or 0:g} s."
                ) from None

        return await self._with_recovery(attempt, auth=auth)

    @staticmethod
    def _data(body: dict[str, Any], what: str) -> dict[str, Any]:
        data = body.get("data")
        if not isinstance(data, dict):
            raise MalformedResponse(f"{what}: the server's answer has no data object.")
        return data

    @staticmethod
    def _model(cls: type[M], data: Any, what: str) -> M:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "?" for e in exc.errors())
            raise MalformedResponse(
                f"{what}: the server's answer did not have the expected fields "
                f"({clean_line(fields, 200)})."
            ) from None
        except PARSE_ERRORS as exc:  # nesting beyond pydantic's limits, absurd numbers
            raise MalformedResponse(
                f"{what}: the server's answer could not be read ({type(exc).__name__})."
            ) from None

    # ------------------------------------------------------------------ auth

    async def ensure_token(self, *, force_new: bool = False) -> Token:
        """The token to use: NEMO_TOKEN, else the saved one, else a new anonymous token."""
        if self._static_token:
            return Token(token=self._static_token, user_id=self._session_user_id)
        async with self._token_lock:
            if not force_new:
                if self._token is not None:
                    return self._token
                saved = self._credentials.load_token()
                if saved is not None:
                    self._token = saved
                    return saved
            return await self._fetch_anonymous_token()

    def _new_client_id(self, refused: str) -> str:
        """A fresh ``X-Client-Id`` in place of ``refused``, kept by the store when it can renew
        one (the store may hand back one another process has just made)."""
        renew = getattr(self._credentials, "renew_client_id", None)
        if callable(renew):
            value = renew(refused)
            if isinstance(value, str) and value:
                return value
        return str(uuid.uuid4())

    async def _renew_token(self, stale: str | None) -> Token:
        async with self._token_lock:
            if self._token is not None and self._token.token != stale:
                return self._token  # another request already renewed it
            token = await self._fetch_anonymous_token()
            log.info("token renewed (new anonymous token %s)", redact(token.token))
            return token

    async def _fetch_anonymous_token(self) -> Token:
        what = "Getting an anonymous token"
        sent = self._credentials.client_id()
        try:
            body = await self._request_json(
                "POST",
                "/api/auth/anonymous-token",
                what,
                auth=False,
                headers={"X-Client-Id": sent},
            )
        except MissingClientId:
            # The service's own advice for this 400: a new client id, and one more try.
            self._notice("The server refused the client id; trying once with a new one.")
            body = await self._request_json(
                "POST",
                "/api/auth/anonymous-token",
                what,
                auth=False,
                headers={"X-Client-Id": self._new_client_id(sent)},
            )
        token = self._model(Token, self._data(body, what), what)
        self._credentials.save_token(token)
        self._token = token
        return token

    # ------------------------------------------------------------------ endpoints

    async def create_session(
        self, task_name: str = "project", language: str | None = None
    ) -> SessionInfo:
        what = "Creating a session"
        body = await self._request_json(
            "POST",
            f"/api/tasks/me/with-session/{APP_NAME}",
            what,
            json_body={"task_name": task_name, "language": language or self._options.language},
        )
        info = self._model(SessionInfo, self._data(body, what), what)
        if info.user_id:
            self._session_user_id = info.user_id
        return info

    async def stream_chat(self, session_id: str, text: str) -> AsyncIterator[ChatEvent]:
        """Send one message and yield the reply's events until the server closes the stream.

        Raises :class:`StreamInterrupted` if the connection drops mid-stream. Closing the
        generator (or cancelling its task) closes the HTTP response at once.
        """
        from artgen_tui.api.events import EventDecoder
        from artgen_tui.api.sse import iter_sse_data

        payload = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        timeout = httpx.Timeout(self._options.request_timeout, read=self._options.stream_timeout)

        async def attempt() -> httpx.Response:
            request = await self._build(
                "POST",
                "/run_sse",
                json_body=payload,
                headers={"Accept": "text/event-stream"},
                timeout=timeout,
            )
            try:
                async with deadline(self._options.request_deadline):
                    response = await self._send(request, stream=True)
            except TimeoutError:
                raise TransportError(
                    "Sending the message: the server did not start answering within "
                    f"{self._options.request_deadline:g} s."
                ) from None
            ctype = response.headers.get("content-type", "").lower()
            if response.status_code < 400 and ctype.startswith("text/event-stream"):
                return response
            if response.status_code >= 400 or "json" in ctype:
                await self._read_body(response, "Sending the message")
            else:
                await response.aclose()
            kind = clean_line(ctype.split(";")[0].strip() or "no content type", 80)
            raise MalformedResponse(
                f"Sending the message: the server answered with {kind} instead of an event "
                f"stream (HTTP {response.status_code}).",
                http_status=response.status_code,
            )

        response = await self._with_recovery(attempt)
        decoder = EventDecoder()
        try:
            lines = watch_lines(response.aiter_lines(), self._options.stream_idle)
            payloads = watch_events(
                iter_sse_data(lines), self._options.stream_event_idle, self._options.turn_deadline
            )
            async for data in payloads:
                for event in decoder.feed(data):
                    yield event
            if decoder.frames == 0:
                raise MalformedResponse(
                    "Sending the message: the reply stream ended without one readable event."
                )
        except Stalled as exc:
            log.info("reply stream given up: %s", exc)
            raise StreamStalled(f"The reply stream stalled: {exc}.") from None
        except TooSlow as exc:
            log.info("reply stream dropped: %s", exc)
            raise StreamInterrupted(f"The reply stream stalled: {exc}.") from None
        except httpx.ReadTimeout:
            log.info("reply stream dropped: no data for %g s", self._options.stream_timeout)
            raise StreamInterrupted(
                f"No data from the server for {self._options.stream_timeout:g} s."
            ) from None
        except httpx.HTTPError as exc:
            log.info("reply stream dropped (%s)", type(exc).__name__)
            raise _scrub(
                StreamInterrupted(f"The reply stream broke off ({type(exc).__name__}).")
            ) from exc
        finally:
            await response.aclose()

    async def upload_files(
        self, session_id: str, files: Sequence[Path], progress: ProgressCallback | None = None
    ) -> UploadResult:
        """Check every file, then stream them all in one multipart request.

        Nothing is sent if any file is refused by :func:`~artgen_tui.api.files.check_upload`.
        """
        paths = [Path(p) for p in files]
        if not paths:
            raise ApiError("No files to upload.", hint="Pick at least one file.")
        from artgen_tui.api.transfer import FilePart, MultipartBody

        parts = [FilePart(p, check_upload(p), content_type(p)) for p in paths]
        what = "Uploading " + ", ".join(p.name for p in paths)
        slow = max(120.0, self._options.request_timeout)  # a big file on a slow uplink
        timeout = httpx.Timeout(self._options.request_timeout, write=slow, read=slow)
        try:
            body = await self._request_json(
                "POST",
                f"/api/upload-video/{APP_NAME}/me/{quote(session_id, safe='')}",
                what,
                body_factory=lambda: MultipartBody(parts, progress=progress),
                timeout=timeout,
            )
        except (UnsupportedFileType, FileTooLarge) as err:
            names = [p.name for p in paths]
            if not any(name in err.message for name in names):
                err.message = f"{', '.join(names)}: {err.message}"
                err.args = (err.message,)
            raise
        except OSError as exc:
            raise ApiError(
                f"{what}: could not read the file ({exc.strerror or exc}).",
                hint="Check the file is still there and readable, then try again.",
            ) from exc
        return self._model(UploadResult, self._data(body, what), what)

    async def upload_urls(self, session_id: str, urls: Sequence[str]) -> UploadResult:
        what = "Adding media from URL"
        body = await self._request_json(
            "POST",
            f"/api/upload-video/{APP_NAME}/me/{quote(session_id, safe='')}",
            what,
            json_body={"urls": list(urls), "source_type": "url"},
        )
        return self._model(UploadResult, self._data(body, what), what)

    async def credits(self) -> Credits:
        what = "Reading the credit balance"
        body = await self._request_json("GET", "/api/credits/balance/simple", what)
        return self._model(Credits, self._data(body, what), what)

    async def state(self, session_id: str) -> SessionState:
        what = "Reading the session state"
        body = await self._request_json(
            "GET", f"/api/state/{APP_NAME}/me/{quote(session_id, safe='')}/latest", what
        )
        state = self._model(SessionState, self._data(body, what), what)
        if state.user_id:
            self._session_user_id = state.user_id
        return state

    @staticmethod
    def _render_job(body: dict[str, Any], fallback_id: str, what: str) -> RenderJob:
        try:
            return parse_render_job(body, fallback_id=fallback_id)
        except PARSE_ERRORS:
            raise MalformedResponse(f"{what}: the server's answer has no render job.") from None

    async def submit_render(
        self,
        session_id: str,
        draft: dict[str, Any],
        *,
        output: dict[str, Any] | None = None,
        render_id: str | None = None,
    ) -> RenderJob:
        """Start an export under ``render_id`` (default: a new one), idempotently.

        When the outcome is not known (the connection broke, a 5xx, an answer that is not a job)
        the submit is sent once more under the SAME id, so the service never renders it twice;
        a 409 ("already exists") then means the first one got through, and the render is polled
        instead. Refusals (credits, blocked, bad draft) are raised as they are.
        """
        what = "Starting the export"
        render_id = render_id or new_render_id()
        payload = {
            "id": render_id,
            "sessionId": session_id,
            "draft": draft,
            "output": output or dict(DEFAULT_RENDER_OUTPUT),
        }
        unknown: ApiError | None = None
        for attempt in (1, 2):
            try:
                body = await self._request_json(
                    "POST", "/api/render/proxy/lambda", what, json_body=payload
                )
                return self._render_job(body, render_id, what)
            except ApiError as err:
                if _already_exists(err):
                    log.info("render %s already exists on the server; following it", render_id)
                    return await self._existing_render(render_id, err)
                if not _outcome_unknown(err):
                    raise
                unknown = err
                if attempt == 1:
                    log.info("render submit outcome unknown (%s); sending again", err.message)
        assert unknown is not None
        return await self._existing_render(render_id, unknown)

    async def _existing_render(self, render_id: str, err: ApiError) -> RenderJob:
        """The render the service already has under ``render_id``; else ``err`` is raised."""
        try:
            return await self.poll_render(render_id)
        except ApiError as poll_err:
            log.info("render %s is not on the server (%s)", render_id, poll_err.message)
            raise err from None

    async def poll_render(self, render_id: str) -> RenderJob:
        what = "Checking the export"
        body = await self._request_json(
            "GET", f"/api/render/proxy/lambda/{quote(render_id, safe='')}", what
        )
        return self._render_job(body, render_id, what)

    async def cancel_render(self, render_id: str) -> RenderJob | None:
        """Ask the server to stop a render; the job as it answers, or ``None`` if it says nothing."""
        body = await self._request_json(
            "POST",
            f"/api/render/proxy/lambda/{quote(render_id, safe='')}/cancel",
            "Cancelling the export",
        )
        try:
            return parse_render_job(body, fallback_id=render_id)
        except PARSE_ERRORS:
            return None

    # ------------------------------------------------------------------ downloads

    async def download_render(
        self,
        render_id: str,
        dest: Path,
        *,
        url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download a finished render to ``dest``: ``url`` first, then the authenticated proxy.

        Bytes go to ``dest.part``, resumed with ``Range`` after an interruption; ``dest`` appears
        (fsynced, atomically renamed) only once the byte count matches. Never re-submits a render.
        """
        proxy = f"/api/render/proxy/{quote(render_id, safe='')}/download"
        downloader = self._downloader(video=True)
        return await downloader.fetch(Path(dest), [url] if url else [], proxy, progress)

    async def download_url(
        self, url: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        """Download any file (e.g. an uploaded asset's URL) with the same resume rules."""
        return await self._downloader().fetch(Path(dest), [url], None, progress)

    @property
    def download_policy(self) -> DownloadPolicy:
        """How downloads resume, wait, and whether they may take the lean socket path."""
        from artgen_tui.api.download import DownloadPolicy

        return DownloadPolicy(
            retries=self._download_retries,
            backoff=self._retry_backoff,
            timeout=self._options.request_timeout,
            fast=self._fast_downloads,
            min_rate=self._options.min_download_rate,
            window=self._options.download_window,
            head_deadline=self._options.request_deadline,
        )

    def _downloader(self, *, video: bool = False) -> Downloader:
        from artgen_tui.api.download import Downloader

        return Downloader(_DownloadWire(self), self.download_policy, video=video)


class _DownloadWire:
    """The client as :class:`~artgen_tui.api.download.DownloadWire` sees it."""

    def __init__(self, client: NemoClient) -> None:
        self._client = client

    def is_api_origin(self, url: str) -> bool:
        return self._client._is_api_origin(url)

    async def build_get(self, url: str, *, auth: bool, headers: dict[str, str]) -> httpx.Request:
        timeout = httpx.Timeout(self._client.options.request_timeout)
        return await self._client._build(
            "GET", url, auth=auth, api=auth, headers=headers, timeout=timeout
        )

    async def open(self, request: httpx.Request) -> httpx.Response:
        return await self._client._send(request, stream=True, follow_redirects=True)

    async def raise_for_body(self, response: httpx.Response, what: str) -> None:
        await self._client._read_body(response, what)

    async def with_recovery(self, attempt: Callable[[], Awaitable[T]]) -> T:
        return await self._client._with_recovery(attempt)
