"""Recoveries the service asks for, at a polite pace: a dropped stream checked at once, a late
state write caught, a refused client id replaced, a 429 explained once, export polls spaced."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from hostile import Exchange, HostileProxy, Mode, refuse_client_id_once
from hostile_cli import GENERATE, artgen, rig
from local_http import backend
from starlette.responses import Response

from artgen_tui.config import load_settings
from artgen_tui.core import conversation as conv
from artgen_tui.core.credentials import CredentialStore
from artgen_tui.core.polling import Cadence, is_loopback
from artgen_tui.core.workspace import Workspace

DEFAULT_DELAYS = "[0, 1, 2, 5, 10, 30]"


@pytest.mark.slow
def test_chat_after_a_dropped_stream_answers_within_seconds(tmp_path: Path) -> None:
    with backend(tmp_path / "b", stage_delay=0.3, silent_close_rate=0.0) as url:
        httpx.post(f"{url}/_faults", content="drop_stream=1").raise_for_status()
        ran = artgen(
            "chat", GENERATE, "--no-json", url=url,
            env={"ARTGEN_NETWORK__RECOVERY_DELAYS": DEFAULT_DELAYS},
        )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "Connection dropped, checking…" in ran.stderr
    assert conv.INTERRUPTED_NOTE.split(";")[0] in ran.stdout
    assert "Traceback" not in ran.stderr
    assert ran.seconds < 20  # was about 270 s: 30 s, then 60 s between checks


async def test_the_drop_is_said_at_once_before_any_catch_up_poll(tmp_path: Path) -> None:
    with backend(tmp_path / "b", stage_delay=0.3) as url:
        async with Workspace(load_settings(api_url=url)) as ws:
            await ws.ready()
            httpx.post(f"{url}/_faults", content="drop_stream=1").raise_for_status()
            events = [e async for e in conv.run_turn(ws, GENERATE, recovery_delays=(0.05, 0.1))]
    dropped = [i for i, e in enumerate(events) if isinstance(e, conv.StreamDropped)]
    assert len(dropped) == 1
    beats = [i for i, e in enumerate(events) if isinstance(e, conv.Heartbeat)]
    later = [i for i in beats if i > dropped[0]]
    assert later, "the catch-up polls come after the line"
    assert events[-1].interrupted  # type: ignore[union-attr]


def late_write(proxy: HostileProxy, late: float) -> Mode:
    """From now on, state reads during a turn and for ``late`` s after its stream ends show the
    state from before the turn: the service's last write lands after the stream says done."""
    start = len(proxy.exchanges)
    before: list[bytes] = []

    def hook(ex: Exchange) -> Response | None:
        if "/api/state/" not in ex.path:
            return None
        streams = [e for e in proxy.exchanges[start:] if e.path == "/run_sse"]
        if not streams:
            before[:] = [ex.body]
            return None
        last = streams[-1]
        fresh = last.done_at is not None and time.monotonic() - last.done_at >= late
        if fresh or not before:
            return None
        return Response(before[0], status_code=200, headers={"content-type": "application/json"})

    return Mode("late_write", respond=hook)


@pytest.mark.parametrize(("recheck", "seen"), [(0.0, False), (1.0, True)])
async def test_a_turn_that_shows_no_change_is_checked_once_more(
    tmp_path: Path, recheck: float, seen: bool
) -> None:
    with backend(tmp_path / "b", silent_close_rate=1.0) as upstream:
        proxy = HostileProxy(upstream)
        with proxy as url:
            settings = load_settings(api_url=url)
            settings.network.settle_recheck = recheck
            async with Workspace(settings) as ws:
                await ws.ready()
                async for _ in conv.run_turn(ws, GENERATE, record=False):
                    pass
                proxy.set_modes(late_write(proxy, late=0.4))
                await ws.state()  # the state before the edit, as the mode will replay it
                events = [e async for e in conv.run_turn(ws, 'add title "Hello"', record=False)]
    done = events[-1]
    assert isinstance(done, conv.TurnDone)
    assert done.silent
    assert (done.diff is not None and not done.diff.empty) is seen, done.reply


@pytest.mark.slow
def test_a_refused_client_id_is_replaced_and_the_token_request_retried(tmp_path: Path) -> None:
    with rig(tmp_path, refuse_client_id_once()) as r:
        ran = artgen("credits", "--no-json", url=r.url)
        asks = [e for e in r.proxy.exchanges if e.path == "/api/auth/anonymous-token"]
    assert ran.returncode == 0, ran.stderr
    assert "new one" in ran.stderr
    ids = [e.request_headers.get("x-client-id") for e in asks]
    assert len(ids) == 2 and ids[0] != ids[1] and all(ids)
    assert CredentialStore.default(r.url).client_id() == ids[1]


def _always_429(_ex: Exchange) -> Response:
    body = json.dumps({"code": 429, "message": "Too many requests; retry after 1 second."})
    headers = {"content-type": "application/json", "retry-after": "0"}
    return Response(body.encode(), status_code=429, headers=headers)


@pytest.mark.slow
def test_the_rate_limit_message_does_not_repeat_itself(tmp_path: Path) -> None:
    with rig(tmp_path, Mode("always_429", respond=_always_429, match=("/api/credits",))) as r:
        ran = artgen("credits", "--no-json", url=r.url)
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.lower().count("too many requests") == 1, ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("url", "loop"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.9", True),
        ("http://localhost:1234/api", True),
        ("http://[::1]:80", True),
        ("https://mega-api-prod.nemovideo.ai", False),
        ("http://10.0.0.1", False),
        ("not a url", False),
    ],
)
def test_loopback_hosts(url: str, loop: bool) -> None:
    assert is_loopback(url) is loop


def test_export_polls_back_off_on_a_remote_service_and_not_on_loopback() -> None:
    local = Cadence("http://127.0.0.1:5000", 2.0, 5.0, 30.0)
    assert [local.wait() for _ in range(4)] == [2.0, 2.0, 2.0, 2.0]
    remote = Cadence("https://mega-api-prod.nemovideo.ai", 2.0, 5.0, 30.0)
    waits = [remote.wait() for _ in range(8)]
    assert waits[0] == 5.0 and waits == sorted(waits) and waits[-1] == 30.0
    assert remote.wait(retry_after=90.0) == 90.0  # the service's Retry-After wins
    assert local.wait(retry_after=7.0) == 7.0
