"""NemoClient end to end against the real local backend on loopback, including its faults."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import SessionNotFound, StreamInterrupted
from artgen_tui.api.events import ChatEvent, StateDelta, TextDelta, ToolCall
from artgen_tui.api.models import RenderJob
from artgen_tui.core.credentials import CredentialStore

TINY_DRAFT: dict[str, Any] = {
    "d": 500,
    "m": {"title": "T", "width": 320, "height": 240, "fps": 12},
    "t": [
        {
            "tt": 0,
            "sg": [
                {
                    "id": "seg_1",
                    "kind": "generated",
                    "start_ms": 0,
                    "duration_ms": 500,
                    "prompt": "neon city",
                    "style": "neon",
                    "seed": 1,
                }
            ],
        }
    ],
}
TINY_OUTPUT = {"format": "mp4", "quality": "high", "resolution": "360p", "fps": 12}


def make_client(url: str, **kw: Any) -> NemoClient:
    kw.setdefault("retry_backoff", 0.0)
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url), **kw)


def inject(url: str, spec: str) -> None:
    response = httpx.post(f"{url}/_faults", content=spec)
    assert response.status_code == 200, response.text


async def chat(client: NemoClient, sid: str, text: str) -> list[ChatEvent]:
    return [e async for e in client.stream_chat(sid, text)]


async def wait_done(client: NemoClient, job: RenderJob) -> RenderJob:
    for _ in range(600):
        if job.finished:
            return job
        await asyncio.sleep(0.1)
        job = await client.poll_render(job.id)
    raise AssertionError(f"render {job.id} did not finish: {job}")


async def test_token_session_credits_chat_and_state(local_backend: str) -> None:
    async with make_client(local_backend) as client:
        token = await client.ensure_token()
        assert token.token.startswith("nmv_usr_")
        assert client.user_id and client.user_id.startswith("anon_")
        session = await client.create_session("neon city", language="en")
        assert session.session_id.isdigit() and len(session.session_id) == 19
        before = await client.credits()
        assert before.total == before.available + before.frozen
        events = await chat(client, session.session_id, "make a video of a neon city, cinematic")
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        assert text.strip()
        assert any(isinstance(e, ToolCall) for e in events)
        assert any(isinstance(e, StateDelta) for e in events)
        state = await client.state(session.session_id)
        assert state.draft.ready_for_export
        after = await client.credits()
        assert after.available < before.available
    async with make_client(local_backend) as again:
        assert (await again.ensure_token()).token == token.token  # saved and reused


async def test_upload_then_download_the_public_file(local_backend: str, tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(buf, format="PNG")
    photo = tmp_path / "photo.png"
    photo.write_bytes(buf.getvalue())
    done: list[tuple[int, int | None]] = []
    async with make_client(local_backend) as client:
        session = await client.create_session()
        result = await client.upload_files(
            session.session_id, [photo], progress=lambda d, t: done.append((d, t))
        )
        assert done[-1] == (photo.stat().st_size, photo.stat().st_size)
        (uploaded,) = result.files
        assert uploaded.file_type == "image"
        assert (uploaded.width, uploaded.height) == (64, 48)
        assert uploaded.cdn_url
        copy = await client.download_url(uploaded.cdn_url, tmp_path / "copy.png")
        assert copy.read_bytes() == photo.read_bytes()
        state = await client.state(session.session_id)
        assert state.state.video_infos


async def test_render_submit_poll_download(local_backend: str, tmp_path: Path) -> None:
    async with make_client(local_backend) as client:
        session = await client.create_session()
        job = await client.submit_render(session.session_id, TINY_DRAFT, output=TINY_OUTPUT)
        assert job.id.startswith("render_") and job.status in ("pending", "processing")
        job = await wait_done(client, job)
        assert job.status == "completed", job.error
        assert job.output_url
        path = await client.download_render(job.id, tmp_path / "out.mp4", url=job.output_url)
        head = path.read_bytes()[:12]
        assert head[4:8] == b"ftyp"
        proxy = await client.download_render(job.id, tmp_path / "proxy.mp4")
        assert proxy.read_bytes() == path.read_bytes()


async def test_fault_rate_limit_and_expired_token_recover(local_backend: str) -> None:
    notices: list[str] = []
    async with make_client(local_backend, on_notice=notices.append) as client:
        first = await client.ensure_token()
        inject(local_backend, "expire_token=1")
        await client.credits()
        assert (await client.ensure_token()).token != first.token
        inject(local_backend, "rate_limit=1")
        await client.credits()
    assert any(n.startswith("Token expired") for n in notices)
    assert "Rate limited; retrying in 1 s" in notices


async def test_fault_lost_session(local_backend: str) -> None:
    async with make_client(local_backend) as client:
        session = await client.create_session()
        inject(local_backend, "lose_session=1")
        with pytest.raises(SessionNotFound):
            await client.state(session.session_id)
        await client.state(session.session_id)


async def test_fault_dropped_stream_then_poll_state(local_backend: str) -> None:
    async with make_client(local_backend) as client:
        session = await client.create_session()
        inject(local_backend, "drop_stream=1")
        with pytest.raises(StreamInterrupted):
            await chat(client, session.session_id, "make a video of a watercolor forest")
        state = await client.state(session.session_id)
        assert state.session_id == session.session_id


async def test_fault_failed_render_and_expired_download(local_backend: str, tmp_path: Path) -> None:
    async with make_client(local_backend) as client:
        session = await client.create_session()
        inject(local_backend, "fail_render=1")
        failed = await wait_done(
            client, await client.submit_render(session.session_id, TINY_DRAFT, output=TINY_OUTPUT)
        )
        assert failed.status == "failed" and failed.error
        job = await wait_done(
            client, await client.submit_render(session.session_id, TINY_DRAFT, output=TINY_OUTPUT)
        )
        assert job.status == "completed" and job.output_url
        inject(local_backend, "expire_download=1")
        path = await client.download_render(job.id, tmp_path / "v.mp4", url=job.output_url)
        assert path.read_bytes()[4:8] == b"ftyp"
