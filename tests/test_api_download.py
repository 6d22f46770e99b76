"""Downloads over loopback: resume with Range after a cut, fallback to the proxy, atomic finish."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from loopback import free_port, serve

from artgen_tui.api import fastget, tls
from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import NotFound, TransportError
from artgen_tui.core.credentials import CredentialStore

DATA = b"\0\0\0\x18ftypmp42" + os.urandom(1024 * 1024 + 5)  # starts like an MP4
RID = "render_1_ab"
BIG_MIB = 64
PROXY = f"/api/render/proxy/{RID}/download"


@dataclass
class Plan:
    """How the file server misbehaves, per path."""

    cut: dict[str, int] = field(default_factory=dict)  # path -> requests to cut halfway
    stall: dict[str, int] = field(default_factory=dict)  # path -> requests to stall halfway
    status: dict[str, int] = field(default_factory=dict)  # path -> fixed error status
    ignore_range: bool = False
    wrong_offset: int = 0
    expire_token: int = 0
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    tokens: int = 0


class _Current:
    plan = Plan()


async def _json(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI file server that can cut connections halfway (no framework in the way)."""
    if scope["type"] != "http":
        return
    plan = _Current.plan
    path = scope["path"]
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    plan.hits.append((path, headers))
    if path == "/api/auth/anonymous-token":
        plan.tokens += 1
        body = b'{"code":0,"data":{"token":"nmv_usr_dl%d","user_id":"anon_d"}}' % plan.tokens
        await _json(send, 200, body)
        return
    if path == "/big":
        size = BIG_MIB * 1024 * 1024
        length = [(b"content-length", str(size).encode()), (b"content-type", b"video/mp4")]
        await send({"type": "http.response.start", "status": 200, "headers": length})
        block = bytes(1024 * 1024)
        for _ in range(BIG_MIB):
            await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/moved":
        where = b"/files/moved.mp4"
        start_msg = {
            "type": "http.response.start",
            "status": 302,
            "headers": [(b"location", where)],
        }
        await send(start_msg)
        await send({"type": "http.response.body", "body": b"see /files/moved.mp4"})
        return
    if path in plan.status:
        await _json(send, plan.status[path], b'{"detail":"gone"}')
        return
    if path == PROXY:
        if plan.expire_token:
            plan.expire_token -= 1
            await _json(send, 200, b'{"code":1001,"message":"token expired"}')
            return
        if not headers.get("authorization", "").startswith("Bearer nmv_usr_dl"):
            await _json(send, 401, b'{"detail":"no auth"}')
            return
    elif not path.startswith("/files/"):
        await _json(send, 404, b'{"detail":"Not Found"}')
        return
    start = 0
    rng = headers.get("range", "")
    if rng.startswith("bytes=") and not plan.ignore_range:
        start = int(rng[6:].split("-")[0])
    if plan.wrong_offset and start:
        plan.wrong_offset -= 1
        start -= 1
    if start >= len(DATA):
        out416 = [(b"content-range", f"bytes */{len(DATA)}".encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 416, "headers": out416})
        await send({"type": "http.response.body", "body": b""})
        return
    body = DATA[start:]
    out = [(b"content-length", str(len(body)).encode()), (b"content-type", b"video/mp4")]
    status = 200
    if start:
        status = 206
        out.append((b"content-range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}".encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    if plan.cut.get(path, 0) > 0:
        plan.cut[path] -= 1
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        return  # the response is left incomplete: uvicorn closes the connection
    if plan.stall.get(path, 0) > 0:
        plan.stall[path] -= 1
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 3], "more_body": True}
        )
        while (await receive())["type"] != "http.disconnect":  # until the client gives up
            pass
        return
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def plan() -> Plan:
    _Current.plan = Plan()
    return _Current.plan


class _Mode:
    fast = True


@pytest.fixture(autouse=True, params=[True, False], ids=["fast", "httpx"])
def download_path(request: pytest.FixtureRequest) -> bool:
    """Every test runs through the direct socket path and through the httpx path."""
    _Mode.fast = request.param
    return _Mode.fast


def make_client(url: str, **kw: Any) -> NemoClient:
    kw.setdefault("retry_backoff", 0.0)
    kw.setdefault("fast_downloads", _Mode.fast)
    return NemoClient(ClientOptions(api_url=url), CredentialStore.default(url), **kw)


def foreign(url: str) -> str:
    """The same server under another host name: the client must treat it as a foreign host."""
    return url.replace("127.0.0.1", "localhost")


def ranges(plan: Plan, path: str) -> list[str | None]:
    return [h.get("range") for p, h in plan.hits if p == path]


async def test_cut_transfer_resumes_with_range(
    plan: Plan, base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="artgen_tui.api")
    plan.cut["/files/out.mp4"] = 1
    dest = tmp_path / "out" / "video.mp4"
    seen: list[tuple[int, int | None]] = []
    async with make_client(base_url) as client:
        got = await client.download_render(
            RID,
            dest,
            url=f"{base_url}/files/out.mp4",
            progress=lambda d, t: seen.append((d, t)),
        )
    assert got == dest
    assert dest.read_bytes() == DATA
    assert not dest.with_name("video.mp4.part").exists()
    half = len(DATA) // 2
    assert ranges(plan, "/files/out.mp4") == [None, f"bytes={half}-"]
    assert seen[-1] == (len(DATA), len(DATA))
    assert PROXY not in [p for p, _ in plan.hits]
    assert "declined" not in caplog.text


async def test_public_url_gets_no_token_and_gone_falls_back_to_proxy(
    plan: Plan, base_url: str, tmp_path: Path
) -> None:
    plan.status["/files/expired.mp4"] = 410
    dest = tmp_path / "v.mp4"
    async with make_client(base_url) as client:
        await client.download_render(RID, dest, url=foreign(base_url) + "/files/expired.mp4")
    assert dest.read_bytes() == DATA
    public = [h for p, h in plan.hits if p == "/files/expired.mp4"]
    assert len(public) == 1
    assert "authorization" not in public[0]
    assert "x-skill-source" not in public[0]
    proxy = [h for p, h in plan.hits if p == PROXY]
    assert proxy[0]["authorization"] == "Bearer nmv_usr_dl1"
    assert proxy[0]["x-skill-platform"] == "unknown"


@pytest.mark.parametrize("status", [403, 404])
async def test_refused_public_url_falls_back(
    plan: Plan, base_url: str, tmp_path: Path, status: int
) -> None:
    plan.status["/files/x.mp4"] = status
    async with make_client(base_url) as client:
        await client.download_render(RID, tmp_path / "v.mp4", url=f"{base_url}/files/x.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == DATA


async def test_unreachable_public_url_falls_back(plan: Plan, base_url: str, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/render.mp4"
    async with make_client(base_url) as client:
        await client.download_render(RID, tmp_path / "v.mp4", url=dead)
    assert (tmp_path / "v.mp4").read_bytes() == DATA
    assert [p for p, _ in plan.hits if p != "/api/auth/anonymous-token"] == [PROXY]


async def test_server_ignoring_range_restarts_cleanly(
    plan: Plan, base_url: str, tmp_path: Path
) -> None:
    plan.cut["/files/a.mp4"] = 1
    plan.ignore_range = True
    async with make_client(base_url) as client:
        await client.download_url(f"{base_url}/files/a.mp4", tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == DATA
    assert len(ranges(plan, "/files/a.mp4")) == 2


async def test_wrong_resume_offset_restarts(plan: Plan, base_url: str, tmp_path: Path) -> None:
    plan.cut["/files/a.mp4"] = 1
    plan.wrong_offset = 1
    async with make_client(base_url) as client:
        await client.download_url(f"{base_url}/files/a.mp4", tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == DATA
    assert ranges(plan, "/files/a.mp4")[-1] is None


async def test_stale_part_file_is_resumed(plan: Plan, base_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    dest.with_name("v.mp4.part").write_bytes(DATA[:1000])
    async with make_client(base_url) as client:
        await client.download_render(RID, dest)
    assert dest.read_bytes() == DATA
    assert ranges(plan, PROXY) == ["bytes=1000-"]


async def test_always_cut_gives_up_and_keeps_the_part(
    plan: Plan, base_url: str, tmp_path: Path
) -> None:
    plan.cut[PROXY] = 100
    dest = tmp_path / "v.mp4"
    async with make_client(base_url, download_retries=2) as client:
        with pytest.raises(TransportError):
            await client.download_render(RID, dest)
    assert not dest.exists()
    assert dest.with_name("v.mp4.part").exists()
    assert len(ranges(plan, PROXY)) == 3


async def test_proxy_not_found_is_raised(plan: Plan, base_url: str, tmp_path: Path) -> None:
    plan.status[PROXY] = 404
    async with make_client(base_url) as client:
        with pytest.raises(NotFound):
            await client.download_render(RID, tmp_path / "v.mp4")
    assert not (tmp_path / "v.mp4").exists()


async def test_proxy_token_expiry_is_recovered(plan: Plan, base_url: str, tmp_path: Path) -> None:
    plan.expire_token = 1
    async with make_client(base_url) as client:
        await client.download_render(RID, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == DATA
    auths = [h["authorization"] for p, h in plan.hits if p == PROXY]
    assert auths == ["Bearer nmv_usr_dl1", "Bearer nmv_usr_dl2"]


async def test_complete_part_file_is_finished_without_refetching(
    plan: Plan, base_url: str, tmp_path: Path
) -> None:
    dest = tmp_path / "v.mp4"
    dest.with_name("v.mp4.part").write_bytes(DATA)
    async with make_client(base_url) as client:
        await client.download_render(RID, dest)
    assert dest.read_bytes() == DATA
    assert ranges(plan, PROXY) == [f"bytes={len(DATA)}-"]


async def test_stalled_transfer_times_out_and_resumes(
    plan: Plan, base_url: str, tmp_path: Path
) -> None:
    plan.stall["/files/slow.mp4"] = 1
    client = NemoClient(
        ClientOptions(api_url=base_url, request_timeout=0.3),
        CredentialStore.default(base_url),
        retry_backoff=0.0,
        fast_downloads=_Mode.fast,
    )
    async with client:
        await client.download_url(f"{base_url}/files/slow.mp4", tmp_path / "slow.mp4")
    assert (tmp_path / "slow.mp4").read_bytes() == DATA
    third = (len(DATA)) // 3
    assert ranges(plan, "/files/slow.mp4") == [None, f"bytes={third}-"]


@pytest.fixture(scope="module")
def tls_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The same file server over https with a throwaway self-signed certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    with serve(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as url:
        yield url, cert


async def test_https_cut_transfer_resumes(
    plan: Plan,
    tls_url: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, cert = tls_url
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    caplog.set_level(logging.DEBUG, logger="artgen_tui.api")
    plan.cut["/files/tls.mp4"] = 1
    async with make_client(url) as client:
        await client.download_url(f"{url}/files/tls.mp4", tmp_path / "tls.mp4")
    assert (tmp_path / "tls.mp4").read_bytes() == DATA
    assert ranges(plan, "/files/tls.mp4") == [None, f"bytes={len(DATA) // 2}-"]
    assert "declined" not in caplog.text


async def test_the_client_uses_the_trust_store_warmed_up_ahead(
    plan: Plan, tls_url: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The context the warm-up made is the one the client's requests and the direct path use:
    with the certificate file gone after it, https still works."""
    url, cert = tls_url
    trusted = tmp_path / "trusted.pem"
    shutil.copy(cert, trusted)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted))
    tls.warm_up()
    tls.default_context()  # the warm-up is done
    trusted.unlink()
    async with make_client(url) as client:
        await client.download_url(f"{url}/files/warm.mp4", tmp_path / "warm.mp4")
    assert (tmp_path / "warm.mp4").read_bytes() == DATA


async def test_https_untrusted_certificate_is_refused(
    plan: Plan, tls_url: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = tls_url
    async with make_client(url) as client:
        with pytest.raises(TransportError):
            await client.download_url(f"{url}/files/x.mp4", tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()
    assert plan.hits == []


def test_direct_path_only_without_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    url = httpx.URL("http://cdn.example.com/a.mp4")
    assert fastget.usable_for(url)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert not fastget.usable_for(url)
    assert fastget.usable_for(httpx.URL("https://cdn.example.com/a.mp4"))
    monkeypatch.setenv("NO_PROXY", "cdn.example.com")
    assert fastget.usable_for(url)
    assert not fastget.usable_for(httpx.URL("ftp://cdn.example.com/a.mp4"))


async def test_redirect_is_followed(plan: Plan, base_url: str, tmp_path: Path) -> None:
    async with make_client(base_url) as client:
        await client.download_url(f"{base_url}/moved", tmp_path / "m.mp4")
    assert (tmp_path / "m.mp4").read_bytes() == DATA
    assert "/files/moved.mp4" in [p for p, _ in plan.hits]


MEMORY_PROBE = """
import asyncio, resource, sys
from pathlib import Path
from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.core.credentials import CredentialStore

async def main(url, dest, fast):
    options = ClientOptions(api_url=url)
    store = CredentialStore.default(url)
    async with NemoClient(options, store, fast_downloads=fast == "1") as client:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        path = await client.download_url(url + "/big", Path(dest))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(path.stat().st_size, (after - before) // 1024)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.slow
def test_download_memory_stays_flat(plan: Plan, base_url: str, tmp_path: Path) -> None:
    """A 64 MiB download raises the client's peak RSS by far less than the file's size."""
    dest = tmp_path / "big.mp4"
    args = [base_url, str(dest), "1" if _Mode.fast else "0"]
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, *args], capture_output=True, text=True, check=True
    )
    size, growth_mib = map(int, proc.stdout.split())
    assert size == BIG_MIB * 1024 * 1024
    assert growth_mib < 24, proc.stdout
