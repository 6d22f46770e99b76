"""Fault injection in the local backend: the spec parser and each fault over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from local_http import account, backend, chat, new_session, run_body, state, submit, tiny_draft
from local_http import wait_render as wait

from artgen_tui.local.faults import FAULT_NAMES, Faults, FaultSpecError, parse_fault_spec
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.server import create_app


def inject(base: str, spec: str) -> dict[str, int]:
    r = httpx.post(f"{base}/_faults", content=spec)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


def test_parse_spec() -> None:
    assert parse_fault_spec("rate_limit=2, drop_stream ,fail_render=0") == {
        "rate_limit": 2,
        "drop_stream": 1,
        "fail_render": 0,
    }
    assert parse_fault_spec("") == {}
    assert parse_fault_spec("expire-token=1,expire_token=2") == {"expire_token": 3}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("explode=1", ["unknown fault 'explode'", "rate_limit", "expire_download"]),
        ("rate_limit=many", ["whole-number", "rate_limit=1"]),
        ("drop_stream=-1", ["0 or more"]),
    ],
)
def test_bad_specs_are_explained(spec: str, words: list[str]) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_fault_spec(spec)
    for word in words:
        assert word in str(info.value)


def test_counts_are_consumed() -> None:
    faults = Faults("rate_limit=2")
    assert [faults.take("rate_limit") for _ in range(3)] == [True, True, False]
    assert faults.take("drop_stream") is False
    assert set(faults.remaining()) == set(FAULT_NAMES)


def test_bad_spec_in_options_fails_at_creation(tmp_path: Path) -> None:
    with pytest.raises(FaultSpecError):
        create_app(tmp_path, LocalOptions(faults="nope=1"))


def test_faults_route(local_backend: str) -> None:
    assert inject(local_backend, "fail_render=2")["fail_render"] == 2
    assert httpx.get(f"{local_backend}/_faults").json()["data"]["fail_render"] == 2
    bad = httpx.post(f"{local_backend}/_faults", json={"spec": "meteor=1"})
    assert bad.status_code == 400 and "meteor" in bad.json()["message"]


def test_rate_limit_from_options(tmp_path: Path) -> None:
    with backend(tmp_path / "b", faults="rate_limit=2") as url:
        http = httpx.Client(base_url=url)
        for _ in range(2):
            r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "rl"})
            assert r.status_code == 429
            assert r.headers["Retry-After"] == "1"
            assert r.json()["code"] == 429
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "rl"})
        assert r.status_code == 200 and r.json()["code"] == 0
        # Public file routes are never rate limited.
        assert http.get("/renders/none.mp4").status_code == 404


def test_expire_token(local_backend: str) -> None:
    acct = account(local_backend, "exp")
    inject(local_backend, "expire_token=1")
    r = acct.get("/api/credits/balance/simple")
    assert r.status_code == 200 and r.json()["code"] == 1001
    assert acct.get("/api/credits/balance/simple").json()["code"] == 1001  # really expired
    fresh = account(local_backend, "exp")
    assert fresh.token != acct.token and fresh.user_id == acct.user_id
    assert fresh.get("/api/credits/balance/simple").json()["code"] == 0


def test_lose_session_once(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    inject(local_backend, "lose_session=1")
    lost = acct.get(f"/api/state/nemo_agent/me/{sid}/latest").json()
    assert lost["code"] == 1002
    assert acct.get(f"/api/state/nemo_agent/me/{sid}/latest").json()["code"] == 0


def test_drop_stream_cuts_the_connection_but_the_turn_finishes(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    inject(local_backend, "drop_stream=1")
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        acct.http.stream(
            "POST", "/run_sse", json=run_body(sid, "generate a neon forest"), headers=acct.headers
        ) as r,
    ):
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                received.append(line)
    assert 0 < len(received) < 10
    # The agent keeps working server-side; polling state shows the finished draft.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tracks = {t["tt"] for t in state(acct, sid)["draft"]["t"]}
        if tracks == {0, 1, 7}:
            break
        time.sleep(0.05)
    assert tracks == {0, 1, 7}
    # The next stream is whole again.
    assert chat(acct, sid, "add music").calls() == ["edit_multitrack"]


def test_fail_render(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    inject(local_backend, "fail_render=1")
    submit(acct, sid, "render_f1", tiny_draft(0.5))
    failed, _ = wait(acct, "render_f1")
    assert failed["status"] == "failed"
    assert "fail_render" in failed["error"] and failed["outputUrl"] is None
    assert acct.get("/api/render/proxy/render_f1/download").status_code == 409


def test_expire_download(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    submit(acct, sid, "render_d1", tiny_draft(0.5))
    done, _ = wait(acct, "render_d1")
    assert done["status"] == "completed"
    inject(local_backend, "expire_download=1")
    expired = httpx.get(done["outputUrl"])
    assert expired.status_code == 410 and "download" in expired.json()["error"]
    fallback = acct.get("/api/render/proxy/render_d1/download")
    assert fallback.status_code == 200 and fallback.content[4:8] == b"ftyp"
    assert httpx.get(done["outputUrl"]).status_code == 200
