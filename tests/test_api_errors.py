"""Envelopes, business errors and the recovery policy, against hand-written answers on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from loopback import Seen, ServiceSlot, free_port
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import (
    ApiError,
    BadRequest,
    ExportBlocked,
    InsufficientCredits,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    SessionNotFound,
    TokenExpired,
    TransportError,
    error_from_response,
)
from artgen_tui.core.credentials import CredentialStore

Handler = Callable[[Request], Any]
TOKEN_PATH = "/api/auth/anonymous-token"
SID = "5529798706024415232"


class Api:
    """A scripted service: each path answers from a queue of responses, then from a default."""

    def __init__(self) -> None:
        self.seen = Seen()
        self.queues: dict[str, list[Response]] = {}
        self.tokens_issued = 0

    def queue(self, path: str, *responses: Response) -> None:
        self.queues.setdefault(path, []).extend(responses)

    async def handle(self, request: Request) -> Response:
        await self.seen.record(request)
        path = request.url.path
        queue = self.queues.get(path)
        if queue:
            return queue.pop(0)
        if path == TOKEN_PATH:
            self.tokens_issued += 1
            return JSONResponse(
                {
                    "code": 0,
                    "data": {
                        "token": f"nmv_usr_tok{self.tokens_issued}secretvalue",
                        "user_id": "anon_abc123",
                        "credits": 100,
                    },
                }
            )
        if path.startswith("/api/tasks/me/with-session/"):
            return JSONResponse(
                {"code": 0, "data": {"task_id": "task_1", "session_id": SID, "user_id": "anon_x"}}
            )
        if path == "/api/credits/balance/simple":
            return JSONResponse({"code": 0, "data": {"available": 90, "frozen": 10, "total": 100}})
        if path.startswith("/api/render/proxy/lambda/"):
            rid = path.rsplit("/", 1)[-1]
            return JSONResponse(
                {"success": True, "data": {"id": rid, "status": "processing", "progress": 40}}
            )
        if path == "/api/render/proxy/lambda":
            body = await request.json()
            return JSONResponse(
                {"success": True, "data": {"id": body["id"], "status": "pending", "progress": 5}}
            )
        return JSONResponse({"detail": "Not Found"}, status_code=404)


SLOT = ServiceSlot({"/{path:path}": "handle"})


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with SLOT.serve() as url:
        yield url


@pytest.fixture
def api(server_url: str) -> tuple[Api, str]:
    """A fresh scripted service per test on one shared loopback server."""
    return SLOT.install(Api()), server_url


def make_client(url: str, **kw: Any) -> NemoClient:
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url), **kw)


def env(code: int, message: str = "", **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if data:
        body["data"] = data
    return body


async def test_headers_and_anonymous_token_with_persisted_client_id(api: tuple[Api, str]) -> None:
    scripted, url = api
    async with make_client(url) as client:
        await client.credits()
        await client.create_session()
    token_hits = scripted.seen.to(TOKEN_PATH)
    assert len(token_hits) == 1
    client_id = CredentialStore.default(url).client_id()
    assert token_hits[0].headers["x-client-id"] == client_id
    assert "authorization" not in token_hits[0].headers
    for hit in scripted.seen.hits:
        assert hit.headers["x-skill-source"] == "art-generator"
        assert hit.headers["x-skill-version"]
        assert hit.headers["x-skill-platform"] == "unknown"
    for hit in scripted.seen.hits[1:]:
        assert hit.headers["authorization"] == "Bearer nmv_usr_tok1secretvalue"
    session_hit = scripted.seen.hits[-1]
    assert session_hit.path == "/api/tasks/me/with-session/nemo_agent"
    assert b'"task_name":"project"' in session_hit.body.replace(b" ", b"")


async def test_saved_token_is_reused_by_the_next_client(api: tuple[Api, str]) -> None:
    scripted, url = api
    async with make_client(url) as client:
        await client.credits()
    async with make_client(url) as client:
        await client.credits()
    assert scripted.tokens_issued == 1


async def test_static_token_is_used_and_never_replaced(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue("/api/credits/balance/simple", JSONResponse(env(1001, "token expired")))
    async with make_client(url, static_token="nmv_usr_fromenvironment") as client:
        with pytest.raises(TokenExpired) as info:
            await client.credits()
    assert "NEMO_TOKEN" in info.value.user_text()
    assert scripted.tokens_issued == 0
    assert scripted.seen.hits[0].headers["authorization"] == "Bearer nmv_usr_fromenvironment"


@pytest.mark.parametrize(
    "expired",
    [
        JSONResponse(env(1001, "token expired")),
        JSONResponse(env(1001, "token expired"), status_code=401),
        JSONResponse({"detail": "Unauthorized"}, status_code=401),
    ],
)
async def test_expired_token_gets_a_new_one_with_the_same_client_id(
    api: tuple[Api, str], expired: Response
) -> None:
    scripted, url = api
    notices: list[str] = []
    async with make_client(url, on_notice=notices.append) as client:
        await client.credits()
        scripted.queue("/api/credits/balance/simple", expired)
        credits = await client.credits()
    assert credits.available == 90
    token_hits = scripted.seen.to(TOKEN_PATH)
    assert len(token_hits) == 2
    assert token_hits[0].headers["x-client-id"] == token_hits[1].headers["x-client-id"]
    last = scripted.seen.to("/api/credits/balance/simple")[-1]
    assert last.headers["authorization"] == "Bearer nmv_usr_tok2secretvalue"
    assert CredentialStore.default(url).load_token().token == "nmv_usr_tok2secretvalue"  # type: ignore[union-attr]
    assert any("token" in n.lower() for n in notices)


async def test_token_refused_twice_is_raised(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        "/api/credits/balance/simple",
        JSONResponse(env(1001, "bad token")),
        JSONResponse(env(1001, "bad token")),
    )
    async with make_client(url) as client:
        with pytest.raises(TokenExpired):
            await client.credits()
    assert scripted.tokens_issued == 2


async def test_rate_limit_waits_retry_after_then_retries_once(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        "/api/credits/balance/simple",
        JSONResponse({"detail": "slow down"}, status_code=429, headers={"Retry-After": "0"}),
    )
    notices: list[str] = []
    async with make_client(url, on_notice=notices.append, rate_limit_wait=99) as client:
        credits = await client.credits()
    assert credits.total == 100
    assert notices == ["Rate limited; retrying in 0 s"]
    assert len(scripted.seen.to("/api/credits/balance/simple")) == 2


async def test_rate_limit_default_wait_is_injectable_and_second_429_raises(
    api: tuple[Api, str],
) -> None:
    scripted, url = api
    limited = [JSONResponse(env(429, "too many"), status_code=429) for _ in range(2)]
    scripted.queue("/api/credits/balance/simple", *limited)
    notices: list[str] = []
    async with make_client(url, on_notice=notices.append, rate_limit_wait=0.01) as client:
        with pytest.raises(RateLimited) as info:
            await client.credits()
    assert info.value.transient
    assert notices == ["Rate limited; retrying in 1 s"]
    assert len(scripted.seen.to("/api/credits/balance/simple")) == 2


async def test_rate_limited_anonymous_token(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        TOKEN_PATH,
        JSONResponse({"code": 429}, status_code=429, headers={"Retry-After": "0"}),
    )
    async with make_client(url) as client:
        await client.credits()
    assert len(scripted.seen.to(TOKEN_PATH)) == 2


@pytest.mark.parametrize(
    "response",
    [
        JSONResponse(env(1002, "session not found")),
        JSONResponse(env(1002, "session not found"), status_code=404),
        JSONResponse({"detail": f"Session not found: {SID}"}, status_code=404),
    ],
)
async def test_session_not_found_in_every_shape(api: tuple[Api, str], response: Response) -> None:
    scripted, url = api
    scripted.queue(f"/api/state/nemo_agent/me/{SID}/latest", response)
    async with make_client(url) as client:
        with pytest.raises(SessionNotFound):
            await client.state(SID)


async def test_insufficient_credits_carries_the_user_id(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue("/api/credits/balance/simple", JSONResponse(env(2001, "no credits")))
    scripted.queue(
        "/api/credits/balance/simple",
        JSONResponse(env(2001, "no credits", user_id="anon_frombody"), status_code=403),
    )
    async with make_client(url) as client:
        with pytest.raises(InsufficientCredits) as first:
            await client.credits()
        with pytest.raises(InsufficientCredits) as second:
            await client.credits()
    assert first.value.user_id == "anon_abc123"  # from the token
    assert first.value.register_url.endswith("bind=anon_abc123")
    assert second.value.user_id == "anon_frombody"


async def test_export_blocked_is_not_retried(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        "/api/render/proxy/lambda", JSONResponse({"detail": "Payment required"}, status_code=402)
    )
    async with make_client(url) as client:
        with pytest.raises(ExportBlocked) as info:
            await client.submit_render(SID, {"t": []})
    assert "paid plan" in info.value.user_text()
    assert len(scripted.seen.to("/api/render/proxy/lambda")) == 1


async def test_failed_submit_is_retried_once_with_the_same_id(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        "/api/render/proxy/lambda",
        JSONResponse({"success": False, "error": "duplicate id"}),
    )
    async with make_client(url) as client:
        job = await client.submit_render(SID, {"t": [{"tt": 0, "sg": [{}]}]})
    hits = scripted.seen.to("/api/render/proxy/lambda")
    assert len(hits) == 2
    import json

    first, second = (json.loads(h.body) for h in hits)
    assert first["id"] == second["id"]  # never a second render for one export
    assert re.fullmatch(r"render_\d{13}_[0-9a-f]+", second["id"])
    assert second["sessionId"] == SID
    assert second["output"] == {"format": "mp4", "quality": "high"}
    assert job.id == second["id"]
    assert job.status == "pending"


async def test_submit_failing_twice_raises(api: tuple[Api, str]) -> None:
    scripted, url = api
    fail = [JSONResponse({"detail": "boom"}, status_code=500) for _ in range(2)]
    scripted.queue("/api/render/proxy/lambda", *fail)
    gone = JSONResponse({"detail": "Not Found"}, status_code=404)
    scripted.queue("/api/render/proxy/lambda/render_t1", gone)
    async with make_client(url) as client:
        with pytest.raises(ServerError):
            await client.submit_render(SID, {"t": []}, render_id="render_t1")
    assert len(scripted.seen.to("/api/render/proxy/lambda")) == 2
    assert len(scripted.seen.to("/api/render/proxy/lambda/render_t1")) == 1


async def test_render_poll_shapes_a_and_b(api: tuple[Api, str]) -> None:
    scripted, url = api
    shape_a = {
        "success": True,
        "data": {
            "id": "render_a",
            "status": "completed",
            "progress": 100,
            "outputUrl": "https://static.example/render_a.mp4",
            "createdAt": 1773423613616,
        },
    }
    shape_b = {
        "taskId": "render_b",
        "status": "completed",
        "progress": 100,
        "output": {"url": "https://cdn.example/b.mp4", "duration": 30.5},
    }
    failed = {"success": True, "data": {"status": "failed", "error": "encoder crashed"}}
    scripted.queue("/api/render/proxy/lambda/render_a", JSONResponse(shape_a))
    scripted.queue("/api/render/proxy/lambda/render_b", JSONResponse(shape_b))
    scripted.queue("/api/render/proxy/lambda/render_c", JSONResponse(failed))
    async with make_client(url) as client:
        a = await client.poll_render("render_a")
        b = await client.poll_render("render_b")
        c = await client.poll_render("render_c")
        d = await client.poll_render("render_d")
    assert (a.id, a.status, a.output_url) == ("render_a", "completed", shape_a["data"]["outputUrl"])  # type: ignore[index]
    assert (b.id, b.status, b.output_url) == ("render_b", "completed", "https://cdn.example/b.mp4")
    assert (c.id, c.status, c.error) == ("render_c", "failed", "encoder crashed")
    assert (d.status, d.progress, d.finished) == ("processing", 40, False)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (PlainTextResponse("<html>oops</html>"), MalformedResponse),
        (Response(b'{"code":0,"data":', media_type="application/json"), MalformedResponse),
        (JSONResponse([1, 2, 3]), MalformedResponse),
        (JSONResponse({"code": 0, "data": [1]}), MalformedResponse),
        (JSONResponse({"code": 0, "data": {"available": "lots"}}), MalformedResponse),
        (JSONResponse({"code": 0}), MalformedResponse),
        (PlainTextResponse("Bad Gateway", status_code=502), ServerError),
        (JSONResponse({"detail": [{"loc": ["body"], "msg": "bad"}]}, status_code=422), BadRequest),
        (JSONResponse({"code": 7777, "message": "strange"}), ApiError),
    ],
)
async def test_odd_answers_become_api_errors(
    api: tuple[Api, str], response: Response, error: type[ApiError]
) -> None:
    scripted, url = api
    scripted.queue("/api/credits/balance/simple", response)
    async with make_client(url) as client:
        with pytest.raises(error) as info:
            await client.credits()
    assert "pydantic" not in str(info.value).lower()
    assert "validation error" not in str(info.value).lower()


async def test_malformed_session_and_token_answers(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(TOKEN_PATH, JSONResponse({"code": 0, "data": {"user_id": "anon_x"}}))
    async with make_client(url) as client:
        with pytest.raises(MalformedResponse, match="token"):
            await client.credits()
    scripted.queue(
        "/api/tasks/me/with-session/nemo_agent", JSONResponse({"code": 0, "data": {"task_id": 1}})
    )
    async with make_client(url) as client:
        with pytest.raises(MalformedResponse, match="session_id"):
            await client.create_session()


async def test_unknown_render_is_not_found(api: tuple[Api, str]) -> None:
    scripted, url = api
    scripted.queue(
        "/api/render/proxy/lambda/render_zz",
        JSONResponse({"detail": "no such render"}, status_code=404),
    )
    async with make_client(url) as client:
        with pytest.raises(NotFound):
            await client.poll_render("render_zz")


async def test_unreachable_server_is_a_transport_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with make_client(url) as client:
        with pytest.raises(TransportError) as info:
            await client.credits()
    assert info.value.transient
    assert "127.0.0.1" in str(info.value)


@pytest.mark.parametrize("bad", ["mega-api-prod.nemovideo.ai", "ftp://example.com", "http://"])
def test_bad_api_url_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ApiError, match="not an http"):
        make_client(bad)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (error_from_response(429, {"detail": "Too many requests"}), "Too many requests; wait a"),
        (
            error_from_response(
                200, {"code": 2001, "message": "Not enough credits. Register to get more credits."}
            ),
            "Not enough credits. Register to get more credits: https://",
        ),
        (TransportError("Check your connection and try again."), "Check your connection and"),
        (ApiError("Disk full.", hint="Disk full."), "Disk full."),
        (ApiError("The upload failed: disk full.", hint="DISK FULL"), "The upload failed: disk"),
    ],
)
def test_an_error_says_each_thing_once(error: ApiError | None, said: str) -> None:
    assert error is not None
    text = error.user_text()
    assert text.startswith(said), text
    whole = re.sub(r"\W+", " ", text.lower())
    for sentence in re.split(r"(?<=[.;:!?])\s+", text):
        words = re.sub(r"\W+", " ", sentence.lower()).strip()
        assert whole.count(words) == 1, text


def test_different_message_and_hint_are_both_kept() -> None:
    err = ApiError("The render failed at 40 %.", hint="Press r to retry or try again later.")
    assert err.user_text() == "The render failed at 40 %. Press r to retry or try again later."
    assert RateLimited("Slow down.").user_text() == (
        "Slow down. Too many requests; wait a little and try again."
    )
