"""Every config, environment and command-line problem is one ``artgen: …`` line with exit 1 (no
traceback, no misleading "could not reach"), and Ctrl+C is one quiet line."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cli_run import interruptible
from hostile import Exchange, HostileProxy, Mode, map_strings
from starlette.responses import Response, StreamingResponse

from artgen_tui import cli
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

TOKEN = "tök\r\nX-Evil: 1"


def _one_line(code: int, err: str) -> str:
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("artgen: "), err
    assert "Traceback" not in err and "Could not reach" not in err
    return lines[0]


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = cli.main([*args, "--no-json"])
    return _one_line(code, capsys.readouterr().err)


# Offline on purpose: a problem must be found before anything is contacted.
OFFLINE = ["--api-url", "http://127.0.0.1:9"]


def test_a_config_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'language = "\xff\xfe"\n')
    line = _main(capsys, "credits", "--config", str(config), *OFFLINE)
    assert "not UTF-8" in line and str(config) in line


def test_a_config_path_that_is_a_fifo_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    line = _main(capsys, "credits", "--config", str(fifo), *OFFLINE)
    assert "not a regular file" in line


@pytest.mark.parametrize("variable", ["ARTGEN_KEYMAP", "ARTGEN_LOCAL"])
def test_bad_json_in_an_environment_variable(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, "{not json")
    line = _main(capsys, "credits", *OFFLINE)
    assert f"{variable}: not valid JSON" in line


def test_a_port_over_65535_on_the_command_line_and_in_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _main(capsys, "serve-local", "--port", "70000", "--data-dir", str(tmp_path / "b"))
    assert "--port: 70000 is not a port" in line
    config = tmp_path / "config.toml"
    config.write_text('api_url = "http://127.0.0.1:70000"\n')
    line = _main(capsys, "credits", "--config", str(config))
    assert "line 1: key 'api_url'" in line and "Port out of range" in line
    assert "Port out of range" in _main(capsys, "credits", "--api-url", "http://h:99999")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tökén", "a non-ASCII character"),
        ("abc\r\nX-Evil: 1", "a line break"),
        ("abc\x1b[2Jdef", "a control character"),
    ],
)
def test_an_invalid_nemo_token_says_so_without_echoing_it(
    token: str,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEMO_TOKEN", token)
    line = _main(capsys, "credits", *OFFLINE)
    assert line == f"artgen: NEMO_TOKEN is not a valid token: it contains {reason}."
    assert "abc" not in line and "X-Evil" not in line


def test_undecodable_bytes_in_a_prompt_or_a_session_id(capsys: pytest.CaptureFixture[str]) -> None:
    # What Python makes of argv bytes that are not UTF-8 (surrogate escapes).
    line = _main(capsys, "chat", "a city \udcff at night", *OFFLINE)
    assert "not valid UTF-8" in line
    line = _main(capsys, "state", "--session", "abc\udcffdef", *OFFLINE)
    assert "--session" in line and "printable ASCII" in line


def test_undecodable_bytes_through_the_real_command() -> None:
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"artgen_tui", b"chat", b"caf\xe9 au lait"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "NEMO_API_URL": "http://127.0.0.1:9"},
        check=False,
    )
    _one_line(done.returncode, done.stderr.decode("utf-8", "replace"))


def test_a_huge_session_id(capsys: pytest.CaptureFixture[str]) -> None:
    line = _main(capsys, "state", "--session", "7" * 100_000, *OFFLINE)
    assert "at most 128 characters" in line and len(line) < 200


def test_usage_errors_are_one_line_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["export", "--resolution", "4k"])
    assert info.value.code == 1
    line = _one_line(1, capsys.readouterr().err)
    assert "invalid choice: '4k'" in line and "artgen export --help" in line


# --- Ctrl+C ---------------------------------------------------------------------------------------


def _interrupt_after(
    args: list[str],
    url: str,
    trigger: str,
    *,
    delay: float = 0.3,
    json: bool = False,
    signum: int = signal.SIGINT,
) -> str:
    """Run ``artgen ARGS``, send ``signum`` (Ctrl+C's SIGINT; SIGTERM) once ``trigger`` shows (on
    stderr, or on stdout with ``json``); return all of stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", *args, "--json" if json else "--no-json"],
        env={**os.environ, "NEMO_API_URL": url},
        stdout=subprocess.PIPE if json else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    watched = proc.stdout if json else proc.stderr
    assert watched is not None and proc.stderr is not None
    seen: list[str] = []
    try:
        while True:
            line = watched.readline()
            assert line, f"ended before {trigger!r}: {''.join(seen)}"
            seen.append(line)
            if trigger in line:
                break
        time.sleep(delay)
        assert proc.poll() is None, "finished before the interrupt"
        proc.send_signal(signum)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = rest if json else "".join(seen) + rest
    code, said = (
        (130, "artgen: interrupted.") if signum == signal.SIGINT else (143, "artgen: stopped")
    )
    assert proc.returncode == code, err
    assert "Traceback" not in err and "CancelledError" not in err
    lines = err.replace("\r\x1b[2K", "").strip().splitlines()
    assert lines and lines[-1].startswith(said), err
    assert sum(said in line for line in lines) == 1, err
    return err


@pytest.fixture
def slow_backend(tmp_path: Path) -> Iterator[str]:
    options = LocalOptions(stage_delay=1.0, heartbeat_interval=0.2, silent_close_rate=0.0)
    with LocalBackend(tmp_path / "backend", options=options) as backend:
        yield backend.url


def test_ctrl_c_mid_chat_is_one_line(slow_backend: str) -> None:
    _interrupt_after(["chat", "a calm ocean at dawn"], slow_backend, "cost about", delay=1.0)


def test_sigterm_mid_chat_ends_it_as_ctrl_c_does_with_143(slow_backend: str) -> None:
    """``kill`` or ``timeout``: the same cleanup and advice, its own status and first words."""
    err = _interrupt_after(
        ["chat", "a calm ocean at dawn"],
        slow_backend,
        "cost about",
        delay=1.0,
        signum=signal.SIGTERM,
    )
    assert "artgen: stopped (SIGTERM). The agent may still finish on the server" in err


def _drip_downloads(upstream: str, proxy: HostileProxy) -> Mode:
    """Render polls point at the proxy, and videos come through it 4 KB every 0.2 s."""

    def rebase(_ex: Exchange, body: object) -> object:
        return map_strings(body, lambda s: s.replace(upstream, proxy.url))

    def respond(ex: Exchange) -> Response | None:
        if not ex.path.endswith(".mp4") and "download" not in ex.path:
            return None

        async def drip() -> AsyncIterator[bytes]:
            for start in range(0, len(ex.body), 4096):
                yield ex.body[start : start + 4096]
                await asyncio.sleep(0.2)

        headers = {"content-type": "video/mp4", "content-length": str(len(ex.body))}
        return StreamingResponse(drip(), status_code=200, headers=headers)

    return Mode("drip_downloads", json=rebase, respond=respond)


@pytest.mark.slow
def test_ctrl_c_mid_download_is_one_line(tmp_path: Path) -> None:
    options = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05, silent_close_rate=0.0)
    with LocalBackend(tmp_path / "backend", options=options) as backend:
        proxy = HostileProxy(backend.url)
        with proxy as url:
            proxy.set_modes(_drip_downloads(backend.url, proxy))
            chat = subprocess.run(
                [sys.executable, "-m", "artgen_tui", "chat", "a futuristic city, 2 seconds"],
                env={**os.environ, "NEMO_API_URL": url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert chat.returncode == 0, chat.stderr
            out = tmp_path / "city.mp4"
            err = _interrupt_after(
                ["export", "--wait", "--resolution", "360p", "-o", str(out)],
                url,
                '"status": "downloading"',
                delay=0.5,
                json=True,
            )
            assert "jobs resume" in err
            assert not out.exists()
