"""Uploads over loopback: checked before any byte is sent, streamed multipart, progress, errors."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Seen, ServiceSlot, token_response
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import FileTooLarge, TransportError, UnsupportedFileType
from artgen_tui.api.files import MAX_UPLOAD_BYTES
from artgen_tui.api.transfer import FilePart, MultipartBody
from artgen_tui.core.credentials import CredentialStore

SID = "5529798706024415232"
UPLOAD_PATH = f"/api/upload-video/nemo_agent/me/{SID}"


class UploadServer:
    def __init__(self) -> None:
        self.seen = Seen()
        self.received: list[tuple[str, str, bytes]] = []
        self.answers: list[Response] = []

    async def token(self, request: Request) -> Response:
        await self.seen.record(request)
        return token_response(self.seen, request, "up", "anon_u")

    async def upload(self, request: Request) -> Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            hit = await self.seen.record(request)
            body = json.loads(hit.body)
            listed = [
                {"filename": u.rsplit("/", 1)[-1], "file_type": "video"} for u in body["urls"]
            ]
            return JSONResponse({"code": 0, "data": {"files": listed}})
        await self.seen.record(request, read_body=False)
        if request.path_params["sid"] == "cut":
            async for _ in request.stream():
                break  # read one piece, then drop the connection
            raise ConnectionResetError("cut by the test server")
        if self.answers:
            await request.body()
            return self.answers.pop(0)
        form = await request.form()
        files: list[dict[str, Any]] = []
        for field, value in form.multi_items():
            assert isinstance(value, UploadFile)
            data = await value.read()
            self.received.append((field, value.filename or "", data))
            files.append(
                {
                    "filename": value.filename,
                    "file_type": "video",
                    "cdn_url": f"http://cdn.test/{value.filename}",
                    "hash": hashlib.sha256(data).hexdigest(),
                }
            )
        return JSONResponse({"code": 0, "data": {"files": files, "session_state_applied": True}})


SLOT = ServiceSlot(
    {"/api/auth/anonymous-token": "token", "/api/upload-video/nemo_agent/me/{sid}": "upload"}
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with SLOT.serve() as url:
        yield url


@pytest.fixture
def up(base_url: str) -> tuple[UploadServer, str]:
    return SLOT.install(UploadServer()), base_url


def make_client(url: str) -> NemoClient:
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url))


def write(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


async def test_files_stream_as_multipart_with_progress(
    up: tuple[UploadServer, str], tmp_path: Path
) -> None:
    server, url = up
    clip = write(tmp_path / "clip.mp4", 2 * 1024 * 1024 + 123)
    photo = write(tmp_path / 'my "photo".png', 5000)
    seen: list[tuple[int, int | None]] = []
    async with make_client(url) as client:
        result = await client.upload_files(
            SID,
            [tmp_path / "clip.mp4", tmp_path / 'my "photo".png'],
            progress=lambda done, total: seen.append((done, total)),
        )
    total = len(clip) + len(photo)
    assert [(f, d) for f, _, d in server.received] == [("files", clip), ("files", photo)]
    assert server.received[1][1] == "my %22photo%22.png"
    hit = server.seen.to(UPLOAD_PATH)[0]
    assert hit.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(hit.headers["content-length"]) > total
    assert "transfer-encoding" not in hit.headers
    assert hit.headers["authorization"] == "Bearer nmv_usr_up1"
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    assert len(seen) >= 4  # several chunks, not one buffered blob
    assert [f.filename for f in result.files] == ["clip.mp4", "my %22photo%22.png"]
    assert result.files[0].hash == hashlib.sha256(clip).hexdigest()
    assert result.session_state_applied is True


async def test_wrong_type_refuses_the_whole_batch_before_sending(
    up: tuple[UploadServer, str], tmp_path: Path
) -> None:
    server, url = up
    write(tmp_path / "ok.mp4", 100)
    write(tmp_path / "notes.txt", 100)
    async with make_client(url) as client:
        with pytest.raises(UnsupportedFileType) as info:
            await client.upload_files(SID, [tmp_path / "ok.mp4", tmp_path / "notes.txt"])
    assert "notes.txt" in str(info.value)
    assert "MP4" in info.value.user_text()
    assert server.seen.hits == []


async def test_oversized_file_refuses_the_batch_before_sending(
    up: tuple[UploadServer, str], tmp_path: Path
) -> None:
    server, url = up
    write(tmp_path / "small.png", 100)
    big = tmp_path / "huge.mov"
    with big.open("wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: no disk space used
    async with make_client(url) as client:
        with pytest.raises(FileTooLarge) as info:
            await client.upload_files(SID, [tmp_path / "small.png", big])
    assert "huge.mov" in str(info.value)
    assert "200 MB" in info.value.user_text()
    assert server.seen.hits == []


async def test_missing_file_is_named(up: tuple[UploadServer, str], tmp_path: Path) -> None:
    server, url = up
    async with make_client(url) as client:
        with pytest.raises(FileNotFoundError, match=r"gone\.mp4"):
            await client.upload_files(SID, [tmp_path / "gone.mp4"])
    assert server.seen.hits == []


async def test_server_refusal_names_the_file(up: tuple[UploadServer, str], tmp_path: Path) -> None:
    server, url = up
    write(tmp_path / "a.webm", 1000)
    server.answers.append(JSONResponse({"code": 4002, "message": "file too large"}))
    server.answers.append(JSONResponse({"code": 4001, "message": "bad type"}, status_code=400))
    async with make_client(url) as client:
        with pytest.raises(FileTooLarge, match=r"a\.webm: file too large"):
            await client.upload_files(SID, [tmp_path / "a.webm"])
        with pytest.raises(UnsupportedFileType, match=r"a\.webm"):
            await client.upload_files(SID, [tmp_path / "a.webm"])


async def test_expired_token_resends_the_whole_body(
    up: tuple[UploadServer, str], tmp_path: Path
) -> None:
    server, url = up
    data = write(tmp_path / "song.mp3", 300_000)
    server.answers.append(JSONResponse({"code": 1001, "message": "expired"}))
    async with make_client(url) as client:
        result = await client.upload_files(SID, [tmp_path / "song.mp3"])
    assert server.received == [("files", "song.mp3", data)]
    assert [h.headers["authorization"] for h in server.seen.to(UPLOAD_PATH)] == [
        "Bearer nmv_usr_up1",
        "Bearer nmv_usr_up2",
    ]
    assert result.files[0].filename == "song.mp3"


async def test_upload_urls(up: tuple[UploadServer, str]) -> None:
    server, url = up
    async with make_client(url) as client:
        result = await client.upload_urls(SID, ["https://example.com/v/clip.mp4"])
    body = json.loads(server.seen.to(UPLOAD_PATH)[0].body)
    assert body == {"urls": ["https://example.com/v/clip.mp4"], "source_type": "url"}
    assert result.files[0].filename == "clip.mp4"


async def test_multipart_length_matches_the_bytes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.mp4", 70_000)
    b = write(tmp_path / "b.gif", 3)
    parts = [
        FilePart(tmp_path / "a.mp4", len(a), "video/mp4"),
        FilePart(tmp_path / "b.gif", len(b), "image/gif"),
    ]
    body = MultipartBody(parts, chunk_size=16_384)
    chunks = [c async for c in body]
    blob = b"".join(chunks)
    assert len(blob) == body.length
    assert max(len(c) for c in chunks) <= 16_384
    assert blob.endswith(f"--{body.boundary}--\r\n".encode())
    assert a in blob and b in blob


async def test_file_that_changes_size_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "grow.mp4"
    write(path, 1000)
    body = MultipartBody([FilePart(path, 500, "video/mp4")])
    with pytest.raises(OSError, match=r"grow\.mp4"):
        _ = [c async for c in body]


async def test_connection_cut_during_upload_is_a_transport_error(
    up: tuple[UploadServer, str], tmp_path: Path
) -> None:
    _, url = up
    write(tmp_path / "big.mp4", 8 * 1024 * 1024)
    async with make_client(url) as client:
        with pytest.raises(TransportError) as info:
            await client.upload_files("cut", [tmp_path / "big.mp4"])
    assert info.value.transient


MEMORY_PROBE = """
import asyncio, resource, sys
from pathlib import Path
from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.core.credentials import CredentialStore

async def main(url, path):
    async with NemoClient(ClientOptions(api_url=url), CredentialStore.default(url)) as client:
        await client.ensure_token()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        await client.upload_files(sys.argv[3], [Path(path)])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) // 1024)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
def test_upload_memory_stays_flat(up: tuple[UploadServer, str], tmp_path: Path) -> None:
    """A 64 MiB upload raises the client's peak RSS by far less than the file's size."""
    _, url = up
    path = tmp_path / "big.mp4"
    with path.open("wb") as fh:
        for _ in range(64):
            fh.write(os.urandom(1024 * 1024))
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, url, str(path), SID],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    growth_mib = int(proc.stdout.strip().splitlines()[-1])
    assert growth_mib < 24, proc.stdout
