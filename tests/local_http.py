"""Plain-httpx helpers for the local backend tests: accounts, sessions, SSE turns, media fixtures."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

SKILL_HEADERS = {
    "X-Skill-Source": "art-generator",
    "X-Skill-Version": "0.1.0",
    "X-Skill-Platform": "unknown",
}
TINY_OUTPUT = {"format": "mp4", "resolution": "360p", "fps": 12}


def fast_options(**overrides: Any) -> LocalOptions:
    base: dict[str, Any] = {
        "stage_delay": 0.0,
        "heartbeat_interval": 0.05,
        "silent_close_rate": 0.3,
        "seed": 7,
    }
    base.update(overrides)
    return LocalOptions(**base)


@contextmanager
def backend(data_dir: Path, **overrides: Any) -> Iterator[str]:
    """A local backend with fast timings plus ``overrides``; yields its base URL."""
    with LocalBackend(data_dir, options=fast_options(**overrides)) as running:
        yield running.url


@dataclass
class Account:
    http: httpx.Client
    token: str
    user_id: str
    client_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def account(base: str, client_id: str = "client-1") -> Account:
    http = httpx.Client(base_url=base, timeout=60)
    body = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id}).json()
    assert body["code"] == 0, body
    token = body["data"]["token"]
    headers = {"Authorization": f"Bearer {token}", **SKILL_HEADERS}
    return Account(http, token, body["data"]["user_id"], client_id, headers)


def new_session(acct: Account) -> str:
    body = acct.post(
        "/api/tasks/me/with-session/nemo_agent", json={"task_name": "test", "language": "en"}
    ).json()
    assert body["code"] == 0, body
    return str(body["data"]["session_id"])


def run_body(sid: str, text: str) -> dict[str, Any]:
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"role": "user", "parts": [{"text": text}]},
    }


@dataclass
class TurnResult:
    status: int
    content_type: str
    raw: str = ""
    frames: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] | None = None

    @property
    def events(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") != "heartbeat"]

    @property
    def heartbeats(self) -> int:
        return sum(1 for f in self.frames if f == {"type": "heartbeat"})

    @property
    def final_texts(self) -> list[str]:
        return [
            p["text"]
            for e in self.events
            if not e.get("partial") and e.get("content", {}).get("role") == "model"
            for p in e["content"]["parts"]
            if "text" in p
        ]

    @property
    def partial_text(self) -> str:
        return "".join(
            p["text"]
            for e in self.events
            if e.get("partial")
            for p in e["content"]["parts"]
            if "text" in p
        )

    def calls(self) -> list[str]:
        return [
            p["functionCall"]["name"]
            for e in self.events
            for p in e.get("content", {}).get("parts", [])
            if "functionCall" in p
        ]


def chat(acct: Account, sid: str, text: str) -> TurnResult:
    """One ``/run_sse`` turn read to the end; JSON answers land in ``body``."""
    with acct.http.stream("POST", "/run_sse", json=run_body(sid, text), headers=acct.headers) as r:
        ctype = r.headers.get("content-type", "")
        raw = "".join(r.iter_text())
    result = TurnResult(r.status_code, ctype, raw)
    if ctype.startswith("text/event-stream"):
        for block in raw.split("\n\n"):
            if block:
                assert block.startswith("data: ") and "\n" not in block, block[:200]
                result.frames.append(json.loads(block[len("data: ") :]))
    else:
        result.body = json.loads(raw)
    return result


def state(acct: Account, sid: str) -> dict[str, Any]:
    body = acct.get(f"/api/state/nemo_agent/me/{sid}/latest").json()
    assert body["code"] == 0, body
    return dict(body["data"]["state"])


def credits(acct: Account) -> dict[str, int]:
    body = acct.get("/api/credits/balance/simple").json()
    assert body["code"] == 0, body
    return dict(body["data"])


def tiny_draft(seconds: float = 1.0, *, title: str | None = "Hi") -> dict[str, Any]:
    ms = int(seconds * 1000)
    tracks: list[dict[str, Any]] = [
        {
            "tt": 0,
            "id": "trk_video",
            "sg": [
                {
                    "id": "seg_a",
                    "kind": "generated",
                    "start_ms": 0,
                    "duration_ms": ms,
                    "label": "test",
                    "prompt": "a neon test pattern",
                    "style": "neon",
                    "seed": 1,
                    "volume": 1.0,
                }
            ],
        }
    ]
    if title:
        tracks.append(
            {
                "tt": 7,
                "id": "trk_text",
                "sg": [
                    {
                        "id": "seg_t",
                        "kind": "title",
                        "start_ms": 0,
                        "duration_ms": ms,
                        "text": title,
                        "position": "center",
                        "fade_ms": 100,
                    }
                ],
            }
        )
    return {"d": ms, "m": {"width": 640, "height": 360, "fps": 12}, "t": tracks}


def submit(
    acct: Account, sid: str, render_id: str, draft: dict[str, Any], **kw: Any
) -> httpx.Response:
    body = {"id": render_id, "sessionId": sid, "draft": draft, "output": TINY_OUTPUT}
    return acct.post("/api/render/proxy/lambda", json=body, **kw)


def poll(acct: Account, render_id: str) -> dict[str, Any]:
    body = acct.get(f"/api/render/proxy/lambda/{render_id}").json()
    assert body["success"] is True, body
    return dict(body["data"])


def wait_render(
    acct: Account,
    render_id: str,
    *,
    until: tuple[str, ...] = ("completed", "failed", "cancelled"),
    timeout: float = 90.0,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll until the job reaches one of ``until``; returns the last poll and every poll seen."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = poll(acct, render_id)
        seen.append(data)
        if data["status"] in until:
            return data, seen
        time.sleep(0.05)
    raise AssertionError(f"render {render_id} still {seen[-1]['status']} after {timeout} s")


def make_png(path: Path, size: tuple[int, int] = (32, 24)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (200, 40, 90)).save(path)
    return path


def make_mp4(
    path: Path, *, frames: int = 12, fps: int = 12, size: tuple[int, int] = (64, 48)
) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            img = np.full((size[1], size[0], 3), (i * 20) % 255, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode())
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
