"""The embedded backend in a child process (``artgen --local``'s app): known URL at once, served
as soon as the child is up, gone when its parent goes, and a failure reported in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from artgen_tui.local.child import YIELD_NICE, ChildBackend


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_the_url_is_known_at_once_and_answers_once_the_child_is_up(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[local]\ndata_dir = "{tmp_path / "backend"}"\n')
    child = ChildBackend(config).start()
    try:
        assert child.url.startswith("http://127.0.0.1:")
        # Asked before the child serves: the request waits in the backlog, it is not refused.
        answer = httpx.post(
            child.url + "/api/auth/anonymous-token", headers={"X-Client-Id": "t"}, timeout=30
        )
        assert answer.status_code == 200
        assert (tmp_path / "backend").is_dir()
    finally:
        assert child.stop() == ""
    try:
        httpx.get(child.url + "/", timeout=2)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("the backend still answers after stop()")


def test_the_child_goes_when_its_parent_dies(tmp_path: Path) -> None:
    """The parent exits without stopping it (as after a crash or SIGKILL): its stdin closes."""
    code = (
        "import os, sys\n"
        "from artgen_tui.local.child import ChildBackend\n"
        "child = ChildBackend(None).start()\n"
        "print(child._proc.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    env = dict(os.environ, ARTGEN_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30
    )
    pid = int(done.stdout.strip())
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_a_child_that_cannot_start_says_why(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[local]\ncredits = -5\n")
    child = ChildBackend(config).start()
    deadline = time.monotonic() + 20
    while child._proc is not None and child._proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    failure = child.stop()
    assert failure.startswith("the config file: ")
    assert "credits" in failure


def test_the_child_gives_way_to_the_app(tmp_path: Path) -> None:
    """It runs at a lower priority than the app (and, where the scheduler groups by session, so
    does its session), so a busy machine slows the app's start less."""
    child = ChildBackend(tmp_path / "none.toml").start()
    try:
        assert child._proc is not None
        pid = child._proc.pid
        deadline = time.monotonic() + 10
        while os.getpriority(os.PRIO_PROCESS, pid) < YIELD_NICE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 1
        assert os.getpriority(os.PRIO_PROCESS, pid) >= YIELD_NICE
        group = Path(f"/proc/{pid}/autogroup")
        if group.exists():
            assert group.read_text().split()[-1] == str(YIELD_NICE)
    finally:
        child.stop()
