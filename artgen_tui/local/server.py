"""The local backend's HTTP app: the cloud's routes on loopback (``docs/protocol.md`` §3).

Wire choices where the cloud's documentation leaves things open (``docs/protocol.md`` §2–§5):

- Business endpoints answer ``{"code": 0, "message": "ok", "data": {...}}``. Business errors are
  **HTTP 200** with ``{"code": N, "message": "…"}``: 1001 bad/expired token, 1002 unknown session,
  2001 not enough credits (``data.user_id`` for the register link), 4001 file type refused,
  4002 file over 200 MB. Real HTTP statuses: 400 for a missing ``X-Client-Id`` (and bad bodies),
  403 for a path user that is not the token's, 429 with ``Retry-After`` (seconds) when rate
  limited, 402 on render submit when the ``X-Skill-Source``/``X-Skill-Version``/``X-Skill-Platform``
  headers are not all present and the (anonymous) user has no credits left.
- Auth is ``Authorization: Bearer nmv_usr_…``. The path segment ``me`` is the token's user.
- ``anonymous-token`` returns the same token while it is valid for the same ``X-Client-Id``
  (idempotent, so restarts never burn the per-IP quota); after expiry the same client gets a new
  token for the same user (credits and sessions kept). More than ``token_ip_limit`` new tokens per
  IP in 7 days answers 429.
- ``/run_sse`` streams ADK events with camelCase keys, one ``data: <json>\\n\\n`` frame each, with
  ``data: {"type":"heartbeat"}`` keep-alives while a stage works, and no done sentinel: the stream
  ends when the connection closes. Text comes as ``partial`` chunks then the aggregated event.
  When a turn cannot start (1001, 1002, 2001) the answer is a JSON 200 body instead of a stream;
  2001 carries ``data.user_id``. A body without ``session_id`` or message text gets ADK's 422
  ``{"detail": "…"}``; ``newMessage``/``sessionId`` (camelCase) are accepted too. The agent runs server-side to completion even if the client goes
  away, as in the cloud: poll state to recover.
- Uploads: multipart fields ``files`` (repeatable) and ``file``, streamed to disk with size counting
  and SHA-256; or JSON ``{"urls": [...]}``. URL uploads are recorded (``file_type`` from the
  extension) but never fetched, since the backend works offline; they are not added to the
  timeline. Uploaded images and videos are probed and appended to the video track; audio files are
  only listed in ``video_infos``. ``cdn_url`` is ``{base}/files/{sid}/{name}``, served publicly.
- Renders use the ``{"success": true, "data": {id, status, progress, outputUrl, createdAt,
  completedAt, error?}}`` envelope (shape A); failures are ``{"success": false, "error": "…"}``
  with 400 (bad request or draft), 404 (unknown id) or 409 (id already used). ``outputUrl`` is
  ``{base}/renders/{id}.mp4`` (public); ``/api/render/proxy/{id}/download`` needs the token; both
  honour ``Range``. Submitting without a ``draft`` renders the session's current draft.
- ``POST /_faults`` (body: a fault spec) and ``GET /_faults`` drive :mod:`.faults` at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from artgen_tui.local import drafts
from artgen_tui.local.agent import (
    APP_NAME,
    GENERATION_COST,
    HEARTBEAT,
    RawFrames,
    ScriptedAgent,
    Turn,
)
from artgen_tui.local.faults import Faults, FaultSpecError
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.probe import ProbeError, probe
from artgen_tui.local.renders import SUBMIT_PROGRESS, RenderManager, now_ms
from artgen_tui.local.store import Store, TooManyTokens, valid_render_id, valid_session_id
from artgen_tui.local.transfer import TransferRejected, file_response, receive_multipart
from artgen_tui.local.upload_rules import file_kind, refusal

log = logging.getLogger("artgen.local")

HEARTBEAT_FRAME = b'data: {"type":"heartbeat"}\n\n'
DROP_AFTER_FRAMES = 3
_LOOPBACK_FILES = re.compile(r"http://(?:127\.0\.0\.1|localhost|\[::1\]):\d+/files/")
SKILL_HEADERS = ("x-skill-source", "x-skill-version", "x-skill-platform")


class Problem(Exception):
    """Stop handling the request and answer with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class StreamDropped(Exception):
    """Raised inside an SSE body to cut the connection (the ``drop_stream`` fault)."""


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "ok", "data": data})


def business(code: int, message: str, data: Any = None, status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=status)


def render_error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


def frame(event: dict[str, Any]) -> bytes:
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return b"data: " + text.encode("utf-8") + b"\n\n"


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class _Channel:
    """Frames from a running turn to its SSE response; the turn never waits on a gone client."""

    def __init__(self, high_water: int = 8192) -> None:
        self._buf: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._high = high_water
        self.closed = False
        self.detached = False

    async def send(self, data: bytes) -> None:
        if self.detached:
            return
        self._buf.append(data)
        self._ready.set()
        if len(self._buf) >= self._high:
            self._room.clear()
            await self._room.wait()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    def detach(self) -> None:
        self.detached = True
        self._buf.clear()
        self._room.set()

    async def body(self, drop_after: int | None) -> AsyncIterator[bytes]:
        sent = 0
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self._buf:
                    items = list(self._buf)
                    self._buf.clear()
                    self._room.set()
                    if drop_after is not None and sent + len(items) >= drop_after:
                        yield b"".join(items[: max(0, drop_after - sent)])
                        raise StreamDropped("connection dropped (fault: drop_stream)")
                    sent += len(items)
                    yield b"".join(items)
                if self.closed and not self._buf:
                    return
        finally:
            self.detach()


class _DropFilter(logging.Filter):
    """Keeps the deliberate ``drop_stream`` disconnects out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, StreamDropped):
                return False
            if isinstance(exc, BaseExceptionGroup):
                return exc.subgroup(StreamDropped) is None
            exc = exc.__cause__ or exc.__context__
        return True


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


class _RateLimitFault:
    """ASGI middleware for the ``rate_limit`` fault: answers API requests with 429."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (path.startswith("/api/") or path == "/run_sse") and self.faults.take("rate_limit"):
            response = business(
                429,
                "Too many requests; retry after 1 second.",
                status=429,
            )
            response.headers["Retry-After"] = "1"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class LocalApi:
    """Route handlers and the shared pieces (store, agent, faults, renders) behind them."""

    def __init__(self, data_dir: Path, options: LocalOptions) -> None:
        self.options = options
        self.store = Store(
            data_dir, starting_credits=options.credits, token_ip_limit=options.token_ip_limit
        )
        self.faults = Faults(options.faults)
        self.agent = ScriptedAgent(options)
        self.renders = RenderManager(self.store, workers=options.render_workers, faults=self.faults)
        self._turns: set[asyncio.Task[None]] = set()
        self._channels: set[_Channel] = set()

    def close_streams(self) -> None:
        """End every open SSE response cleanly (call on the server's loop before shutting down)."""
        for channel in list(self._channels):
            channel.close()

    # -- lifecycle ---------------------------------------------------------------------------
    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.renders.start()
        try:
            yield
        finally:
            await self.renders.stop()
            for task in list(self._turns):
                task.cancel()
            for task in list(self._turns):
                with contextlib.suppress(BaseException):
                    await task

    # -- request helpers ---------------------------------------------------------------------
    @staticmethod
    async def _json(request: Request, *, required: bool = True) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip() and not required:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Problem(business(400, "The request body must be a JSON object.", status=400))
        return body

    async def _user(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Problem(
                business(
                    1001,
                    "Missing token: send 'Authorization: Bearer <token>' "
                    "(get one from /api/auth/anonymous-token).",
                )
            )
        user_id = await self.store.user_for_token(token)
        if user_id is None:
            raise Problem(
                business(1001, "Token invalid or expired; request a new anonymous token.")
            )
        if self.faults.take("expire_token"):
            await self.store.expire_token(token)
            raise Problem(
                business(
                    1001, "Token expired; request a new anonymous token with the same client id."
                )
            )
        path_user = request.path_params.get("user")
        if path_user is not None and path_user not in ("me", user_id):
            raise Problem(
                business(
                    403, f"This token does not belong to user {path_user}; use 'me'.", status=403
                )
            )
        return user_id

    async def _session(self, sid: str, user_id: str) -> dict[str, Any]:
        if self.faults.take("lose_session"):
            raise Problem(business(1002, f"Session {sid} not found; create a new session."))
        session = await self.store.session(sid) if valid_session_id(sid) else None
        if session is None or session.get("user_id") != user_id:
            raise Problem(business(1002, f"Session {sid} not found; create a new session."))
        return session

    # -- auth --------------------------------------------------------------------------------
    async def anonymous_token(self, request: Request) -> Response:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id or len(client_id) > 64:
            return business(
                400,
                "X-Client-Id header is required (a stable id of up to 64 characters, e.g. a UUID).",
                status=400,
            )
        ip = request.client.host if request.client else "unknown"
        try:
            data = await self.store.anonymous_token(client_id, ip)
        except TooManyTokens as exc:
            response = business(
                429,
                f"Too many new anonymous tokens from this address; retry in {exc.retry_after} s.",
                status=429,
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return ok(data)

    async def claim_token(self, request: Request) -> Response:
        user_id = await self._user(request)
        body = await self._json(request)
        sid = str(body.get("session_id") or "")
        session = await self._session(sid, user_id)
        task_id = body.get("task_id")
        if task_id and task_id != session.get("task_id"):
            return business(1002, f"Task {task_id} does not belong to session {sid}.")
        return ok(await self.store.new_claim(user_id, str(session["task_id"]), sid))

    # -- sessions ----------------------------------------------------------------------------
    async def create_session(self, request: Request) -> Response:
        user_id = await self._user(request)
        body = await self._json(request, required=False)
        task_name = str(body.get("task_name") or "project")[:200]
        language = str(body.get("language") or "en")[:20]
        session = await self.store.create_session(user_id, task_name, language)
        return ok(
            {"task_id": session["task_id"], "session_id": session["session_id"], "user_id": user_id}
        )

    async def state(self, request: Request) -> Response:
        user_id = await self._user(request)
        session = await self._session(request.path_params["sid"], user_id)
        return ok(
            {
                "session_id": session["session_id"],
                "task_id": session["task_id"],
                "task_name": session.get("task_name"),
                "user_id": user_id,
                "state": rebase_urls(session["state"], base_url(request)),
            }
        )

    async def credits(self, request: Request) -> Response:
        user_id = await self._user(request)
        return ok(await self.store.credits(user_id))

    # -- chat --------------------------------------------------------------------------------
    async def run_sse(self, request: Request) -> Response:
        body = await self._json(request)
        sid = body.get("session_id", body.get("sessionId"))
        message = body.get("new_message", body.get("newMessage"))
        text = ""
        if isinstance(message, dict) and isinstance(message.get("parts"), list):
            text = "".join(
                p["text"]
                for p in message["parts"]
                if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
        if not isinstance(sid, str | int) or not text.strip():
            return JSONResponse(
                {"detail": "Body needs session_id and new_message.parts[].text (snake_case)."},
                status_code=422,
            )
        user_id = await self._user(request)
        session = await self._session(str(sid), user_id)
        sid = session["session_id"]

        def next_turn(s: dict[str, Any]) -> int:
            s["turns"] = int(s.get("turns") or 0) + 1
            return int(s["turns"]) - 1

        turn_index = await self.store.update_session(sid, next_turn) or 0
        turn = self.agent.plan(session["state"], text, session_id=sid, turn_index=turn_index)
        if turn.cost and not await self.store.freeze(user_id, turn.cost):
            credits = await self.store.credits(user_id)
            what = "A generation" if turn.cost >= GENERATION_COST else "An edit"
            return business(
                2001,
                f"Insufficient credits: {what.lower()} needs {turn.cost}, "
                f"you have {credits['available']} available.",
                {
                    "user_id": user_id,
                    "required": turn.cost,
                    "available": credits["available"],
                    "register_url": f"https://nemovideo.com/register?bind={user_id}",
                },
            )
        channel = _Channel()
        self._channels.add(channel)
        task = asyncio.create_task(self._run_turn(turn, sid, user_id, channel))
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)
        drop = DROP_AFTER_FRAMES if self.faults.take("drop_stream") else None
        return StreamingResponse(
            channel.body(drop),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _run_turn(self, turn: Turn, sid: str, user_id: str, channel: _Channel) -> None:
        finished = False
        try:
            async for event in turn.events():
                if isinstance(event, RawFrames):
                    await channel.send(event.data)
                    continue
                if event is HEARTBEAT:
                    await channel.send(HEARTBEAT_FRAME)
                    continue
                delta = event.get("actions", {}).get("stateDelta")
                if delta:
                    await self.store.update_session(sid, _merger(delta))
                await channel.send(frame(event))
            finished = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("agent turn failed in session %s", sid)
            await channel.send(frame({"error": f"{type(exc).__name__}: {exc}"}))
        finally:
            if turn.cost:
                await self.store.release(user_id, turn.cost, refund=not finished)
            channel.close()
            self._channels.discard(channel)

    # -- uploads -----------------------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        user_id = await self._user(request)
        sid = request.path_params["sid"]
        await self._session(sid, user_id)
        ctype = request.headers.get("content-type", "").lower()
        if ctype.startswith("multipart/form-data"):
            return await self._upload_files(request, sid)
        if ctype.startswith("application/json"):
            return await self._upload_urls(request, sid)
        return business(
            400,
            "Send multipart/form-data with 'files' fields, or JSON {\"urls\": [...]}.",
            status=400,
        )

    async def _upload_files(self, request: Request, sid: str) -> Response:
        try:
            received = await receive_multipart(
                request,
                self.store.files_dir(sid),
                max_bytes=self.options.max_upload_bytes,
                accept=refusal,
            )
        except TransferRejected as exc:
            status = 400 if exc.code == 400 else 200
            return business(exc.code, exc.message, status=status)
        base = base_url(request)
        entries: list[dict[str, Any]] = []
        for rec in received:
            kind = file_kind(rec.filename) or "video"
            try:
                facts = await asyncio.to_thread(probe, rec.path, kind)
            except ProbeError as exc:
                for other in received:
                    other.path.unlink(missing_ok=True)
                return business(4001, f"{exc}. Upload a valid {kind} file.")
            entries.append(
                {
                    "filename": rec.path.name,
                    "file_type": kind,
                    "cdn_url": f"{base}/files/{sid}/{quote(rec.path.name)}",
                    **facts,
                    "hash": rec.sha256,
                    "size": rec.size,
                }
            )
        await self.store.update_session(sid, lambda s: _add_uploads(s, entries))
        return ok({"files": entries, "session_state_applied": True})

    async def _upload_urls(self, request: Request, sid: str) -> Response:
        body = await self._json(request)
        urls = body.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            return business(400, 'JSON uploads need {"urls": ["https://…", …]}.', status=400)
        entries = []
        for url in urls:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                return business(400, f"{url}: not an http(s) URL.", status=400)
            name = unquote(parsed.path.rsplit("/", 1)[-1]) or parsed.netloc
            refused = refusal(name)
            if refused:
                return business(4001, refused)
            entries.append(
                {
                    "filename": name,
                    "file_type": file_kind(name),
                    "cdn_url": url,
                    "duration": None,
                    "width": None,
                    "height": None,
                    "fps": None,
                    "hash": None,
                    "source": "url",
                }
            )

        def record(s: dict[str, Any]) -> None:
            s["state"].setdefault("video_infos", []).extend(entries)

        await self.store.update_session(sid, record)
        return ok({"files": entries, "session_state_applied": True})

    async def public_file(self, request: Request) -> Response:
        sid, name = request.path_params["sid"], request.path_params["name"]
        path = self.store.files_dir(sid) / name
        if not valid_session_id(sid) or name.startswith(".") or "/" in name or not path.is_file():
            return business(404, "No such file.", status=404)
        return file_response(path)

    # -- renders -----------------------------------------------------------------------------
    def _job_view(self, job: dict[str, Any], request: Request) -> JSONResponse:
        data: dict[str, Any] = {
            "id": job["id"],
            "status": job["status"],
            "progress": int(job.get("progress") or 0),
            "outputUrl": f"{base_url(request)}/renders/{job['id']}.mp4"
            if job["status"] == "completed"
            else None,
            "createdAt": job.get("created_at"),
            "completedAt": job.get("completed_at"),
        }
        if job.get("error"):
            data["error"] = job["error"]
        return JSONResponse({"success": True, "data": data})

    async def _job(self, request: Request, user_id: str) -> dict[str, Any]:
        render_id = request.path_params["rid"]
        job = await self.store.render(render_id)
        if job is None or job.get("user_id") != user_id:
            raise Problem(render_error(f"Render {render_id} not found.", 404))
        return job

    async def submit_render(self, request: Request) -> Response:
        user_id = await self._user(request)
        body = await self._json(request)
        if any(not request.headers.get(h) for h in SKILL_HEADERS):
            credits = await self.store.credits(user_id)
            if credits["available"] <= 0:
                return JSONResponse(
                    {
                        "success": False,
                        "code": 402,
                        "error": "Export blocked: this anonymous account has no credits left and "
                        "the request lacks the X-Skill-Source/X-Skill-Version/X-Skill-Platform "
                        "headers. Register to export.",
                    },
                    status_code=402,
                )
        render_id = body.get("id") or f"render_{now_ms()}"
        if not isinstance(render_id, str) or not valid_render_id(render_id):
            return render_error(
                "id must be 1-100 letters, digits, '_', '-' or '.', e.g. render_1773423613616.", 400
            )
        sid = body.get("sessionId", body.get("session_id"))
        if not isinstance(sid, str | int) or not str(sid):
            return render_error("sessionId is required (camelCase).", 400)
        session = await self._session(str(sid), user_id)
        draft = body.get("draft") if "draft" in body else session["state"].get("draft")
        problem = draft_problem(draft)
        if problem:
            return render_error(problem, 400)
        assert isinstance(draft, dict)
        output = body.get("output") if isinstance(body.get("output"), dict) else {}
        assert isinstance(output, dict)
        output = {"format": "mp4", "quality": "high", **output}
        if str(output.get("format")).lower() != "mp4":
            return render_error(
                f"output.format {output.get('format')!r} is not supported; use mp4.", 400
            )
        job = {
            "id": render_id,
            "session_id": session["session_id"],
            "user_id": user_id,
            "status": "pending",
            "progress": SUBMIT_PROGRESS,
            "created_at": now_ms(),
            "completed_at": None,
            "error": None,
            "draft": draft,
            "canvas": session["state"].get("canvas_config") or None,
            "output": output,
            "assets": self._assets(draft, session["session_id"]),
        }
        cost = self.options.export_cost
        if cost and not await self.store.freeze(user_id, cost):
            credits = await self.store.credits(user_id)
            return render_error(
                f"Insufficient credits: an export needs {cost}, "
                f"you have {credits['available']} available.",
                402,
            )
        if not await self.store.put_render(job):
            if cost:
                await self.store.release(user_id, cost, refund=True)
            # A repeated submit (the client could not tell whether the first got through):
            # the render exists and is not started twice. Someone else's id is just taken.
            existing = await self.store.render(render_id)
            if existing is not None and existing.get("user_id") == user_id:
                return render_error(
                    f"Render {render_id} already exists; poll it for its status.", 409
                )
            return render_error(
                f"Render id {render_id} is already used; submit with a new id.", 409
            )
        if cost:
            await self.store.release(user_id, cost, refund=False)  # charged on submission
        self.renders.schedule(render_id)
        return self._job_view(job, request)

    def _assets(self, draft: dict[str, Any], sid: str) -> dict[str, str]:
        """Map each segment ``src`` that points at an uploaded file to its local path."""
        assets: dict[str, str] = {}
        for trk in draft.get("t") or []:
            for seg in (trk.get("sg") or []) if isinstance(trk, dict) else []:
                src = seg.get("src") if isinstance(seg, dict) else None
                if not isinstance(src, str):
                    continue
                parts = urlparse(src).path.split("/")
                if len(parts) == 4 and parts[1] == "files" and valid_session_id(parts[2]):
                    path = self.store.files_dir(parts[2]) / unquote(parts[3])
                    if path.is_file() and not path.name.startswith("."):
                        assets[src] = str(path)
        return assets

    async def poll_render(self, request: Request) -> Response:
        user_id = await self._user(request)
        return self._job_view(await self._job(request, user_id), request)

    async def cancel_render(self, request: Request) -> Response:
        user_id = await self._user(request)
        job = await self._job(request, user_id)
        return self._job_view(await self.renders.cancel(job["id"]) or job, request)

    async def download_render(self, request: Request) -> Response:
        user_id = await self._user(request)
        job = await self._job(request, user_id)
        return self._serve_output(job)

    def _serve_output(self, job: dict[str, Any]) -> Response:
        path = self.store.render_output(job["id"])
        if job["status"] != "completed" or not path.is_file():
            return render_error(
                f"Render {job['id']} is {job['status']}; nothing to download yet.", 409
            )
        return file_response(path, media_type="video/mp4", filename=f"{job['id']}.mp4")

    async def public_render(self, request: Request) -> Response:
        name = request.path_params["name"]
        render_id = name[:-4] if name.endswith(".mp4") else ""
        job = await self.store.render(render_id) if render_id else None
        if job is None:
            return render_error("No such render.", 404)
        if self.faults.take("expire_download"):
            return render_error(
                "This download link has expired; use /api/render/proxy/<id>/download with your token.",
                410,
            )
        return self._serve_output(job)

    # -- misc --------------------------------------------------------------------------------
    async def faults_route(self, request: Request) -> Response:
        if request.method == "POST":
            raw = (await request.body()).decode("utf-8", "replace").strip()
            if raw.startswith("{"):
                with contextlib.suppress(ValueError):
                    raw = str(json.loads(raw).get("spec", ""))
            try:
                return ok(self.faults.add(raw))
            except FaultSpecError as exc:
                return business(400, str(exc), status=400)
        return ok(self.faults.remaining())

    async def index(self, request: Request) -> Response:
        return ok({"name": "artgen local backend", "app_name": APP_NAME, "time": time.time()})


def rebase_urls(state: dict[str, Any], base: str) -> dict[str, Any]:
    """Point upload URLs written by an earlier run on another loopback port at this one."""
    text = json.dumps(state, ensure_ascii=False)
    if "/files/" not in text:
        return state
    new = _LOOPBACK_FILES.sub(lambda _m: f"{base}/files/", text)
    return state if new == text else dict(json.loads(new))


def _merger(delta: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def merge(session: dict[str, Any]) -> None:
        session["state"].update(delta)

    return merge


def draft_problem(draft: Any) -> str | None:
    """Why ``draft`` cannot be rendered, or ``None`` when it can."""
    if not isinstance(draft, dict):
        return "draft must be an object with a 't' list of tracks."
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        return "draft.t must be a list of tracks."
    if not any(isinstance(t, dict) and isinstance(t.get("sg"), list) and t["sg"] for t in tracks):
        return (
            "The draft is empty: it needs at least one track with segments. "
            "Generate a clip or upload media first, then export."
        )
    return None


def _add_uploads(session: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    state = session["state"]
    state.setdefault("video_infos", []).extend(entries)
    draft = drafts.clone(state.get("draft"))
    canvas = state.get("canvas_config") or drafts.canvas_for("16:9")
    if not draft["m"].get("width"):
        drafts.apply_canvas(draft, canvas)
        draft["m"]["fps"] = canvas.get("fps", drafts.DEFAULT_FPS)
    video = drafts.track(draft, drafts.VIDEO, create=True)
    assert video is not None
    for entry in entries:
        kind = entry["file_type"]
        if kind == "image":
            duration_ms = drafts.IMAGE_MS
        elif kind == "video":
            duration_ms = int((entry.get("duration") or drafts.IMAGE_MS / 1000) * 1000)
        else:
            continue
        seg: dict[str, Any] = {
            "id": drafts.new_id(),
            "kind": kind,
            "start_ms": 0,
            "duration_ms": max(1, duration_ms),
            "label": entry["filename"],
            "src": entry["cdn_url"],
        }
        if kind == "video":
            seg["volume"] = 1.0
        video["sg"].append(seg)
    state["draft"] = drafts.relayout(draft)


Handler = Callable[[Request], Awaitable[Response]]


def create_app(data_dir: Path, options: LocalOptions) -> Starlette:
    """The ASGI app. Raises :class:`FaultSpecError` for a bad ``options.faults``."""
    api = LocalApi(data_dir, options)

    async def problem_handler(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response

    routes = [
        Route("/", api.index, methods=["GET"]),
        Route("/api/auth/anonymous-token", api.anonymous_token, methods=["POST"]),
        Route("/api/auth/claim-token", api.claim_token, methods=["POST"]),
        Route("/api/tasks/{user}/with-session/{app}", api.create_session, methods=["POST"]),
        Route("/run_sse", api.run_sse, methods=["POST"]),
        Route("/api/upload-video/{app}/{user}/{sid}", api.upload, methods=["POST"]),
        Route("/api/credits/balance/simple", api.credits, methods=["GET"]),
        Route("/api/state/{app}/{user}/{sid}/latest", api.state, methods=["GET"]),
        Route("/api/render/proxy/lambda", api.submit_render, methods=["POST"]),
        Route("/api/render/proxy/lambda/{rid}", api.poll_render, methods=["GET"]),
        Route("/api/render/proxy/lambda/{rid}/cancel", api.cancel_render, methods=["POST"]),
        Route("/api/render/proxy/{rid}/download", api.download_render, methods=["GET"]),
        Route("/files/{sid}/{name}", api.public_file, methods=["GET", "HEAD"]),
        Route("/renders/{name}", api.public_render, methods=["GET", "HEAD"]),
        Route("/_faults", api.faults_route, methods=["GET", "POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_RateLimitFault, faults=api.faults)],
        exception_handlers={Problem: problem_handler},
        lifespan=api.lifespan,
    )
    app.state.api = api
    return app
