"""``/run_sse`` over loopback: hand-written frames in every accepted variant, errors and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from loopback import Seen, ServiceSlot, token_response
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import SessionNotFound, StreamInterrupted, TokenExpired
from artgen_tui.api.events import (
    ChatEvent,
    Heartbeat,
    StateDelta,
    StreamError,
    TextDelta,
    ToolCall,
    ToolResult,
)
from artgen_tui.api.sse import SSEParser
from artgen_tui.core.credentials import CredentialStore

ACTIONS: dict[str, Any] = {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}}


def adk(parts: list[dict[str, Any]], role: str = "model", **extra: Any) -> str:
    event = {
        "content": {"parts": parts, "role": role},
        "invocationId": "e-123",
        "author": "nemo_agent",
        "actions": extra.pop("actions", ACTIONS),
        "id": "Xb3kP9qa",
        "timestamp": 1773423613.61,
        **extra,
    }
    return "data: " + json.dumps(event) + "\n\n"


FRAMES: dict[str, list[str]] = {
    "adk": [
        "data: "
        + json.dumps(
            {"content": {"parts": [{"text": "make art"}], "role": "user"}, "author": "user"}
        )
        + "\n\n",
        adk([{"text": "I'll generate your video now..."}]),
        adk(
            [{"functionCall": {"id": "adk-1", "args": {"prompt": "x"}, "name": "generate_video"}}],
            longRunningToolIds=["adk-1"],
        ),
        adk(
            [
                {
                    "functionResponse": {
                        "id": "adk-1",
                        "name": "generate_video",
                        "response": {"ok": 1},
                    }
                }
            ],
            role="user",
            actions={**ACTIONS, "stateDelta": {"draft": {"t": []}}},
        ),
        adk([{"text": "thinking...", "thought": True}, {"text": "Done"}], usageMetadata={"x": 1}),
        adk([], errorCode="MALFORMED_FUNCTION_CALL", errorMessage="bad"),
    ],
    "snake": [
        "data: "
        + json.dumps(
            {
                "content": {"parts": [{"text": "hi"}], "role": "model"},
                "invocation_id": "e-1",
                "author": "nemo_agent",
                "actions": {"state_delta": {"canvas_config": {"width": 1080}}},
            }
        )
        + "\n\n",
        "data: "
        + json.dumps(
            {
                "content": {"parts": [{"function_call": {"name": "edit_multitrack", "args": {}}}]},
                "author": "nemo_agent",
            }
        )
        + "\n\n",
        "data: " + json.dumps({"error_code": "E1", "error_message": "snake error"}) + "\n\n",
    ],
    "simple": [
        ": keep-alive comment\n\n",
        'data: {"type":"text","content":"Hello"}\n\n',
        "data:\n\n",
        'data: {"type":"heartbeat"}\n\n',
        'data: {"type":"tool_call","name":"generate_video_with_seedance","args":{"p":1}}\n\n',
        'data: {"type":"tool_result","name":"generate_video_with_seedance","result":"ok"}\n\n',
        'data: {"text": " world"}\r\n\r\n',
        'event: message\nid: 7\nretry: 100\n: note\ndata: {"type":\n'
        'data: "text","content":"!"}\n\n',
    ],
    "partial": [
        adk([{"text": "Hel"}], partial=True),
        adk([{"text": "lo "}], partial=True),
        adk([{"text": "there"}], partial=True),
        adk([{"text": "Hello there"}]),
        adk([{"text": "Next."}]),
    ],
    "errors": [
        'data: {"error": "Type: quota exceeded"}\n\n',
        "data: "
        + json.dumps(
            {
                "error": "ValueError: bad",
                "error_details": {
                    "error_type": "ValueError",
                    "error_message": "bad",
                    "timestamp": 1,
                },
            }
        )
        + "\n\n",
        "data: {not json at all\n\n",
        "data: [1, 2]\n\n",
        'data: "a string"\n\n',
        adk([{"text": "still here"}]),
    ],
    "no-trailing-blank": [adk([{"text": "first"}]), 'data: {"type":"text","content":"last"}'],
}

EXPECTED: dict[str, list[ChatEvent]] = {
    "adk": [
        TextDelta("I'll generate your video now..."),
        ToolCall("generate_video", {"prompt": "x"}, "adk-1"),
        ToolResult("generate_video", {"ok": 1}, "adk-1"),
        StateDelta({"draft": {"t": []}}),
        TextDelta("Done"),
        StreamError("bad", "MALFORMED_FUNCTION_CALL"),
    ],
    "snake": [
        TextDelta("hi"),
        StateDelta({"canvas_config": {"width": 1080}}),
        ToolCall("edit_multitrack", {}, None),
        StreamError("snake error", "E1"),
    ],
    "simple": [
        TextDelta("Hello"),
        Heartbeat(),
        Heartbeat(),
        ToolCall("generate_video_with_seedance", {"p": 1}),
        ToolResult("generate_video_with_seedance", "ok"),
        TextDelta(" world"),
        TextDelta("!"),
    ],
    "partial": [TextDelta("Hel"), TextDelta("lo "), TextDelta("there"), TextDelta("Next.")],
    "errors": [
        StreamError("Type: quota exceeded"),
        StreamError("ValueError: bad", "ValueError"),
        TextDelta("still here"),
    ],
    "no-trailing-blank": [TextDelta("first"), TextDelta("last")],
}


class ChatServer:
    def __init__(self) -> None:
        self.seen = Seen()
        self.closed = threading.Event()
        self.expire_next = 0

    async def token(self, request: Request) -> Response:
        await self.seen.record(request)
        return token_response(self.seen, request, "chat", "anon_1")

    async def run_sse(self, request: Request) -> Response:
        hit = await self.seen.record(request)
        sid = json.loads(hit.body)["session_id"]
        if self.expire_next:
            self.expire_next -= 1
            return JSONResponse({"code": 1001, "message": "token expired"})
        if sid == "lost":
            return JSONResponse({"code": 1002, "message": "session not found"})
        if sid == "gone404":
            return JSONResponse({"detail": f"Session not found: {sid}"}, status_code=404)
        if sid == "drop":
            return StreamingResponse(self._drop(), media_type="text/event-stream")
        if sid == "forever":
            return StreamingResponse(self._forever(), media_type="text/event-stream")
        return StreamingResponse(self._frames(FRAMES[sid]), media_type="text/event-stream")

    async def _frames(self, frames: list[str]) -> AsyncIterator[bytes]:
        for frame in frames:
            yield frame.encode()

    async def _drop(self) -> AsyncIterator[bytes]:
        yield adk([{"text": "partial answer"}]).encode()
        await asyncio.sleep(0.01)
        raise ConnectionResetError("dropped by the test server")

    async def _forever(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield b'data: {"type":"heartbeat"}\n\n'
                await asyncio.sleep(0.01)
        finally:
            self.closed.set()


SLOT = ServiceSlot({"/api/auth/anonymous-token": "token", "/run_sse": "run_sse"})


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with SLOT.serve() as url:
        yield url


@pytest.fixture
def chat(base_url: str) -> tuple[ChatServer, str]:
    return SLOT.install(ChatServer()), base_url


def make_client(url: str, **kw: Any) -> NemoClient:
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url), **kw)


async def collect(client: NemoClient, sid: str, text: str = "hello") -> list[ChatEvent]:
    return [event async for event in client.stream_chat(sid, text)]


@pytest.mark.parametrize("variant", sorted(FRAMES))
async def test_frame_variants_decode(chat: tuple[ChatServer, str], variant: str) -> None:
    _, url = chat
    async with make_client(url) as client:
        events = await collect(client, variant)
    assert events == EXPECTED[variant]


async def test_request_body_and_headers(chat: tuple[ChatServer, str]) -> None:
    server, url = chat
    async with make_client(url) as client:
        await collect(client, "simple", "make a neon city")
    hit = server.seen.to("/run_sse")[0]
    assert json.loads(hit.body) == {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": "simple",
        "new_message": {"parts": [{"text": "make a neon city"}]},
    }
    assert hit.headers["accept"] == "text/event-stream"
    assert hit.headers["authorization"] == "Bearer nmv_usr_chat1"
    assert hit.headers["x-skill-source"] == "art-generator"


async def test_partial_text_is_shown_once(chat: tuple[ChatServer, str]) -> None:
    _, url = chat
    async with make_client(url) as client:
        events = await collect(client, "partial")
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Hello thereNext."


@pytest.mark.parametrize("sid", ["lost", "gone404"])
async def test_json_answer_instead_of_a_stream_is_raised(
    chat: tuple[ChatServer, str], sid: str
) -> None:
    _, url = chat
    async with make_client(url) as client:
        with pytest.raises(SessionNotFound):
            await collect(client, sid)


async def test_expired_token_on_chat_is_renewed(chat: tuple[ChatServer, str]) -> None:
    server, url = chat
    server.expire_next = 1
    async with make_client(url) as client:
        events = await collect(client, "simple")
    assert events == EXPECTED["simple"]
    hits = server.seen.to("/run_sse")
    assert [h.headers["authorization"] for h in hits] == [
        "Bearer nmv_usr_chat1",
        "Bearer nmv_usr_chat2",
    ]


async def test_expired_static_token_on_chat(chat: tuple[ChatServer, str]) -> None:
    server, url = chat
    server.expire_next = 1
    async with make_client(url, static_token="nmv_usr_static") as client:
        with pytest.raises(TokenExpired, match="NEMO_TOKEN"):
            await collect(client, "simple")


async def test_dropped_stream_raises_stream_interrupted(chat: tuple[ChatServer, str]) -> None:
    _, url = chat
    got: list[ChatEvent] = []
    async with make_client(url) as client:
        with pytest.raises(StreamInterrupted) as info:
            async for event in client.stream_chat("drop", "hi"):
                got.append(event)
    assert got == [TextDelta("partial answer")]
    assert info.value.transient


async def test_closing_the_generator_closes_the_response(chat: tuple[ChatServer, str]) -> None:
    server, url = chat
    async with make_client(url) as client:
        stream = client.stream_chat("forever", "hi")
        assert isinstance(await anext(stream), Heartbeat)
        await stream.aclose()  # type: ignore[attr-defined]
        assert await asyncio.to_thread(server.closed.wait, 10)


async def test_cancelling_the_task_closes_the_response(chat: tuple[ChatServer, str]) -> None:
    server, url = chat
    first = asyncio.Event()

    async def consume(client: NemoClient) -> None:
        async for _ in client.stream_chat("forever", "hi"):
            first.set()

    async with make_client(url) as client:
        task = asyncio.create_task(consume(client))
        await first.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(server.closed.wait, 10)


def test_sse_parser_framing() -> None:
    parser = SSEParser()
    lines = [": hi", "data: a", "data:b", "", "data:", "", "event: x", "", "data:  two spaces", ""]
    out = [p for p in (parser.feed_line(line) for line in lines) if p is not None]
    assert out == ["a\nb", "", " two spaces"]
