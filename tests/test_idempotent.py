"""An export whose submit had an unknown outcome is never rendered twice.

The hostile proxy passes the first submit of each render id to the real backend (which accepts
it) and then spoils the answer: the connection cut mid-answer, a 502, or an HTML page. The client
sends it again under the SAME id; the backend answers 409 "already exists", and the client
follows that render. The backend's data dir then holds exactly one render.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import Exchange, Mode
from hostile_cli import artgen, rig
from local_http import account, new_session
from starlette.responses import Response

from artgen_tui import paths

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("spoil", ["submit_cut", "submit_5xx", "submit_garbage"])
def test_an_ambiguous_submit_is_sent_again_under_the_same_id(tmp_path: Path, spoil: str) -> None:
    with rig(tmp_path, spoil) as r:
        r.timeline()
        ran = artgen("export", "--json", url=r.url, cwd=tmp_path)
        renders = r.renders()
        submits = [
            json.loads(ex.request_body)["id"]
            for ex in r.proxy.exchanges
            if ex.method == "POST" and ex.path == "/api/render/proxy/lambda"
        ]
    assert ran.returncode == 0, ran.stderr
    assert ran.clean
    assert len(renders) == 1, renders
    assert len(submits) == 2 and submits[0] == submits[1]
    (job,) = [line for line in map(json.loads, ran.stdout.splitlines()) if line["type"] == "job"]
    assert job["id"] == renders[0].stem == submits[0]
    journal = json.loads((paths.state_dir() / "jobs.json").read_text())
    assert [j["id"] for j in journal["jobs"]] == [job["id"]]


def test_the_local_backend_answers_a_repeated_render_id_with_409_exists(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        acct = account(r.url)
        sid = new_session(acct)
        other = account(r.url, client_id="client-2")
        draft = {"t": [{"tt": 0, "sg": [{"tp": "text", "st": 0, "d": 1000, "tx": "Hi"}]}]}
        body = {"id": "render_7_ab", "sessionId": sid, "draft": draft}
        first = acct.post("/api/render/proxy/lambda", json=body)
        again = acct.post("/api/render/proxy/lambda", json=body)
        stranger = other.post("/api/render/proxy/lambda", json=body)
        assert first.status_code == 200, first.text
        assert again.status_code == 409 and "already exists" in again.text
        # another user learns nothing about someone else's render (their session is unknown)
        assert "already exists" not in stranger.text and "render_7_ab" not in stranger.text
        assert len(r.renders()) == 1


def test_the_render_id_is_journaled_before_the_submit_is_sent(tmp_path: Path) -> None:
    seen_at_submit: list[list[str]] = []

    def look(ex: Exchange) -> None:
        if ex.method == "POST" and ex.path == "/api/render/proxy/lambda":
            journal = paths.read_json(paths.state_dir() / "jobs.json")
            seen_at_submit.append([j["id"] for j in journal.get("jobs", [])] if journal else [])
        return None

    with rig(tmp_path, Mode("look", respond=look, match=("/api/render",))) as r:
        r.timeline()
        ran = artgen("export", "--json", url=r.url, cwd=tmp_path)
        (render,) = r.renders()
    assert ran.returncode == 0, ran.stderr
    assert seen_at_submit == [[render.stem]]


def _refuse(ex: Exchange) -> Response | None:
    if ex.method != "POST" or ex.path != "/api/render/proxy/lambda":
        return None
    body = json.dumps({"code": 402, "message": "Export blocked: register to export."})
    return Response(body.encode(), status_code=402, headers={"content-type": "application/json"})


def test_a_refused_submit_leaves_no_job_behind(tmp_path: Path) -> None:
    with rig(tmp_path, Mode("refuse", respond=_refuse, match=("/api/render",))) as r:
        r.timeline()
        ran = artgen("export", "--json", url=r.url, cwd=tmp_path)
    assert ran.returncode == 1, ran.stderr
    assert "Export blocked" in ran.stderr
    journal = paths.read_json(paths.state_dir() / "jobs.json")
    assert journal == {"jobs": []}
