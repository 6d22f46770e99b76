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

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.timeout(300),  # several steps of up to a minute each on a busy machine
]


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

    def type(self, text: str) -> None:
        """Type ``text`` literally, as a person would (then let the app catch up)."""
        self.run("send-keys", "-t", "artgen", "-l", text)
        time.sleep(0.2)

    def keys(self, *names: str) -> None:
        """Press keys one after another (tmux names: ``C-a``, ``Enter``, ``Up``)."""
        for name in names:
            self.run("send-keys", "-t", "artgen", name)
            time.sleep(0.15)

    def prompt_lines(self) -> list[str]:
        """The text inside the prompt box (between its top and bottom edges)."""
        lines = self.screen().splitlines()
        top = max(i for i, ln in enumerate(lines) if ln.startswith("▊▔"))
        bottom = next(i for i in range(top + 1, len(lines)) if lines[i].startswith("▊▁"))
        return [ln.strip("▊ ").split("▎")[0].rstrip() for ln in lines[top + 1 : bottom]]

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
        tmux.wait_for("Ready", "credits 500 available", timeout=60)
        tmux.run("send-keys", "-t", "artgen", "-l", "generate a neon city at night, 2 seconds")
        tmux.run("send-keys", "-t", "artgen", "Enter")
        screen = tmux.wait_for("is ready", "City At Night", "Video", "Music", timeout=60)
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


def _app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TEXTUAL_THEME")}
    env.update(
        ARTGEN_HOME=str(home),
        ARTGEN_LOCAL__STAGE_DELAY="0",
        ARTGEN_LOCAL__HEARTBEAT_INTERVAL="0.1",
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    return env


def test_prompt_edits_like_a_shell_in_tmux(tmp_path: Path) -> None:
    """A new user types a two-line prompt, fixes it with the shell's keys, finishes it in
    $EDITOR, sends it; the next run finds it again with Up."""
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read().rstrip('\\n')\n"
        "open(path, 'w', encoding='utf-8').write(text + ', 2 seconds\\n')\n",
        "utf-8",
    )
    env = _app_env(tmp_path / "home")
    env["EDITOR"] = f"{sys.executable} {editor}"
    tmux = Tmux(f"artgen-test-keys-{os.getpid()}", env)
    command = f"{sys.executable} -m artgen_tui --local"
    tmux.run("new-session", "-d", "-s", "artgen", "-x", "120", "-y", "40", command)
    try:
        tmux.wait_for("Ready", "credits 500 available", "Start from an example", timeout=60)
        tmux.type("generate a neon city")
        tmux.keys("C-j")
        tmux.type("at night in the old rain")
        assert tmux.prompt_lines() == ["generate a neon city", "at night in the old rain"]
        tmux.keys("C-w", "C-w")  # two words back
        tmux.type("rain")
        assert tmux.prompt_lines()[1] == "at night in the rain"
        tmux.keys("C-a", "C-k")  # the second line emptied, the kill kept
        assert tmux.prompt_lines() == ["generate a neon city", ""]
        tmux.keys("C-y", "C-e", "C-u")  # yank it back, then kill it again from the end
        assert tmux.prompt_lines() == ["generate a neon city", ""]
        tmux.keys("C-y")
        assert tmux.prompt_lines() == ["generate a neon city", "at night in the rain"]
        screen = tmux.screen()
        assert "Upload files" not in screen and "Export" not in screen.split("Exports")[0]
        tmux.keys("C-x", "C-e")  # the editor adds ", 2 seconds" and saves
        tmux.wait_for("at night in the rain, 2 seconds", timeout=20)
        tmux.keys("Enter")
        screen = tmux.wait_for("is ready", "credits 400 available", timeout=60)
        assert "generate a neon city" in screen and "at night in the rain, 2 seconds" in screen
        tmux.keys("C-q")
        _wait_gone(tmux)
        tmux.run("new-session", "-d", "-s", "artgen", "-x", "120", "-y", "40", command)
        tmux.wait_for("Ready", timeout=60)
        tmux.keys("Up")
        assert tmux.prompt_lines() == ["generate a neon city", "at night in the rain, 2 seconds"]
        tmux.keys("C-u", "C-r")
        tmux.type("neon")
        tmux.wait_for("reverse search: 'neon'", timeout=10)
        tmux.keys("Escape", "C-u", "BSpace", "C-u")  # search cancelled; the prompt emptied
        assert tmux.prompt_lines() == ["Describe a video · Enter sends · Ctrl+J new line"]
        tmux.run("set-buffer", "pasted one\npasted two\npasted three")
        tmux.run("paste-buffer", "-p", "-t", "artgen")  # a bracketed paste, as a terminal sends
        time.sleep(0.5)
        assert tmux.prompt_lines() == ["pasted one", "pasted two", "pasted three"]
        tmux.keys("C-q")
        _wait_gone(tmux)
    finally:
        tmux.run("kill-server", check=False)


def _wait_gone(tmux: Tmux) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if "artgen" not in tmux.run("list-sessions", "-F", "#S", check=False):
            return
        time.sleep(0.2)
    raise AssertionError("artgen did not quit on Ctrl+Q")
