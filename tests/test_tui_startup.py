"""``artgen`` paints its first frame before validating the settings (``config_file.LateSettings``):
a config that is valid TOML but not valid settings still stops it with the one-line error and exit
code 1 that a headless command gives, in a real pseudo-terminal, with or without ``--local``."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[P_^X][^\x1b]*\x1b\\|.)"
)


def _in_a_terminal(argv: list[str], env: dict[str, str], timeout: float = 30.0) -> tuple[int, str]:
    """Run ``artgen argv`` on a pty until it exits: its exit code and what it wrote (plain)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    raw = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            chunk = b""
            if ready:
                with contextlib.suppress(OSError):  # EIO: the terminal's other end is closed
                    chunk = os.read(master, 1 << 16)
                raw += chunk
            if not chunk and proc.poll() is not None:
                break
        code = proc.wait(5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        os.close(master)
    return code, _ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")


@pytest.mark.parametrize("local", [False, True], ids=["cloud", "local"])
def test_settings_found_wrong_after_the_first_frame_stop_artgen_with_one_line(
    tmp_path: Path, isolated_home: Path, local: bool
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\nchat_max_messages = 5\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX")}
    env.update(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none", NEMO_API_URL="http://127.0.0.1:9")
    headless = subprocess.run(
        [sys.executable, "-m", "artgen_tui", "--config", str(config), "credits"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert headless.returncode == 1
    (expected,) = headless.stderr.strip().splitlines()
    assert "chat_max_messages" in expected

    code, shown = _in_a_terminal(["--config", str(config), *(["--local"] if local else [])], env)
    assert code == 1
    assert re.findall(r"artgen: .*", shown) == [expected]
