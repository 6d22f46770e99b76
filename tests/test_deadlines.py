"""Deadlines of the client's own: a slow, endless or stalling service cannot hold a command.

Each test runs ``artgen`` as a subprocess against the real local backend behind the hostile
proxy, with small configured deadlines (see ``hostile_cli.SMALL_DEADLINES``). The time bounds
are generous functional bounds (a 2 s deadline must end a slow drip within ~10-20 s), not
benchmarks.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hostile_cli import GENERATE, artgen, rig

pytestmark = pytest.mark.slow


def test_a_huge_retry_after_ends_the_command_naming_the_wait(tmp_path: Path) -> None:
    with rig(tmp_path, "huge_retry_after") as r:
        ran = artgen("credits", "--no-json", url=r.url)
    assert ran.returncode == 2, ran.stderr
    assert "asked to wait 3 h; try again later" in ran.stderr
    assert ran.clean and ran.seconds < 20


def test_a_json_answer_dripping_byte_by_byte_ends_at_the_deadline(tmp_path: Path) -> None:
    with rig(tmp_path, "drip_json") as r:
        ran = artgen("credits", "--no-json", url=r.url)
    assert ran.returncode == 2, ran.stderr
    assert "did not arrive within 2 s" in ran.stderr
    assert ran.clean and ran.seconds < 20


def test_a_dripping_reply_stream_is_dropped_and_the_session_checked(tmp_path: Path) -> None:
    with rig(tmp_path, "drip_sse") as r:
        ran = artgen("chat", "hello", "--no-json", url=r.url)
    assert ran.returncode == 0, ran.stderr
    assert "Connection dropped, checking…" in ran.stderr
    assert "connection dropped before the agent finished" in ran.stdout
    assert ran.clean and ran.seconds < 25


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        ("keepalive_drip", "nothing but keep-alives came for 3 s"),
        ("heartbeat_forever", "the reply went on for more than 6 s"),
    ],
)
def test_a_reply_of_nothing_but_keep_alives_ends_the_turn(
    tmp_path: Path, spoil: str, says: str
) -> None:
    with rig(tmp_path, spoil) as r:
        ran = artgen(
            "chat", "hello", "--no-json", url=r.url,
            env={"ARTGEN_NETWORK__STREAM_EVENT_IDLE": "3", "ARTGEN_NETWORK__TURN_DEADLINE": "6"},
        )  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    assert f"The reply stream stalled: {says}." in ran.stderr
    assert "The agent may still be working" in ran.stderr
    assert ran.clean and ran.seconds < 25


def test_the_agents_heartbeats_keep_a_long_quiet_stage_going(tmp_path: Path) -> None:
    # Each stage works 2.5 s in silence but for a heartbeat every 0.3 s: longer than the 1 s
    # the stream may go without an event, so only the heartbeats keep the turn alive.
    with rig(tmp_path, stage_delay=2.5, heartbeat_interval=0.3) as r:
        ran = artgen(
            "chat", GENERATE, "--no-json", url=r.url,
            env={
                "ARTGEN_NETWORK__STREAM_EVENT_IDLE": "1",
                "ARTGEN_NETWORK__STREAM_IDLE": "1",
                "ARTGEN_NETWORK__TURN_DEADLINE": "120",
            },
        )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "stalled" not in ran.stderr and "Connection dropped" not in ran.stderr
    assert "connection dropped" not in ran.stdout
    assert ran.clean


@pytest.mark.parametrize("fast", ["true", "false"])
def test_a_dripping_download_fails_at_the_minimum_rate_and_saves_nothing(
    tmp_path: Path, fast: str
) -> None:
    with rig(tmp_path, "drip_download") as r:
        r.timeline()
        ran = artgen(
            "export", "--wait", "-o", "out.mp4", "--resolution", "360p", "--no-json",
            url=r.url, cwd=tmp_path,
            env={"ARTGEN_FAST_DOWNLOADS": fast, "ARTGEN_NETWORK__RENDER_WAIT": "120"},
        )  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    assert "bytes/s" in ran.stderr
    assert not (tmp_path / "out.mp4").exists()
    assert ran.clean and ran.seconds < 40


@pytest.mark.parametrize("spoil", ["render_forever", "render_unknown", "render_null"])
def test_export_wait_is_bounded_and_says_the_render_goes_on(tmp_path: Path, spoil: str) -> None:
    with rig(tmp_path, spoil) as r:
        r.timeline()
        ran = artgen("export", "--wait", "--no-json", url=r.url, cwd=tmp_path)
        assert len(r.renders()) == 1
    assert ran.returncode == 2, ran.stderr
    assert "artgen jobs resume" in ran.stderr
    assert ran.clean and ran.seconds < 30


def test_jobs_resume_is_bounded_per_render_and_names_each_one_still_going(
    tmp_path: Path,
) -> None:
    with rig(tmp_path, "render_forever") as r:
        r.timeline()
        for _ in range(2):
            sent = artgen("export", "--no-json", url=r.url, cwd=tmp_path)
            assert sent.returncode == 0, sent.stderr
        ran = artgen("jobs", "resume", "--no-json", url=r.url, cwd=tmp_path)
        assert len(r.renders()) == 2
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.count("the render goes on on the server") == 2, ran.stderr
    assert "artgen jobs resume" in ran.stderr
    assert ran.clean and ran.seconds < 40


def test_a_batch_item_whose_render_never_ends_fails_in_bounded_time(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (96, 64), (200, 30, 30)).save(tmp_path / "red.png")
    items = tmp_path / "items.jsonl"
    items.write_text('{"file": "red.png", "prompt": "add title \\"Red\\"", "output": "red.mp4"}\n')
    with rig(tmp_path, "render_forever") as r:
        ran = artgen("batch", str(items), "--out-dir", str(tmp_path / "out"), "--no-json", "--yes",
                     url=r.url, cwd=tmp_path)  # fmt: skip
        assert len(r.renders()) == 1
    assert ran.returncode == 2, ran.stderr
    assert "the render goes on on the server" in ran.stderr + ran.stdout
    assert not (tmp_path / "out" / "red.mp4").exists()
    assert ran.clean and ran.seconds < 40


REMOTE = "http://artgen-remote.test"
"""A name that is not loopback (``.test`` never resolves): the proxy is reached as HTTP_PROXY."""


@pytest.mark.parametrize("remote", [True, False])
def test_export_status_polls_back_off_on_a_remote_host_and_not_on_loopback(
    tmp_path: Path, remote: bool
) -> None:
    with rig(tmp_path, "render_forever") as r:
        env = {
            "ARTGEN_NETWORK__REMOTE_POLL_INTERVAL": "0.3",
            "ARTGEN_NETWORK__REMOTE_POLL_MAX": "1",
            "ARTGEN_RENDER_POLL_INTERVAL": "0.1",
            "ARTGEN_NETWORK__RENDER_WAIT": "5",
        }
        if remote:
            env.update(HTTP_PROXY=r.url, http_proxy=r.url, NO_PROXY="", no_proxy="")
        url = REMOTE if remote else r.url
        made = artgen("chat", GENERATE, url=url, env=env)
        assert made.returncode == 0, made.stderr
        ran = artgen("export", "--wait", "--no-json", url=url, cwd=tmp_path, env=env)
        polls = [ex.at for ex in r.proxy.exchanges if "/lambda/" in ex.path]
        hosts = {ex.request_headers.get("host", "") for ex in r.proxy.exchanges}
    assert ran.returncode == 2 and "the render goes on" in ran.stderr, ran.stderr
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    if remote:
        assert hosts == {"artgen-remote.test"}, hosts
        # 0.3 s, then ×1.5 each time up to 1 s: about 7 polls in 5 s, each gap no shorter.
        assert 4 <= len(polls) <= 9, gaps
        assert gaps[0] >= 0.25 and gaps[-1] >= 0.9, gaps
        assert all(b >= a - 0.1 for a, b in itertools.pairwise(gaps)), gaps
    else:
        assert len(polls) >= 20, gaps  # every 0.1 s
