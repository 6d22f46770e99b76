"""The token stays secret: private files, and never in reprs, errors, URLs or log output."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import Seen, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import ApiError
from artgen_tui.api.logsafe import RedactingFilter
from artgen_tui.core.credentials import CredentialStore

SECRET = "nmv_usr_TOPSECRETvalue123456"
SID = "5529798706024415232"


class EchoServer:
    """Issues SECRET as the token and, on request, echoes it back inside error messages."""

    def __init__(self) -> None:
        self.seen = Seen()

    async def handle(self, request: Request) -> Response:
        hit = await self.seen.record(request)
        path = request.url.path
        auth = hit.headers.get("authorization", "")
        if path == "/api/auth/anonymous-token":
            return JSONResponse({"code": 0, "data": {"token": SECRET, "user_id": "anon_s"}})
        if path == "/api/credits/balance/simple":
            return JSONResponse({"code": 0, "data": {"available": 1, "frozen": 0, "total": 1}})
        if path.startswith("/api/tasks/"):
            return JSONResponse({"code": 0, "data": {"session_id": SID, "task_id": "t"}})
        if path == "/run_sse":
            frames = [b'data: {"type":"text","content":"hi"}\n\n']
            return StreamingResponse(iter(frames), media_type="text/event-stream")
        if path.startswith("/api/state/"):
            return JSONResponse({"code": 1002, "message": f"session not found for {auth}"})
        return JSONResponse({"detail": f"unknown token {auth.split()[-1]}"}, status_code=400)


@pytest.fixture
def echo() -> Iterator[tuple[EchoServer, str]]:
    server = EchoServer()
    app = Starlette(routes=[Route("/{p:path}", server.handle, methods=["GET", "POST"])])
    with serve(app) as url:
        yield server, url


def make_client(url: str) -> NemoClient:
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url))


async def test_token_file_and_directories_are_private(
    echo: tuple[EchoServer, str], isolated_home: Path
) -> None:
    _, url = echo
    async with make_client(url) as client:
        await client.credits()
    store = CredentialStore.default(url)
    assert store.token_file.exists()
    assert json.loads(store.token_file.read_text())["token"] == SECRET
    assert stat.S_IMODE(store.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.token_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.client_id_file.stat().st_mode) == 0o600


async def test_token_not_in_reprs(echo: tuple[EchoServer, str]) -> None:
    _, url = echo
    async with make_client(url) as client:
        token = await client.ensure_token()
        assert token.token == SECRET
        assert SECRET not in repr(client)
        assert SECRET not in str(client)
        assert SECRET not in repr(token)
    static = NemoClient(
        ClientOptions(api_url=url), CredentialStore.default(url), static_token=SECRET
    )
    assert SECRET not in repr(static)
    await static.aclose()


async def test_token_not_in_urls_and_only_in_the_auth_header(
    echo: tuple[EchoServer, str],
) -> None:
    server, url = echo
    async with make_client(url) as client:
        await client.credits()
        await client.create_session()
        _ = [e async for e in client.stream_chat(SID, "hi")]
    for hit in server.seen.hits:
        assert "TOPSECRET" not in hit.path
        assert "TOPSECRET" not in hit.body.decode()
        for name, value in hit.headers.items():
            if "TOPSECRET" in value:
                assert name == "authorization"


async def test_token_echoed_by_the_server_is_masked_in_errors(
    echo: tuple[EchoServer, str],
) -> None:
    _, url = echo
    async with make_client(url) as client:
        with pytest.raises(ApiError) as session_error:
            await client.state(SID)
        with pytest.raises(ApiError) as other_error:
            await client.poll_render("render_x")
    for info in (session_error, other_error):
        err = info.value
        for text in (str(err), repr(err), err.user_text(), err.message, str(err.args)):
            assert "TOPSECRET" not in text
    assert "nmv_usr_" in str(other_error.value)  # masked, not dropped


async def test_debug_logs_never_show_the_token(
    echo: tuple[EchoServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = echo
    caplog.set_level(logging.DEBUG)
    async with make_client(url) as client:
        await client.credits()
        session = await client.create_session()
        _ = [e async for e in client.stream_chat(session.session_id, "hi")]
        with pytest.raises(ApiError):
            await client.state(SID)
        logging.getLogger("artgen_tui.api").debug("header was %s", f"Bearer {SECRET}")
        logging.getLogger("httpx").info("token=%s", SECRET)
    text = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "HTTP Request" in text  # httpx logged the requests
    assert "/api/credits/balance/simple" in text
    assert "TOPSECRET" not in text


def test_filter_masks_formatted_records() -> None:
    record = logging.LogRecord("httpx", logging.DEBUG, __file__, 1, "auth %s", (SECRET,), None)
    assert RedactingFilter().filter(record)
    assert "TOPSECRET" not in record.getMessage()


async def test_the_log_file_masks_tokens_from_every_logger(
    echo: tuple[EchoServer, str], tmp_path: Path
) -> None:
    """The file handler carries the filter: a core or third-party record is masked too."""
    from artgen_tui.api.logsafe import log_to_file, stop_logging

    _, url = echo
    log = tmp_path / "artgen.log"
    handler = log_to_file(log, "debug")
    try:
        async with make_client(url) as client:
            await client.credits()  # fetches SECRET; debug records of httpx and the client
        logging.getLogger("artgen_tui.core.example").info("swallowed: bad token %s", SECRET)
        logging.getLogger("somewhere.else").warning("Authorization: Bearer %s", SECRET)
    finally:
        stop_logging(handler)
    text = log.read_text("utf-8")
    assert "swallowed: bad token nmv_usr_…" in text
    assert "Authorization: Bearer …" in text
    assert " DEBUG " in text  # the level setting reaches the file
    assert "TOPSECRET" not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
