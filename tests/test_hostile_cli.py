"""The ``artgen`` command against a hostile server: every mode of ``tests/hostile.py``.

Each command runs as a real subprocess (``python -m artgen_tui``) against the local backend behind
:class:`~hostile.HostileProxy`. Whatever the server sends: no traceback, no raw control character
on stdout or stderr (human mode and ``--json``), bounded output and time, the documented exit code
(0 done, 1 permanent, 2 transient).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import HostileProxy, hostile, raw_controls
from local_http import backend
from PIL import Image

GENERATE = 'add title "Hello"'
OUTPUT_LIMIT = 64 * 1024
"""Nothing a command prints may be anywhere near a 30 MB message."""


def artgen(
    *args: str, url: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMO_API_URL": url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def safe(result: subprocess.CompletedProcess[str], *codes: int) -> str:
    """Assert the run was clean; its stdout and stderr joined."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both[-3000:]
    assert not raw_controls(both), (raw_controls(both), both[-2000:])
    assert len(both) < OUTPUT_LIMIT, f"{len(both)} characters printed"
    assert result.returncode in codes, (result.returncode, both[-2000:])
    return both


def json_lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[HostileProxy]:
    """A clean proxy in front of a fresh local backend; tests switch modes on it."""
    with backend(tmp_path / "backend") as upstream, hostile(upstream) as running:
        yield running


def with_timeline(proxy: HostileProxy) -> None:
    """A session with a title on its timeline, made while the server still behaves."""
    proxy.set_modes()
    safe(artgen("chat", GENERATE, "--no-json", url=proxy.url), 0)


def test_escapes_reach_no_output_in_any_command(proxy: HostileProxy, tmp_path: Path) -> None:
    with_timeline(proxy)
    proxy.set_modes("escapes")
    picture = tmp_path / "pic.png"
    Image.new("RGB", (8, 8), "red").save(picture)
    for json_flag in ("--no-json", "--json"):
        chat = artgen("chat", "make the title blue", json_flag, url=proxy.url)
        text = safe(chat, 0)
        assert "␛" not in text or "]2;pwned" not in text
        if json_flag == "--json":
            lines = json_lines(chat.stdout)
            assert any(line["type"] == "done" for line in lines)
        safe(artgen("state", json_flag, url=proxy.url), 0)
        safe(artgen("credits", json_flag, url=proxy.url), 0)
        safe(artgen("upload", str(picture), json_flag, url=proxy.url), 0)
        safe(artgen("jobs", "list", json_flag, url=proxy.url), 0)
    # Every status poll comes back spoiled (no status it knows), so the bounded wait ends it.
    export = artgen(
        "export", "--wait", "-o", "out.mp4", "--no-json",
        url=proxy.url, cwd=tmp_path, env={"ARTGEN_NETWORK__RENDER_WAIT": "10"},
    )  # fmt: skip
    safe(export, 1, 2)
    safe(artgen("jobs", "list", "--no-json", url=proxy.url), 0)


def test_json_output_keeps_the_data_but_escapes_every_control_character(
    proxy: HostileProxy,
) -> None:
    with_timeline(proxy)
    proxy.set_modes("escapes")
    state = artgen("state", "--json", url=proxy.url)
    safe(state, 0)
    assert "\\u001b]2;pwned" in state.stdout or "\\u001b" in state.stdout
    for line in json_lines(state.stdout):
        assert isinstance(line, dict)


def test_deep_nesting_is_a_clear_transient_error(proxy: HostileProxy) -> None:
    with_timeline(proxy)
    proxy.set_modes("nesting")
    for command in (("state",), ("credits",), ("chat", "make it longer")):
        text = safe(artgen(*command, "--no-json", url=proxy.url), 2)
        assert "nested too deeply" in text or "readable event" in text, text


def test_a_deeply_nested_segment_still_exports(proxy: HostileProxy, tmp_path: Path) -> None:
    with_timeline(proxy)
    proxy.set_modes("deep-segment")
    safe(artgen("state", "--no-json", url=proxy.url), 0)
    export = artgen(
        "export", "--wait", "-o", "deep.mp4", "--resolution", "360p", "--no-json",
        url=proxy.url, cwd=tmp_path,
    )  # fmt: skip
    safe(export, 0)
    assert (tmp_path / "deep.mp4").stat().st_size > 0


def test_infinite_and_huge_numbers_are_clamped_not_crashed(proxy: HostileProxy) -> None:
    with_timeline(proxy)
    proxy.set_modes("numbers")
    credits = artgen("credits", "--json", url=proxy.url)
    safe(credits, 0, 2)
    for command in (("state",), ("credits",), ("chat", "make it longer")):
        safe(artgen(*command, "--no-json", url=proxy.url), 0, 2)


def test_negative_credits_show_as_zero(proxy: HostileProxy) -> None:
    proxy.set_modes("negative-credits")
    credits = artgen("credits", "--json", url=proxy.url)
    safe(credits, 0)
    (line,) = [x for x in json_lines(credits.stdout) if x["type"] == "credits"]
    assert line["available"] == 0 and line["total"] == 0, line
    human = safe(artgen("credits", "--no-json", url=proxy.url), 0)
    assert "-" not in human.split("available")[0], human


def test_a_30_mb_message_is_printed_cut(proxy: HostileProxy) -> None:
    with_timeline(proxy)
    proxy.set_modes("huge-message")
    for json_flag in ("--no-json", "--json"):
        for command in (("credits",), ("state",), ("chat", "make it longer")):
            result = artgen(*command, json_flag, url=proxy.url)
            text = safe(result, 1, 2)
            assert "…" in text or "\\u2026" in text, text[-500:]


@pytest.mark.parametrize("mode", ["html-sse", "cut-sse"])
def test_a_reply_that_is_no_event_stream_is_an_error_not_no_changes(
    proxy: HostileProxy, mode: str
) -> None:
    with_timeline(proxy)
    proxy.set_modes(mode)
    text = safe(artgen("chat", "make it longer", "--no-json", url=proxy.url), 2)
    assert "No changes" not in text and "no changes" not in text, text
    expected = "text/html instead of an event stream" if mode == "html-sse" else "readable event"
    assert expected in text, text


def test_compact_keys_give_artgen_state_its_labels_volumes_and_track_names(
    proxy: HostileProxy,
) -> None:
    with_timeline(proxy)
    safe(artgen("chat", "add music", "--no-json", url=proxy.url), 0)
    plain = safe(artgen("state", "--no-json", url=proxy.url), 0)
    proxy.set_modes("compact-keys")
    compact = safe(artgen("state", "--no-json", url=proxy.url), 0)
    assert "Hello" in plain and "Soft synth pad · vol 0.6" in plain, plain
    # The same words from the short keys, and each track under its short-key name.
    for line in plain.splitlines()[1:]:
        if line.startswith("   "):
            assert line in compact.splitlines(), (line, compact)
    assert "🎵 Music" in plain and "🔤 Text" in plain, plain
    assert "🎵 Score" in compact and "🔤 Captions" in compact, compact
