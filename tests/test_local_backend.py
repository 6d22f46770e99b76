"""The local backend over real loopback HTTP (plain httpx): every route, shape and error code."""

from __future__ import annotations

import logging
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from local_http import (
    SKILL_HEADERS,
    Account,
    account,
    backend,
    chat,
    credits,
    fast_options,
    make_mp4,
    make_png,
    new_session,
    poll,
    run_body,
    sha256,
    state,
    submit,
    tiny_draft,
    wait_render,
)

from artgen_tui.local.agent import ScriptedAgent
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

CAMEL_KEY = re.compile(r"^[a-z][a-zA-Z0-9]*$")


# -- auth ---------------------------------------------------------------------------------------
def test_anonymous_token_shape_and_same_token_per_client(local_backend: str) -> None:
    http = httpx.Client(base_url=local_backend)
    first = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})
    assert first.status_code == 200
    body = first.json()
    assert body["code"] == 0
    data = body["data"]
    assert data["token"].startswith("nmv_usr_") and len(data["token"]) > 20
    assert re.fullmatch(r"anon_[0-9a-f]+", data["user_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["expires_at"])
    assert data["credits"] == 500
    again = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"}).json()["data"]
    assert again["token"] == data["token"] and again["user_id"] == data["user_id"]
    other = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-2"}).json()["data"]
    assert other["token"] != data["token"] and other["user_id"] != data["user_id"]


def test_anonymous_token_without_client_id_is_400(local_backend: str) -> None:
    r = httpx.post(f"{local_backend}/api/auth/anonymous-token")
    assert r.status_code == 400
    assert r.json()["code"] == 400 and "X-Client-Id" in r.json()["message"]


def test_token_ip_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    with backend(tmp_path / "b", token_ip_limit=2) as url:
        http = httpx.Client(base_url=url)
        for n in range(2):
            r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": f"ip-{n}"})
            assert r.json()["code"] == 0
        # The same client still gets its token back: that is not a new token.
        assert (
            http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "ip-0"}).json()["code"]
            == 0
        )
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "ip-3"})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert r.json()["code"] == 429


def test_bad_or_missing_token_is_code_1001(local_backend: str) -> None:
    http = httpx.Client(base_url=local_backend)
    missing = http.get("/api/credits/balance/simple")
    assert missing.status_code == 200 and missing.json()["code"] == 1001
    bad = http.get("/api/credits/balance/simple", headers={"Authorization": "Bearer nmv_usr_nope"})
    assert bad.status_code == 200 and bad.json()["code"] == 1001
    assert bad.json()["message"]


def test_claim_token(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    task_id = state_meta(acct, sid)["task_id"]
    body = acct.post("/api/auth/claim-token", json={"task_id": task_id, "session_id": sid}).json()
    assert body["code"] == 0
    assert body["data"]["claim_token"].startswith("clm_")
    assert body["data"]["expires_in"] == 604800
    unknown = acct.post(
        "/api/auth/claim-token", json={"task_id": task_id, "session_id": "1" * 19}
    ).json()
    assert unknown["code"] == 1002


def state_meta(acct: Account, sid: str) -> dict[str, object]:
    body = acct.get(f"/api/state/nemo_agent/me/{sid}/latest").json()
    assert body["code"] == 0
    return dict(body["data"])


# -- sessions, state, credits -------------------------------------------------------------------
def test_create_session_and_state_shapes(local_backend: str) -> None:
    acct = account(local_backend)
    body = acct.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "My Video"}).json()
    assert body["code"] == 0
    data = body["data"]
    assert re.fullmatch(r"[1-9]\d{18}", data["session_id"])
    assert re.fullmatch(r"task_[0-9a-f]+", data["task_id"])
    assert data["user_id"] == acct.user_id
    meta = state_meta(acct, data["session_id"])
    assert meta["session_id"] == data["session_id"] and meta["task_id"] == data["task_id"]
    assert meta["task_name"] == "My Video" and meta["user_id"] == acct.user_id
    st = meta["state"]
    assert isinstance(st, dict)
    assert {"video_infos", "draft", "canvas_config", "video_analyses", "generated_media"} <= set(st)
    assert st["draft"]["t"] == [] and st["video_infos"] == []
    # The real user id works in place of "me".
    real = acct.get(f"/api/state/nemo_agent/{acct.user_id}/{data['session_id']}/latest").json()
    assert real["code"] == 0


def test_unknown_or_foreign_session_is_code_1002(local_backend: str) -> None:
    alice, bob = account(local_backend, "alice"), account(local_backend, "bob")
    sid = new_session(alice)
    for path in (
        "/api/state/nemo_agent/me/1234567890123456789/latest",
        f"/api/state/nemo_agent/me/{sid}/latest",
        "/api/state/nemo_agent/me/../latest",
    ):
        r = bob.get(path)
        if r.status_code == 404:  # a path that is not a route at all
            continue
        assert r.status_code == 200 and r.json()["code"] == 1002, path
    chat_r = chat(bob, sid, "hello")
    assert chat_r.body is not None and chat_r.body["code"] == 1002


def test_credits_shape(local_backend: str) -> None:
    acct = account(local_backend)
    assert credits(acct) == {"available": 500, "frozen": 0, "total": 500}


# -- chat ---------------------------------------------------------------------------------------
def _assert_adk_event(event: dict[str, object]) -> None:
    for key in event:
        assert CAMEL_KEY.match(key), f"non-camelCase key {key!r}"
    assert event["author"] == "nemo_agent"
    assert isinstance(event["invocationId"], str) and isinstance(event["id"], str)
    assert isinstance(event["timestamp"], float)
    actions = event["actions"]
    assert isinstance(actions, dict)
    assert {"stateDelta", "artifactDelta", "requestedAuthConfigs"} <= set(actions)
    for key in actions:
        assert CAMEL_KEY.match(key)
    content = event["content"]
    assert isinstance(content, dict) and content["role"] in ("model", "user")
    for part in content["parts"]:
        assert set(part) <= {"text", "functionCall", "functionResponse"}
        for inner in ("functionCall", "functionResponse"):
            if inner in part:
                assert set(part[inner]) <= {"id", "name", "args", "response"}


def test_generation_stream_is_adk_camelcase_and_updates_state(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    turn = chat(acct, sid, "generate a futuristic city at sunset, cinematic, 16:9")
    assert turn.status == 200 and turn.content_type.startswith("text/event-stream")
    assert turn.heartbeats >= 2  # one per working stage at least
    for event in turn.events:
        _assert_adk_event(event)
    assert turn.calls() == ["generate_video", "edit_multitrack"]
    gen_call = next(e for e in turn.events if "functionCall" in e["content"]["parts"][0])
    call_id = gen_call["content"]["parts"][0]["functionCall"]["id"]
    assert gen_call["longRunningToolIds"] == [call_id]
    responses = [e for e in turn.events if "functionResponse" in e["content"]["parts"][0]]
    assert all(e["content"]["role"] == "user" for e in responses)
    assert "draft" in responses[0]["actions"]["stateDelta"]
    assert "canvas_config" in responses[0]["actions"]["stateDelta"]
    # Partial chunks add up to the aggregated texts, which are not partial.
    assert turn.partial_text == "".join(turn.final_texts)
    assert "Export" in turn.final_texts[-1]
    st = state(acct, sid)
    draft = st["draft"]
    assert draft == responses[-1]["actions"]["stateDelta"]["draft"]
    kinds = {t["tt"]: [s["kind"] for s in t["sg"]] for t in draft["t"]}
    assert kinds == {0: ["generated"], 1: ["bgm"], 7: ["title"]}
    clip = draft["t"][0]["sg"][0]
    assert {"id", "label", "prompt", "style", "seed", "start_ms", "duration_ms"} <= set(clip)
    assert clip["style"] == "cinematic" and draft["d"] == clip["duration_ms"] == 10000
    assert st["canvas_config"]["aspect_ratio"] == "16:9"
    assert credits(acct) == {"available": 400, "frozen": 0, "total": 400}


def test_generation_credits_are_frozen_during_the_run(tmp_path: Path) -> None:
    with backend(tmp_path / "b", stage_delay=0.4) as url:
        acct = account(url)
        sid = new_session(acct)
        headers = acct.headers
        with acct.http.stream(
            "POST",
            "/run_sse",
            json={
                "session_id": sid,
                "user_id": "me",
                "app_name": "nemo_agent",
                "new_message": {"parts": [{"text": "generate a forest"}]},
            },
            headers=headers,
        ) as r:
            lines = r.iter_lines()
            next(line for line in lines if "functionCall" in line)
            assert credits(acct) == {"available": 400, "frozen": 100, "total": 500}
            for _ in lines:
                pass
        assert credits(acct) == {"available": 400, "frozen": 0, "total": 400}


def test_insufficient_credits_is_2001_json_before_the_turn(tmp_path: Path) -> None:
    with backend(tmp_path / "b", credits=105) as url:
        acct = account(url)
        sid = new_session(acct)
        assert chat(acct, sid, "generate a calm lake").events
        refused = chat(acct, sid, "generate another lake")
        assert refused.status == 200 and refused.content_type.startswith("application/json")
        assert refused.body is not None
        assert refused.body["code"] == 2001
        assert refused.body["data"]["user_id"] == acct.user_id
        assert "100" in refused.body["message"]
        assert credits(acct) == {"available": 5, "frozen": 0, "total": 5}
        edit = chat(acct, sid, "add music")  # an edit costs 10
        assert edit.body is not None and edit.body["code"] == 2001
        help_reply = chat(acct, sid, "what can you do?")  # text replies are free
        assert help_reply.final_texts


def test_silent_closes_follow_the_seed(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    agent = ScriptedAgent(LocalOptions(seed=7, silent_close_rate=0.3))
    pattern = []
    for turn_index in range(10):
        turn = chat(acct, sid, "add music")
        expected = agent.plan({}, "add music", session_id=sid, turn_index=turn_index).silent
        has_text = bool(turn.final_texts)
        assert has_text == (not expected), turn_index
        assert turn.calls() == ["edit_multitrack"]  # tool events either way
        pattern.append(expected)
    assert credits(acct)["available"] == 500 - 10 * 10
    assert state(acct, sid)["draft"]["t"][0]["sg"][0]["kind"] == "bgm"


def test_bad_run_body_is_422(local_backend: str) -> None:
    acct = account(local_backend)
    r = acct.post("/run_sse", json={"session_id": "1"})
    assert r.status_code == 422 and "detail" in r.json()
    r = acct.post("/run_sse", content=b"not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_camelcase_request_fields_are_accepted(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    body = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": sid,
        "newMessage": {"parts": [{"text": "hi"}]},
    }
    r = acct.post("/run_sse", json=body)
    assert r.status_code == 200 and r.text.startswith("data: ")


def test_bench_stream(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    turn = chat(acct, sid, "/bench-stream 500")
    partials = [e for e in turn.events if e.get("partial")]
    assert len(partials) == 500 and len(turn.events) == 501
    for event in turn.events:
        _assert_adk_event(event)
    assert len({e["id"] for e in turn.events}) == 501
    text = turn.final_texts[0]
    assert text == turn.partial_text
    assert "## " in text and "\n- " in text and "```" in text
    assert credits(acct)["available"] == 500


# -- uploads ------------------------------------------------------------------------------------
def test_upload_files_streams_probes_and_adds_segments(local_backend: str, tmp_path: Path) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    png = make_png(tmp_path / "photo.png", (40, 30))
    mp4 = make_mp4(tmp_path / "clip.mp4", frames=24, fps=12)
    with png.open("rb") as a, mp4.open("rb") as b:
        r = acct.post(
            f"/api/upload-video/nemo_agent/me/{sid}",
            files=[
                ("files", ("photo.png", a, "image/png")),
                ("files", ("clip.mp4", b, "video/mp4")),
            ],
        )
    body = r.json()
    assert r.status_code == 200 and body["code"] == 0, body
    assert body["data"]["session_state_applied"] is True
    image, video = body["data"]["files"]
    assert image["file_type"] == "image" and (image["width"], image["height"]) == (40, 30)
    assert image["hash"] == sha256(png)
    assert video["file_type"] == "video" and (video["width"], video["height"]) == (64, 48)
    assert video["fps"] == 12 and video["duration"] == pytest.approx(2.0, abs=0.15)
    assert video["hash"] == sha256(mp4)
    assert image["cdn_url"] == f"{local_backend}/files/{sid}/photo.png"
    public = httpx.get(video["cdn_url"])  # no token needed
    assert public.status_code == 200 and public.content == mp4.read_bytes()
    st = state(acct, sid)
    assert [v["filename"] for v in st["video_infos"]] == ["photo.png", "clip.mp4"]
    segs = st["draft"]["t"][0]["sg"]
    assert [s["kind"] for s in segs] == ["image", "video"]
    assert segs[0]["duration_ms"] == 4000 and segs[1]["start_ms"] == 4000
    assert segs[1]["src"] == video["cdn_url"]
    assert st["draft"]["d"] == 4000 + segs[1]["duration_ms"]
    # The single `file` field works too, and a second upload of the same name gets a new name.
    with png.open("rb") as a:
        again = acct.post(
            f"/api/upload-video/nemo_agent/me/{sid}", files={"file": ("photo.png", a, "image/png")}
        ).json()
    assert again["code"] == 0 and again["data"]["files"][0]["filename"] == "photo-1.png"


def test_upload_bad_extension_is_4001_and_leaves_nothing(
    local_backend: str, backend_dir: Path, tmp_path: Path
) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    png = make_png(tmp_path / "ok.png")
    with png.open("rb") as a:
        r = acct.post(
            f"/api/upload-video/nemo_agent/me/{sid}",
            files=[
                ("files", ("ok.png", a, "image/png")),
                ("files", ("notes.txt", b"hello", "text/plain")),
            ],
        )
    body = r.json()
    assert r.status_code == 200 and body["code"] == 4001
    assert "notes.txt" in body["message"] and "MP4" in body["message"]
    assert list((backend_dir / "files" / sid).iterdir()) == []
    fake = acct.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        files={"files": ("fake.mp4", b"nonsense", "video/mp4")},
    ).json()
    assert fake["code"] == 4001 and "fake.mp4" in fake["message"]
    assert list((backend_dir / "files" / sid).iterdir()) == []
    assert state(acct, sid)["video_infos"] == []


def test_upload_too_large_is_4002_and_deletes_the_partial_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    with backend(data_dir, max_upload_bytes=64 * 1024) as url:
        acct = account(url)
        sid = new_session(acct)
        big = b"\0" * (300 * 1024)
        r = acct.post(
            f"/api/upload-video/nemo_agent/me/{sid}", files={"files": ("big.png", big, "image/png")}
        )
        body = r.json()
        assert r.status_code == 200 and body["code"] == 4002
        assert "big.png" in body["message"]
        assert list((data_dir / "files" / sid).iterdir()) == []


def test_upload_urls_are_recorded_not_fetched(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    body = acct.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        json={
            "urls": ["https://example.com/media/sky.mp4", "https://example.com/a.webp"],
            "source_type": "url",
        },
    ).json()
    assert body["code"] == 0
    files = body["data"]["files"]
    assert [(f["filename"], f["file_type"]) for f in files] == [
        ("sky.mp4", "video"),
        ("a.webp", "image"),
    ]
    assert files[0]["cdn_url"] == "https://example.com/media/sky.mp4"
    assert len(state(acct, sid)["video_infos"]) == 2
    bad = acct.post(
        f"/api/upload-video/nemo_agent/me/{sid}", json={"urls": ["https://example.com/x.exe"]}
    ).json()
    assert bad["code"] == 4001


# -- persistence --------------------------------------------------------------------------------
def test_state_persists_across_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    png = make_png(tmp_path / "still.png")
    with backend(data_dir) as url:
        acct = account(url, "persist")
        sid = new_session(acct)
        chat(acct, sid, "generate a watercolor garden")
        with png.open("rb") as fh:
            acct.post(f"/api/upload-video/nemo_agent/me/{sid}", files={"files": ("still.png", fh)})
        before = state(acct, sid)
        token = acct.token
    with backend(data_dir) as url2:
        http = httpx.Client(base_url=url2)
        again = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "persist"}).json()
        assert again["data"]["token"] == token
        acct2 = Account(
            http,
            token,
            acct.user_id,
            "persist",
            {"Authorization": f"Bearer {token}", **SKILL_HEADERS},
        )
        after = state(acct2, sid)
        assert after["draft"]["t"][0]["sg"][0] == before["draft"]["t"][0]["sg"][0]
        assert after["generated_media"] == before["generated_media"]
        image = after["draft"]["t"][0]["sg"][1]
        assert image["src"] == f"{url2}/files/{sid}/still.png"
        assert httpx.get(image["src"]).content == png.read_bytes()
        assert after["video_infos"][0]["cdn_url"] == image["src"]
        assert credits(acct2)["available"] == 400


# -- renders ------------------------------------------------------------------------------------
def test_render_submit_poll_download_with_range(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    r = submit(acct, sid, "render_t1", tiny_draft(0.5))
    body = r.json()
    assert r.status_code == 200 and body["success"] is True
    assert body["data"]["id"] == "render_t1" and body["data"]["status"] == "pending"
    assert isinstance(body["data"]["createdAt"], int)
    done, seen = wait_render(acct, "render_t1")
    assert done["status"] == "completed", done
    assert done["progress"] == 100 and done["completedAt"] >= done["createdAt"]
    assert done["outputUrl"] == f"{local_backend}/renders/render_t1.mp4"
    assert all(0 <= p["progress"] <= 100 for p in seen)
    assert [p["progress"] for p in seen] == sorted(p["progress"] for p in seen)
    public = httpx.get(done["outputUrl"])
    assert public.status_code == 200 and public.content[4:8] == b"ftyp"
    ranged = acct.get("/api/render/proxy/render_t1/download", headers={"Range": "bytes=100-299"})
    assert ranged.status_code == 206
    assert ranged.content == public.content[100:300]
    assert ranged.headers["content-range"] == f"bytes 100-299/{len(public.content)}"
    unauth = httpx.get(f"{local_backend}/api/render/proxy/render_t1/download")
    assert unauth.json()["code"] == 1001


def test_render_errors(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    empty = submit(acct, sid, "render_e1", {"t": [{"tt": 0, "sg": []}]})
    assert empty.status_code == 400 and empty.json()["success"] is False
    assert "segments" in empty.json()["error"]
    # Without a draft the session's own (empty) draft is used.
    no_draft = acct.post("/api/render/proxy/lambda", json={"id": "render_e2", "sessionId": sid})
    assert no_draft.status_code == 400
    unknown_session = submit(acct, "1" * 19, "render_e3", tiny_draft())
    assert unknown_session.json()["code"] == 1002
    missing = acct.get("/api/render/proxy/lambda/render_nope")
    assert missing.status_code == 404 and missing.json()["success"] is False
    assert submit(acct, sid, "render_dup", tiny_draft(0.5)).status_code == 200
    dup = submit(acct, sid, "render_dup", tiny_draft(0.5))
    assert dup.status_code == 409 and "already exists" in dup.json()["error"]
    wait_render(acct, "render_dup")


def test_render_402_without_skill_headers_when_out_of_credits(tmp_path: Path) -> None:
    with backend(tmp_path / "b", credits=0) as url:
        acct = account(url)
        sid = new_session(acct)
        bare = {"Authorization": f"Bearer {acct.token}"}
        body = {"id": "render_p1", "sessionId": sid, "draft": tiny_draft(0.5)}
        blocked = httpx.post(f"{url}/api/render/proxy/lambda", json=body, headers=bare)
        assert blocked.status_code == 402 and blocked.json()["success"] is False
        allowed = acct.post("/api/render/proxy/lambda", json=body)
        assert allowed.status_code == 200
        acct.post("/api/render/proxy/lambda/render_p1/cancel")


def test_two_concurrent_renders_finish(local_backend: str) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    assert submit(acct, sid, "render_c1", tiny_draft(1.0)).status_code == 200
    assert submit(acct, sid, "render_c2", tiny_draft(1.0, title="Two")).status_code == 200
    first, _ = wait_render(acct, "render_c1")
    second, _ = wait_render(acct, "render_c2")
    assert first["status"] == second["status"] == "completed"
    a = httpx.get(first["outputUrl"]).content
    b = httpx.get(second["outputUrl"]).content
    assert a[4:8] == b[4:8] == b"ftyp" and a != b


def test_other_routes_answer_during_a_render_and_cancel_stops_it(
    local_backend: str, backend_dir: Path
) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    submit(acct, sid, "render_x", tiny_draft(20.0))
    wait_render(acct, "render_x", until=("processing",))
    # While it renders, the event loop keeps serving everything else.
    assert credits(acct)["available"] == 500
    assert chat(acct, sid, "/bench-stream 50").final_texts
    assert state(acct, sid)["video_infos"] == []
    assert poll(acct, "render_x")["status"] == "processing"
    r = acct.post("/api/render/proxy/lambda/render_x/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
    assert poll(acct, "render_x")["status"] == "cancelled"
    assert acct.get("/api/render/proxy/render_x/download").status_code == 409
    assert httpx.get(f"{local_backend}/renders/render_x.mp4").status_code == 409
    # The worker process stops: its control files are cleaned up and no output appears.
    renders = backend_dir / "renders"
    deadline = time.monotonic() + 30
    while (renders / "render_x.owner").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in renders.iterdir()) == ["render_x.json"]


def test_unfinished_renders_rerun_after_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    with backend(data_dir, render_workers=1) as url:
        acct = account(url, "rerun")
        sid = new_session(acct)
        submit(acct, sid, "render_r1", tiny_draft(20.0))
        submit(acct, sid, "render_r2", tiny_draft(0.5))
        assert poll(acct, "render_r2")["status"] == "pending"
    with backend(data_dir) as url2:
        acct2 = account(url2, "rerun")
        acct2.post("/api/render/proxy/lambda/render_r1/cancel")
        done, _ = wait_render(acct2, "render_r2")
        assert done["status"] == "completed"
        assert httpx.get(done["outputUrl"]).content[4:8] == b"ftyp"


def test_public_files_route_refuses_unknown_paths(local_backend: str) -> None:
    assert httpx.get(f"{local_backend}/files/1234567890123456789/nothing.png").status_code == 404
    assert httpx.get(f"{local_backend}/files/abc/x.png").status_code == 404
    assert httpx.get(f"{local_backend}/renders/nothing.mp4").status_code == 404


def test_renders_run_by_another_live_process_are_left_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    with backend(data_dir) as url:
        acct = account(url, "owner")
        sid = new_session(acct)
        submit(acct, sid, "render_o1", tiny_draft(20.0))
        wait_render(acct, "render_o1", until=("processing",))
    # As if another backend process (pid 1: always alive) were still rendering it.
    owner = data_dir / "renders" / "render_o1.owner"
    owner.write_text("1")
    with backend(data_dir) as url2:
        assert owner.read_text() == "1"
        acct2 = account(url2, "owner")
        assert poll(acct2, "render_o1")["status"] == "processing"
        cancelled = acct2.post("/api/render/proxy/lambda/render_o1/cancel").json()
        assert cancelled["data"]["status"] == "cancelled"


def test_serve_logs_its_url_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from artgen_tui.local.options import LocalOptions\n"
        "from artgen_tui.local.runner import serve\n"
        "serve(Path(sys.argv[1]), LocalOptions(), '127.0.0.1', 0)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "served")], stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().rstrip("\n")
        match = re.fullmatch(r"artgen local backend on (http://127\.0\.0\.1:\d+)  data: (.+)", line)
        assert match, line
        assert match.group(2) == str(tmp_path / "served")
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(match.group(1) + "/").json()["code"] == 0
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stop_ends_open_streams_cleanly_and_refunds_the_turn(tmp_path: Path) -> None:
    data_dir = tmp_path / "b"
    running = LocalBackend(data_dir, options=fast_options(stage_delay=60.0)).start()
    try:
        acct = account(running.url)
        sid = new_session(acct)
        started = threading.Event()
        outcome: list[str] = []

        def read() -> None:
            try:
                with acct.http.stream(
                    "POST", "/run_sse", json=run_body(sid, "generate a lake"), headers=acct.headers
                ) as r:
                    for line in r.iter_lines():
                        if "functionCall" in line:
                            started.set()
                outcome.append("closed")
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)
            finally:
                started.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert started.wait(30)
        assert credits(acct)["frozen"] == 100
    finally:
        running.stop()
    reader.join(30)
    assert outcome == ["closed"]
    with backend(data_dir) as url:
        assert credits(account(url)) == {"available": 500, "frozen": 0, "total": 500}


def test_options_from_settings() -> None:
    from artgen_tui.config import LocalBackendSettings

    settings = LocalBackendSettings(
        credits=42,
        stage_delay=0.5,
        heartbeat_interval=2.0,
        silent_close_rate=0.1,
        seed=3,
        faults="rate_limit=1",
    )
    options = LocalOptions.from_settings(settings)
    assert (options.credits, options.stage_delay, options.heartbeat_interval) == (42, 0.5, 2.0)
    assert (options.silent_close_rate, options.seed, options.faults) == (0.1, 3, "rate_limit=1")
    assert options.render_workers == 2 and options.token_ip_limit == 50


def test_concurrent_uploads_of_one_name_get_distinct_names(
    local_backend: str, tmp_path: Path
) -> None:
    acct = account(local_backend)
    sid = new_session(acct)
    png = make_png(tmp_path / "same.png").read_bytes()
    names: list[str] = []

    def upload() -> None:
        with httpx.Client(base_url=local_backend, headers=acct.headers) as http:
            body = http.post(
                f"/api/upload-video/nemo_agent/me/{sid}", files={"files": ("same.png", png)}
            ).json()
            names.append(body["data"]["files"][0]["filename"])

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(names) == ["same-1.png", "same-2.png", "same-3.png", "same.png"]
    assert len(state(acct, sid)["draft"]["t"][0]["sg"]) == 4


def test_listening_socket_is_tcp_so_replies_are_not_delayed_by_nagle() -> None:
    """asyncio sets TCP_NODELAY only on sockets it knows are TCP; else each reply waits ~40 ms."""
    import socket

    from artgen_tui.local.runner import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_an_abandoned_upload_is_dropped_quietly(
    local_backend: str, backend_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that hangs up mid-upload leaves no file and no traceback in the server's log."""
    acct = account(local_backend)
    sid = new_session(acct)
    url = urlsplit(local_backend)
    boundary = "b0undary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="clip.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    request = (
        f"POST /api/upload-video/nemo_agent/me/{sid} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        f"Authorization: Bearer {acct.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + 10_000_000}\r\n\r\n"
    ).encode()
    assert url.hostname and url.port
    with caplog.at_level(logging.INFO):
        with socket.create_connection((url.hostname, url.port)) as conn:
            conn.sendall(request + head + b"\0" * 200_000)
            time.sleep(0.3)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any("upload abandoned" in r.getMessage() for r in caplog.records):
                break
            time.sleep(0.05)
    assert any("upload abandoned" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert state(acct, sid)["video_infos"] == []
    assert list((backend_dir / "files" / sid).glob("*")) == []
