"""``--log`` / ``ARTGEN_LOG`` and ``artgen doctor``: what a user can send with a bug report.

Driven as a user would: ``artgen serve-local --faults …`` in its own process, ``artgen --log F``
commands against it in others, over loopback HTTP.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from loopback import free_port

TOKEN_LIKE = re.compile(r"nmv_[A-Za-z0-9_\-]{6,}")


def artgen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("NEMO_API_URL", "ARTGEN_LOG")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=90,
        check=False,
    )


@contextlib.contextmanager
def serve_local(data_dir: Path, faults: str) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, ARTGEN_LOCAL__STAGE_DELAY="0", ARTGEN_LOCAL__HEARTBEAT_INTERVAL="0.05")
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", "serve-local", "--port", str(port),
         "--data-dir", str(data_dir), "--faults", faults],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/renders/none.mp4", timeout=1)  # never rate limited
                break
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "serve-local did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def saved_tokens(home: Path) -> list[str]:
    return [
        json.loads(p.read_text("utf-8"))["token"]
        for p in home.rglob("tokens/*.json")
        if p.is_file()
    ]


def test_log_file_records_the_recoveries_without_tokens(
    tmp_path: Path, isolated_home: Path
) -> None:
    log = tmp_path / "logs" / "artgen.log"
    with serve_local(tmp_path / "be", "rate_limit=1,expire_token=1") as url:
        first = artgen("--log", str(log), "credits", "--json", env={"NEMO_API_URL": url})
        assert first.returncode == 0, first.stderr
        chat = artgen("--log", str(log), "chat", "hello", "--json", env={"NEMO_API_URL": url})
        assert chat.returncode == 0, chat.stderr
    text = log.read_text("utf-8")
    assert "Rate limited; retrying in" in text
    assert "Token expired; getting a new anonymous token." in text
    assert "token renewed" in text
    assert " INFO artgen_tui.api: " in text  # recoveries are at info, named by their layer
    tokens = saved_tokens(isolated_home)
    assert tokens, "the client saved no token: the check below would prove nothing"
    for token in tokens:
        assert token not in text
    assert TOKEN_LIKE.search(text) is None, TOKEN_LIKE.search(text)
    assert (log.stat().st_mode & 0o777) == 0o600


def test_artgen_log_environment_and_level_from_config(tmp_path: Path) -> None:
    log = tmp_path / "env.log"
    config = tmp_path / "config.toml"
    config.write_text('[log]\nlevel = "warning"\n', "utf-8")
    with serve_local(tmp_path / "be", "rate_limit=1") as url:
        quiet = artgen(
            "credits",
            env={"NEMO_API_URL": url, "ARTGEN_LOG": str(log), "ARTGEN_CONFIG": str(config)},
        )
        assert quiet.returncode == 0, quiet.stderr
        assert log.exists() and "Rate limited" not in log.read_text("utf-8")  # below warning
        httpx.post(f"{url}/_faults", content="rate_limit=1").raise_for_status()
        loud = artgen("credits", env={"NEMO_API_URL": url, "ARTGEN_LOG": str(log)})
        assert loud.returncode == 0, loud.stderr
    assert "Rate limited" in log.read_text("utf-8")


def test_a_log_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = artgen("--log", str(blocker / "sub" / "a.log"), "jobs", env={})
    assert result.returncode == 1
    assert (
        result.stderr.startswith("artgen: --log: cannot write") and "Traceback" not in result.stderr
    )


@pytest.fixture
def secret_env(isolated_home: Path) -> dict[str, str]:
    return {"NEMO_TOKEN": "nmv_usr_doctorsecretvalue123"}


def test_doctor_reports_without_the_token(local_backend: str, secret_env: dict[str, str]) -> None:
    result = artgen(
        "doctor", "--json", "--log", "/tmp/never-written.log",
        env={"NEMO_API_URL": local_backend, **secret_env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[0])
    assert report["type"] == "doctor" and report["ok"] is True
    assert report["api_url"] == local_backend
    assert report["reachable"].startswith("yes (HTTP ")
    assert report["token"].startswith("fixed")
    assert report["log"].startswith("/tmp/never-written.log (level info)")
    for key in ("version", "config", "state_dir", "data_dir"):
        assert report[key]
    assert "doctorsecret" not in result.stdout + result.stderr


def test_doctor_says_when_the_api_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = artgen("doctor", "--no-json", env={"NEMO_API_URL": url})
    assert result.returncode == 2
    assert "reachable" in result.stdout and "no (ConnectError" in result.stdout
    assert "token" in result.stdout and "none yet" in result.stdout
    assert "off (--log FILE)" in result.stdout


async def test_the_faces_log_a_balance_they_could_not_get(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The spend guard prices without the balance and the status bar keeps the old one; both
    say why in the log (nothing is shown to the user)."""
    from artgen_tui import cli_spend
    from artgen_tui.config import load_settings
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.credits_view import CreditsView

    caplog.set_level(logging.INFO, logger="artgen_tui")
    unreachable = f"http://127.0.0.1:{free_port()}"
    async with Workspace(load_settings(api_url=unreachable)) as ws:
        assert await cli_spend.balance(ws) is None
        warned: list[str] = []
        view = CreditsView(lambda: pytest.fail("no balance to show"), warned.append, 100)

        async def show_error(exc: object) -> None:
            pytest.fail("a background refresh shows no error")

        await view.fetch(ws, None, show_error)
        assert view.last is None and warned == []
    lines = {(r.name, r.getMessage().split(":")[0]) for r in caplog.records}
    assert ("artgen_tui.cli_spend", "balance unavailable, pricing without it") in lines
    assert ("artgen_tui.tui.credits_view", "balance refresh failed") in lines
