"""A result is only saved when it is the result: the right content, and provably whole.

CLI runs against the hostile proxy (an HTML page instead of the video, a download cut halfway),
and API-level runs against a raw loopback server that sends bodies with no length at all (the
framing uvicorn never produces): such a body is accepted only once a range request confirms it.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from hostile import unframed_server
from hostile_cli import Ran, Rig, artgen, rig

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import ApiError
from artgen_tui.core.credentials import CredentialStore

VIDEO = b"\0\0\0\x18ftypmp42" + os.urandom(200_000)
PATIENT = {"ARTGEN_NETWORK__RENDER_WAIT": "120"}
"""These tests wait for the render itself."""
REFUSED = "http://127.0.0.1:9"
"""An API URL nothing listens on: the proxy fallback cannot help."""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spoil", "said"),
    [("html_video", "text/html instead of the video"), ("html_labelled_video", "not a video")],
)
def test_a_page_instead_of_the_video_is_never_saved(tmp_path: Path, spoil: str, said: str) -> None:
    with rig(tmp_path, spoil) as r:
        r.timeline()
        ran = artgen(
            "export", "--wait", "-o", "out.mp4", "--resolution", "360p", "--no-json",
            url=r.url, cwd=tmp_path, env=PATIENT,
        )  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    assert said in ran.stderr
    assert not (tmp_path / "out.mp4").exists()
    assert not (tmp_path / "out.mp4.part").exists()
    assert ran.clean


@pytest.mark.slow
@pytest.mark.parametrize("fast", ["true", "false"])
def test_a_download_cut_halfway_resumes_to_the_exact_video(tmp_path: Path, fast: str) -> None:
    with rig(tmp_path, "cut_download") as r:
        r.timeline()
        ran = artgen(
            "export", "--wait", "-o", "out.mp4", "--resolution", "360p", "--no-json",
            url=r.url, cwd=tmp_path, env={**PATIENT, "ARTGEN_FAST_DOWNLOADS": fast},
        )  # fmt: skip
        (job,) = r.renders()
        rendered = job.with_suffix(".mp4").read_bytes()
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "out.mp4").read_bytes() == rendered
    assert ran.clean


def _export(r: Rig, tmp_path: Path, fast: str = "true") -> Ran:
    return artgen(
        "export", "--wait", "-o", "out.mp4", "--resolution", "360p", "--no-json",
        url=r.url, cwd=tmp_path, env={**PATIENT, "ARTGEN_FAST_DOWNLOADS": fast},
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("fast", ["true", "false"])
def test_a_video_link_cut_with_no_length_resumes_to_the_exact_video(
    tmp_path: Path, fast: str
) -> None:
    cuts = unframed_server(ranges=True).cut
    with rig(tmp_path, "cut_unframed") as r:
        r.timeline()
        ran = _export(r, tmp_path, fast)
        (job,) = r.renders()
        rendered = job.with_suffix(".mp4").read_bytes()
    assert unframed_server(ranges=True).cut > cuts, "the unframed link was never used"
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "out.mp4").read_bytes() == rendered
    assert ran.clean


@pytest.mark.slow
def test_a_video_link_cut_with_no_length_and_no_ranges_is_never_saved(tmp_path: Path) -> None:
    cuts = unframed_server(ranges=False).cut
    with rig(tmp_path, "cut_unframed_no_range") as r:
        r.timeline()
        ran = _export(r, tmp_path)  # the link cannot be confirmed: the proxy path gives the video
        (job,) = r.renders()
        rendered = job.with_suffix(".mp4").read_bytes()
        assert unframed_server(ranges=False).cut > cuts, "the unframed link was never used"
        assert ran.returncode == 0, ran.stderr
        assert (tmp_path / "out.mp4").read_bytes() == rendered
        (tmp_path / "out.mp4").unlink()
        r.proxy.set_modes("cut_unframed_no_range", "html_proxy_download")
        again = _export(r, tmp_path)  # … and when that fails too, nothing is saved
        assert again.returncode == 2, again.stderr
        assert "the server sent text/html instead of the video" in again.stderr
        assert not (tmp_path / "out.mp4").exists()
        job_file = r.renders()[-1]
        second = job_file.with_suffix(".mp4").read_bytes()
        part = tmp_path / "out.mp4.part"
        assert not part.exists() or second.startswith(part.read_bytes())  # kept to resume
        assert again.clean
        r.proxy.set_modes()
        resumed = artgen(
            "jobs", "retry", job_file.stem, "--no-json", url=r.url, cwd=tmp_path, env=PATIENT
        )
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert (tmp_path / "out.mp4").exists(), resumed.stderr + resumed.stdout
    assert (tmp_path / "out.mp4").read_bytes() == second


@asynccontextmanager
async def raw_unframed(*, cut: bool, ranges: bool) -> AsyncIterator[str]:
    """Answers every GET with the video and no ``Content-Length``, closing to end the body.

    ``cut``: a full answer stops halfway. ``ranges``: a ``Range`` request is honoured (206 with
    the rest, or ``416 bytes */N`` at the end); otherwise it gets the same 200 again.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        found = re.search(rb"(?im)^range: bytes=(\d+)-", head)
        start = int(found.group(1)) if found and ranges else 0
        if start >= len(VIDEO):
            writer.write(
                f"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len(VIDEO)}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
        elif start:
            end = len(VIDEO) - 1
            writer.write(
                f"HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\n"
                f"Content-Range: bytes {start}-{end}/{len(VIDEO)}\r\n"
                f"Content-Length: {len(VIDEO) - start}\r\nConnection: close\r\n\r\n".encode()
                + VIDEO[start:]
            )
        else:
            body = VIDEO[: len(VIDEO) // 2] if cut else VIDEO
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n" + body
            )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/renders/render_1.mp4"


def client() -> NemoClient:
    return NemoClient(
        ClientOptions(api_url=REFUSED), CredentialStore.default(REFUSED), retry_backoff=0.01
    )


@pytest.mark.parametrize("cut", [False, True])
async def test_a_body_without_a_length_is_confirmed_before_it_is_kept(
    tmp_path: Path, cut: bool
) -> None:
    dest = tmp_path / "out.mp4"
    async with raw_unframed(cut=cut, ranges=True) as url, client() as api:
        await api.download_render("render_1", dest, url=url)
    assert dest.read_bytes() == VIDEO
    assert not (tmp_path / "out.mp4.part").exists()


async def test_a_cut_body_without_a_length_is_not_saved_when_it_cannot_be_confirmed(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "out.mp4"
    async with raw_unframed(cut=True, ranges=False) as url, client() as api:
        with pytest.raises(ApiError):
            await api.download_render("render_1", dest, url=url)
    assert not dest.exists()
