"""A hostile server for robustness tests: the real local backend behind a proxy that breaks things.

:class:`HostileProxy` forwards every request to a running local backend (so whole flows work:
tokens, sessions, turns, uploads, renders) and then spoils the answers according to its *modes*,
the way a broken or malicious service would: control sequences in every string, absurd nesting,
infinite or enormous numbers, bodies that drip one byte at a time, pages instead of videos…

Each mode is a :class:`Mode` with optional hooks; a test names the modes it wants::

    with backend(tmp_path / "b") as upstream, HostileProxy(upstream, "escapes") as url:
        run("chat", "add music", url=url)

New modes register themselves with :func:`mode`. Only loopback is ever contacted.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

import httpx
from loopback import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

# A sample of what must never reach a terminal raw: window title (OSC 2), clipboard write
# (OSC 52), screen clear, alternate screen, a DCS query that makes terminals answer, C1 CSI, BEL.
ESCAPES = '\x1b]2;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b[?1049h\x1bP$q"p\x1b\\\x9b31m\x07'
"""Control sequences inserted into every string of a spoiled answer."""

CONTROL_CHARS = frozenset(chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))) - {
    "\n",
    "\t",
}
"""Characters that must not appear raw in anything shown to the user (newline and tab may)."""


def raw_controls(text: str) -> list[str]:
    """The raw control characters in ``text`` (an empty list when it is safe to print)."""
    return sorted({c for c in text if c in CONTROL_CHARS})


@dataclass
class Exchange:
    """One proxied answer, as a mode may change it."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes
    request_body: bytes = b""
    request_headers: dict[str, str] = field(default_factory=dict)
    done_at: float | None = None
    """When a relayed event stream ended (``time.monotonic()``); ``None`` while it runs."""
    at: float = field(default_factory=time.monotonic)
    """When the answer came back from the backend (``time.monotonic()``)."""

    def json(self) -> Any:
        return json.loads(self.body)


JsonHook = Callable[[Exchange, Any], Any]
SseHook = Callable[[Exchange, str], str]
ResponseHook = Callable[[Exchange], Response | None]


@dataclass
class Mode:
    """How answers are spoiled. Every hook is optional.

    ``json``: rewrite a decoded JSON body. ``sse``: rewrite each SSE ``data:`` payload of a chat
    stream. ``respond``: replace the whole response (return ``None`` to keep it).
    ``match``: which request paths the mode touches (substring; empty = all).
    """

    name: str
    json: JsonHook | None = None
    sse: SseHook | None = None
    respond: ResponseHook | None = None
    match: tuple[str, ...] = ()

    def applies(self, path: str) -> bool:
        return not self.match or any(m in path for m in self.match)


MODES: dict[str, Mode] = {}


def mode(m: Mode) -> Mode:
    """Register ``m`` under its name."""
    MODES[m.name] = m
    return m


def map_strings(value: Any, spoil: Callable[[str], str]) -> Any:
    """``value`` with every string (keys excluded) passed through ``spoil``."""
    if isinstance(value, str):
        return spoil(value)
    if isinstance(value, list):
        return [map_strings(v, spoil) for v in value]
    if isinstance(value, dict):
        return {k: map_strings(v, spoil) for k, v in value.items()}
    return value


def map_numbers(value: Any, spoil: Callable[[float | int], Any]) -> Any:
    """``value`` with every number (not booleans) passed through ``spoil``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return spoil(value)
    if isinstance(value, list):
        return [map_numbers(v, spoil) for v in value]
    if isinstance(value, dict):
        return {k: map_numbers(v, spoil) for k, v in value.items()}
    return value


def _escaped(text: str) -> str:
    return f"{ESCAPES}{text}{ESCAPES}" if text else text


def _escape_sse(_ex: Exchange, data: str) -> str:
    try:
        return json.dumps(map_strings(json.loads(data), _escaped))
    except ValueError:
        return data


SESSION_PATHS = ("/run_sse", "/api/state", "/api/render", "/api/upload", "/api/credits")
"""Everything but the token endpoint: what a working but hostile service answers."""

mode(
    Mode(
        "escapes",
        json=lambda _ex, body: map_strings(body, _escaped),
        sse=_escape_sse,
        match=SESSION_PATHS,
    )
)


# --- slow, endless, wrong and ambiguous answers ---------------------------------------------

DRIP_EVERY = 0.5
"""Seconds between the bytes of a dripped answer: each byte keeps a read timeout alive."""

DOWNLOAD_PATHS = ("/renders/", "/download")
"""Where a render's video is fetched: the public link and the authenticated proxy."""

POLL_PATHS = ("/api/render/proxy/lambda/",)
"""A render's status polls (not the submit, which has no trailing slash)."""

SUBMIT_PATHS = ("/api/render/proxy/lambda",)

HTML_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


def drip(
    body: bytes, *, status: int = 200, headers: dict[str, str] | None = None, sized: bool = True
) -> StreamingResponse:
    """``body`` one byte every :data:`DRIP_EVERY` seconds (with its ``Content-Length``)."""

    async def trickle() -> AsyncIterator[bytes]:
        for i in range(len(body)):
            yield body[i : i + 1]
            await asyncio.sleep(DRIP_EVERY)

    out = dict(headers or {})
    if sized:
        out["content-length"] = str(len(body))
    return StreamingResponse(trickle(), status_code=status, headers=out)


def cut_after(body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The start of ``body``, then the connection broken (no ``Content-Length``)."""

    async def broken() -> AsyncIterator[bytes]:
        yield body[: max(1, len(body) // 2)]
        await asyncio.sleep(0.05)
        raise ConnectionResetError("cut by the hostile proxy")

    return StreamingResponse(broken(), status_code=status, headers=dict(headers or {}))


def _drip_answer(ex: Exchange) -> Response:
    return drip(ex.body, status=ex.status, headers=ex.headers)


SSE_DRIP = b'data: {"content": {"parts": [{"text": "Hello"}], "role": "model"}}\n\n' * 100


def _drip_stream(ex: Exchange) -> Response:
    return drip(SSE_DRIP, headers={"content-type": "text/event-stream"}, sized=False)


def _drip_video(ex: Exchange) -> Response | None:
    if ex.status not in (200, 206):
        return None
    return drip(ex.body, status=ex.status, headers=ex.headers)


def endless(pieces: tuple[bytes, ...], every: float) -> StreamingResponse:
    """An event stream sending ``pieces`` in turn, one every ``every`` seconds, forever."""

    async def forever() -> AsyncIterator[bytes]:
        while True:
            for piece in pieces:
                yield piece
                await asyncio.sleep(every)

    return StreamingResponse(forever(), headers={"content-type": "text/event-stream"})


KEEP_ALIVE_DRIP = (b":", b"\n", b"data:\n\n")
"""A comment line dripped byte by byte, then an empty ``data:``: whole lines, never an event."""

HEARTBEAT_FRAME = b'data: {"type": "heartbeat"}\n\n'

mode(Mode("drip_json", respond=_drip_answer, match=("/api/credits", "/api/state")))
mode(
    Mode(
        "keepalive_drip",
        respond=lambda _ex: endless(KEEP_ALIVE_DRIP, DRIP_EVERY),
        match=("/run_sse",),
    )
)
"""A reply stream of nothing but keep-alives, a whole line about every second, forever."""
mode(
    Mode(
        "heartbeat_forever",
        respond=lambda _ex: endless((HEARTBEAT_FRAME,), DRIP_EVERY),
        match=("/run_sse",),
    )
)
"""A reply stream of nothing but heartbeat events, two a second, forever."""
mode(Mode("drip_sse", respond=_drip_stream, match=("/run_sse",)))
mode(Mode("drip_download", respond=_drip_video, match=DOWNLOAD_PATHS))


def _poll_data(change: Callable[[dict[str, Any]], Any]) -> JsonHook:
    def hook(_ex: Exchange, body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            body["data"] = change(body["data"])
        return body

    return hook


mode(
    Mode(
        "render_forever",
        json=_poll_data(lambda d: {**d, "status": "processing", "progress": 50}),
        match=POLL_PATHS,
    )
)
mode(
    Mode(
        "render_unknown", json=_poll_data(lambda d: {**d, "status": "queued-ish"}), match=POLL_PATHS
    )
)
mode(Mode("render_null", json=_poll_data(lambda _d: None), match=POLL_PATHS))


def _html_instead(ex: Exchange) -> Response | None:
    if ex.status != 200:
        return None
    return Response(
        HTML_PAGE, status_code=200, headers={"content-type": "text/html; charset=utf-8"}
    )


def _html_as_video(ex: Exchange) -> Response | None:
    if ex.status != 200:
        return None
    return Response(HTML_PAGE, status_code=200, headers={"content-type": "video/mp4"})


mode(Mode("html_video", respond=_html_instead, match=DOWNLOAD_PATHS))
mode(Mode("html_labelled_video", respond=_html_as_video, match=DOWNLOAD_PATHS))


def _cut_video(ex: Exchange) -> Response | None:
    if ex.status != 200:
        return None
    return cut_after(ex.body, headers={"content-type": "video/mp4"})


mode(Mode("cut_download", respond=_cut_video, match=DOWNLOAD_PATHS))


# --- a body with no length at all ------------------------------------------------------------
# uvicorn always frames a body (Content-Length or chunked), so the unframed modes send the video
# from a raw socket server of their own: the render's ``outputUrl`` is pointed there, and it
# answers with no Content-Length and no chunking (HTTP/1.0 style: the close ends the body), after
# half the bytes. Only the public link moves: the authenticated proxy path stays on the proxy.


class UnframedServer:
    """A raw loopback HTTP server relaying ``/?from=<url>``: a full answer unframed and cut.

    ``Range`` requests are relayed as the source answers them (206 or 416, framed) when
    ``ranges``; otherwise they get the same cut, unframed 200 again.
    """

    def __init__(self, *, ranges: bool) -> None:
        self.ranges = ranges
        self.cut = 0
        """Unframed cut answers sent so far."""
        self.base = ""
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self._started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            self._started.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def link(self, source: str) -> str:
        return f"{self.base}/unframed.mp4?from={quote(source, safe='')}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            target = head.split(" ", 2)[1]
            source = unquote(target.split("from=", 1)[1])
            wanted = re.search(r"(?im)^range: *(bytes=\d+-\d*)", head)
            async with httpx.AsyncClient(timeout=60) as client:
                if wanted and self.ranges:
                    got = await client.get(source, headers={"Range": wanted.group(1)})
                    lines = [f"HTTP/1.1 {got.status_code} {got.reason_phrase}"]
                    lines += [
                        f"{k}: {v}"
                        for k, v in got.headers.items()
                        if k.lower() in ("content-type", "content-range")
                    ]
                    lines += [f"Content-Length: {len(got.content)}", "Connection: close"]
                    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + got.content)
                else:
                    got = await client.get(source)
                    self.cut += 1
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n"
                        + got.content[: max(1, len(got.content) // 2)]
                    )
            await writer.drain()
        except (OSError, ValueError, IndexError, httpx.HTTPError):
            pass
        finally:
            writer.close()


_UNFRAMED: dict[bool, UnframedServer] = {}


def unframed_server(*, ranges: bool) -> UnframedServer:
    """The (one, lazily started) :class:`UnframedServer` of this kind."""
    if ranges not in _UNFRAMED:
        _UNFRAMED[ranges] = UnframedServer(ranges=ranges)
    return _UNFRAMED[ranges]


def _unframed_link(ranges: bool) -> JsonHook:
    def relink(data: dict[str, Any]) -> Any:
        url = data.get("outputUrl")
        if isinstance(url, str) and url.startswith("http"):
            data = {**data, "outputUrl": unframed_server(ranges=ranges).link(url)}
        return data

    return _poll_data(relink)


mode(Mode("cut_unframed", json=_unframed_link(True), match=POLL_PATHS))
"""The video link answers with a body that has no length and stops halfway (Range works)."""
mode(Mode("cut_unframed_no_range", json=_unframed_link(False), match=POLL_PATHS))
"""The same, and a ``Range`` request gets the same cut answer: it can never be confirmed."""
mode(
    Mode(
        "html_proxy_download",
        respond=lambda ex: _html_instead(replace(ex, status=200)),
        match=("/download",),
    )
)
"""The authenticated download path (the fallback) answers every request, a resume's too, with a
sign-in page."""


def _ambiguous(spoil: Callable[[Exchange], Response]) -> ResponseHook:
    """Spoil the answer to the first submit of each render id: the backend HAS accepted it."""
    seen: set[str] = set()

    def hook(ex: Exchange) -> Response | None:
        if ex.method != "POST" or not ex.path.endswith("/lambda"):
            return None
        try:
            rid = str(json.loads(ex.request_body).get("id"))
        except (ValueError, AttributeError):
            return None
        if rid in seen:
            return None
        seen.add(rid)
        return spoil(ex)

    return hook


mode(Mode("submit_cut", respond=_ambiguous(lambda ex: cut_after(ex.body)), match=SUBMIT_PATHS))
mode(
    Mode(
        "submit_5xx",
        respond=_ambiguous(lambda _ex: Response(b"Bad Gateway", status_code=502)),
        match=SUBMIT_PATHS,
    )
)
mode(
    Mode(
        "submit_garbage",
        respond=_ambiguous(
            lambda _ex: Response(HTML_PAGE, status_code=200, headers={"content-type": "text/html"})
        ),
        match=SUBMIT_PATHS,
    )
)

HUGE_RETRY_AFTER = "10800"


def _rate_limited_for_hours(_ex: Exchange) -> Response:
    body = json.dumps({"code": 429, "message": "Too many requests."}).encode()
    headers = {"content-type": "application/json", "retry-after": HUGE_RETRY_AFTER}
    return Response(body, status_code=429, headers=headers)


mode(Mode("huge_retry_after", respond=_rate_limited_for_hours, match=SESSION_PATHS))


def refuse_client_id_once() -> Mode:
    """The first token request answered 400 "X-Client-Id required" (a fresh mode each call)."""
    refused: list[str] = []

    def hook(ex: Exchange) -> Response | None:
        if refused:
            return None
        refused.append(ex.request_headers.get("x-client-id", ""))
        body = json.dumps({"code": 400, "message": "X-Client-Id header is required"}).encode()
        return Response(body, status_code=400, headers={"content-type": "application/json"})

    return Mode("refuse_client_id", respond=hook, match=("/api/auth/anonymous-token",))


def deep(levels: int) -> str:
    """``levels`` nested JSON arrays, as raw text (too deep for ``json.dumps`` to write)."""
    return "[" * levels + "1" + "]" * levels


DEEP = deep(1_000)
"""Nesting that makes ``json.loads`` raise ``RecursionError``."""


def _splice(text: str, raw: str) -> str:
    """A JSON object's text with ``"deep": raw`` added as its first key (other text unchanged)."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return text
    rest = stripped[1:].lstrip()
    return '{"deep": ' + raw + ("" if rest.startswith("}") else ", ") + rest


def _nest_json(ex: Exchange) -> Response | None:
    if "json" not in ex.headers.get("content-type", ""):
        return None
    body = _splice(ex.body.decode("utf-8", "replace"), DEEP)
    return Response(body.encode(), status_code=ex.status, headers=ex.headers)


mode(
    Mode(
        "nesting",
        sse=lambda _ex, data: _splice(data, DEEP),
        respond=_nest_json,
        match=SESSION_PATHS,
    )
)
"""~1,000-level nesting in every JSON answer and every chat frame."""


def _deep_segments(_ex: Exchange, body: Any) -> Any:
    """A 300-level value in every segment of a state (it parses; pydantic cannot serialise it)."""
    draft = (
        (body.get("data") or {}).get("state", {}).get("draft") if isinstance(body, dict) else None
    )
    value: Any = 1
    for _ in range(300):
        value = {"n": value}
    for track in draft.get("t", []) if isinstance(draft, dict) else []:
        for seg in track.get("sg", []) if isinstance(track, dict) else []:
            if isinstance(seg, dict):
                seg["deep"] = value
    return body


mode(Mode("deep-segment", json=_deep_segments, match=("/api/state",)))

COMPACT_TRACK_NAMES = {0: ("n", "Main cut"), 1: ("nm", "Score"), 7: ("lb", "Captions")}
"""The name each track type gets, under which short key, in the ``compact-keys`` mode."""
_COMPACT = {"label": "n", "text": "tx", "volume": "v", "start_ms": "s", "duration_ms": "d"}


def _compact_keys(_ex: Exchange, body: Any) -> Any:
    """Every draft's segments with one- and two-letter keys only, and its tracks named so too."""
    draft = (
        (body.get("data") or {}).get("state", {}).get("draft") if isinstance(body, dict) else None
    )
    for track in draft.get("t", []) if isinstance(draft, dict) else []:
        if not isinstance(track, dict):
            continue
        if track.get("tt") in COMPACT_TRACK_NAMES:
            key, name = COMPACT_TRACK_NAMES[track["tt"]]
            track[key] = name
        for seg in track.get("sg", []):
            for long, short in _COMPACT.items():
                if isinstance(seg, dict) and long in seg:
                    seg[short] = seg.pop(long)
    return body


mode(Mode("compact-keys", json=_compact_keys, match=("/api/state",)))
"""Drafts as the service may write them: ``n``, ``tx``, ``v``, ``s``, ``d`` and short track names."""


_ABSURD = (float("inf"), float("-inf"), float("nan"), 10**400, -(10**400), 1e308)


def _absurd_numbers(_ex: Exchange, body: Any) -> Any:
    counter = iter(range(1_000_000))
    return map_numbers(body, lambda _n: _ABSURD[next(counter) % len(_ABSURD)])


mode(Mode("numbers", json=_absurd_numbers, match=SESSION_PATHS))
"""Every number in every answer becomes ``Infinity``, ``-Infinity``, ``NaN``, ±400 digits or 1e308."""


def _negative_credits(_ex: Exchange, body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        data.update(available=-500, frozen=-1, total=-(10**30))
    return body


mode(Mode("negative-credits", json=_negative_credits, match=("/api/credits",)))

HUGE = 30 * 1024 * 1024
"""A 30 MB server message."""


def _huge_message(ex: Exchange) -> Response:
    text = (ESCAPES + "x" * 1023) * (HUGE // 1024)
    if ex.path.startswith("/run_sse"):
        frame = json.dumps({"error": text}).encode()
        return Response(b"data: " + frame + b"\n\n", media_type="text/event-stream")
    body = json.dumps({"code": 7777, "message": text}).encode()
    return Response(body, status_code=400, media_type="application/json")


mode(Mode("huge-message", respond=_huge_message, match=("/run_sse", "/api/credits", "/api/state")))
"""Chat, state and credits answered with a 30 MB error message (escapes included)."""

HTML_ERROR_PAGE = (
    b"<html><head><title>502</title></head><body>\x1b]2;pwned\x07Bad gateway</body></html>"
)

mode(
    Mode(
        "html-sse",
        respond=lambda _ex: Response(HTML_ERROR_PAGE, media_type="text/html"),
        match=("/run_sse",),
    )
)
"""An HTML page instead of the chat's event stream (a captive portal, a proxy error page)."""

mode(
    Mode(
        "cut-sse",
        respond=lambda _ex: Response(
            b'data: {"content": {"parts": [{"text": "Hel', media_type="text/event-stream"
        ),
        match=("/run_sse",),
    )
)
"""A chat stream cut inside its first frame: not one event can be read."""


class HostileProxy:
    """The local backend at ``upstream`` behind a loopback proxy applying ``modes``."""

    def __init__(self, upstream: str, *modes: str | Mode) -> None:
        self.upstream = upstream.rstrip("/")
        self.modes = [m if isinstance(m, Mode) else MODES[m] for m in modes]
        self.exchanges: list[Exchange] = []
        self.url = ""
        self._stack = ExitStack()

    def set_modes(self, *modes: str | Mode) -> None:
        """Change the modes while the proxy runs (e.g. spoil only the second request)."""
        self.modes = [m if isinstance(m, Mode) else MODES[m] for m in modes]

    def _active(self, path: str) -> list[Mode]:
        return [m for m in self.modes if m.applies(path)]

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        body = await request.body()
        headers = {
            k: v
            for k, v in request.headers.items()
            # The Host goes through, so the links the backend writes (a render's outputUrl)
            # point at the proxy too and downloads pass through its modes.
            if k.lower() not in ("content-length", "accept-encoding")
        }
        raw_path = request.scope.get("raw_path") or path.encode()  # as sent: still %-quoted
        query = f"?{request.url.query}" if request.url.query else ""
        target = self.upstream + raw_path.decode("latin-1") + query
        client = httpx.AsyncClient(timeout=120)
        upstream = await client.send(
            client.build_request(request.method, target, headers=headers, content=body),
            stream=True,
        )
        out_headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        content_type = upstream.headers.get("content-type", "")
        active = self._active(path)
        if "text/event-stream" in content_type:
            ex = Exchange(
                request.method, path, upstream.status_code, out_headers, b"", body, dict(headers)
            )
            self.exchanges.append(ex)
            replaced = _first_response(active, ex)
            if replaced is not None:
                await upstream.aclose()
                await client.aclose()
                return replaced
            return StreamingResponse(
                self._relay_sse(upstream, client, ex, active),
                status_code=upstream.status_code,
                headers=out_headers,
            )
        raw = await upstream.aread()
        await upstream.aclose()
        await client.aclose()
        ex = Exchange(
            request.method, path, upstream.status_code, out_headers, raw, body, dict(headers)
        )
        self.exchanges.append(ex)
        if "json" in content_type:
            for m in active:
                if m.json is not None:
                    ex.body = json.dumps(m.json(ex, ex.json())).encode()
        replaced = _first_response(active, ex)
        if replaced is not None:
            return replaced
        return Response(ex.body, status_code=ex.status, headers=ex.headers)

    async def _relay_sse(
        self, upstream: httpx.Response, client: httpx.AsyncClient, ex: Exchange, active: list[Mode]
    ) -> AsyncIterator[bytes]:
        hooks = [m.sse for m in active if m.sse is not None]
        try:
            async for line in upstream.aiter_lines():
                if line.startswith("data:") and hooks:
                    data = line[5:].strip()
                    for hook in hooks:
                        data = hook(ex, data)
                    line = f"data: {data}"
                yield (line + "\n").encode()
        except (httpx.HTTPError, asyncio.CancelledError):
            pass
        finally:
            ex.done_at = time.monotonic()
            await upstream.aclose()
            await client.aclose()

    def app(self) -> Any:
        """The proxy's ASGI app. It also serves as an HTTP proxy (``HTTP_PROXY``): a request for
        ``http://any.name/path`` is handled as ``/path``, so a client can reach it under a name
        that is not loopback (its ``Host`` goes on to the backend, so the links it writes keep
        that name)."""
        methods = ["GET", "POST", "PUT", "DELETE", "HEAD"]
        inner = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])

        async def app(scope: Any, receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if scope.get("type") == "http" and "://" in path[:10]:
                raw = scope.get("raw_path") or path.encode()
                scope = {
                    **scope,
                    "path": "/" + path.split("://", 1)[1].partition("/")[2],
                    "raw_path": b"/" + raw.split(b"://", 1)[1].partition(b"/")[2],
                }
            await inner(scope, receive, send)

        return app

    def __enter__(self) -> str:
        self._stack = ExitStack()
        self.url = self._stack.enter_context(serve(self.app()))
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def _first_response(active: list[Mode], ex: Exchange) -> Response | None:
    for m in active:
        if m.respond is not None:
            replaced = m.respond(ex)
            if replaced is not None:
                return replaced
    return None


@contextmanager
def hostile(upstream: str, *modes: str | Mode) -> Iterator[HostileProxy]:
    """A running :class:`HostileProxy`; its ``url`` is what the client should use."""
    proxy = HostileProxy(upstream, *modes)
    with proxy:
        yield proxy


__all__ = [
    "COMPACT_TRACK_NAMES",
    "CONTROL_CHARS",
    "DEEP",
    "DRIP_EVERY",
    "ESCAPES",
    "HTML_ERROR_PAGE",
    "HTML_PAGE",
    "HUGE",
    "MODES",
    "Exchange",
    "HostileProxy",
    "Mode",
    "cut_after",
    "deep",
    "drip",
    "endless",
    "hostile",
    "map_numbers",
    "map_strings",
    "mode",
    "raw_controls",
    "refuse_client_id_once",
    "unframed_server",
]
