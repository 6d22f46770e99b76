"""``artgen --local`` in a real terminal: tmux at 120×40, keys sent with send-keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import free_port

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server (its own socket), so nothing else on the machine is touched."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=check,
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "artgen", check=False)

    def wait_for(self, *needles: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if all(n in text for n in needles):
                return text
            time.sleep(0.2)
        raise AssertionError(f"never saw {needles!r}; the screen was:\n{text}")


def test_artgen_local_in_tmux(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TEXTUAL_THEME")}
    env.update(
        ARTGEN_HOME=str(tmp_path / "home"),
        ARTGEN_LOCAL__STAGE_DELAY="0",
        ARTGEN_LOCAL__HEARTBEAT_INTERVAL="0.1",
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    tmux = Tmux(f"artgen-test-{os.getpid()}", env)
    command = f"{sys.executable} -m artgen_tui --local"
    tmux.run("new-session", "-d", "-s", "artgen", "-x", "120", "-y", "40", command)
    try:
        tmux.wait_for("Ready", "credits 500 available", timeout=120)
        tmux.run("send-keys", "-t", "artgen", "-l", "generate a neon city at night, 2 seconds")
        tmux.run("send-keys", "-t", "artgen", "Enter")
        screen = tmux.wait_for("is ready", "City At Night", "Video", "Music", timeout=120)
        assert "generate a neon city at night, 2 seconds" in screen
        assert "credits 400 available" in tmux.wait_for("credits 400 available", timeout=30)
        tmux.run("send-keys", "-t", "artgen", "C-q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if "artgen" not in tmux.run("list-sessions", "-F", "#S", check=False):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("artgen did not quit on Ctrl+Q")
    finally:
        tmux.run("kill-server", check=False)


def test_unreachable_server_is_shown_without_a_keypress(tmp_path: Path) -> None:
    """A refused connection fails in milliseconds; the screen must say so on its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TEXTUAL_THEME")}
    url = f"http://127.0.0.1:{free_port()}"
    env.update(
        ARTGEN_HOME=str(tmp_path / "home"),
        NEMO_API_URL=url,
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    tmux = Tmux(f"artgen-test-off-{os.getpid()}", env)
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "artgen",
        "-x",
        "120",
        "-y",
        "40",
        f"{sys.executable} -m artgen_tui",
    )
    try:
        screen = tmux.wait_for("Offline", "Could not reach", timeout=30)
        assert "serve-local" in screen
    finally:
        tmux.run("kill-server", check=False)
