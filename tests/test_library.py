"""Sidecars beside every downloaded MP4, and the library that lists them across sessions."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from test_preview import COLOURS, make_segments_mp4

from artgen_tui import __version__, paths
from artgen_tui.core import sidecar
from artgen_tui.core.credentials import CredentialStore
from artgen_tui.core.history import Transcript
from artgen_tui.core.jobs import ExportJob
from artgen_tui.core.library import Library

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"
TITLE = 'add title "Urban Dreams"'


def artgen(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMO_API_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=90,
        check=False,
    )


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_every_download_gets_a_sidecar_and_the_library_lists_it(
    local_backend: str, tmp_path: Path
) -> None:
    for message in (GENERATE,):
        assert artgen("chat", message, url=local_backend, cwd=tmp_path).returncode == 0
    first = artgen(
        "export",
        "--wait",
        "-o",
        "first.mp4",
        "--resolution",
        "360p",
        url=local_backend,
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert artgen("chat", TITLE, url=local_backend, cwd=tmp_path).returncode == 0
    second = artgen("export", "--wait", "-o", "second.mp4", url=local_backend, cwd=tmp_path)
    assert second.returncode == 0, second.stderr

    mp4 = tmp_path / "first.mp4"
    side = tmp_path / "first.mp4.json"
    raw = side.read_text("utf-8")
    data = json.loads(raw)
    assert data["sha256"] == hashlib.sha256(mp4.read_bytes()).hexdigest()
    assert data["size"] == mp4.stat().st_size
    assert data["prompts"] == [GENERATE]
    assert data["resolution"] == "360p" and data["height"] == 360
    assert 1.5 < data["duration_s"] < 10
    assert data["app_version"] == __version__
    assert data["credits_spent"] == 0, "exports are free on this backend, and that was measured"
    assert isinstance(data["draft"], dict) and data["draft"].get("t")
    assert data["render_id"].startswith("render_") and data["session_id"]
    assert data["created_at"] <= data["downloaded_at"] <= data["written_at"]
    token = CredentialStore.default(local_backend).load_token()
    assert token is not None and token.token not in raw
    assert "?" not in raw and "outputUrl" not in raw
    assert side.stat().st_mode & 0o777 == 0o600

    later = json.loads((tmp_path / "second.mp4.json").read_text("utf-8"))
    assert later["prompts"] == [TITLE], "only the prompts since the previous export"
    assert later["session_id"] == data["session_id"]

    listed = artgen("library", "--json", url=local_backend, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    results = lines(listed.stdout)
    assert [r["path"] for r in results] == [str(tmp_path / "second.mp4"), str(mp4)]
    assert results[1]["title"] == GENERATE and results[0]["title"] == TITLE
    assert results[1]["session_id"] == data["session_id"] and results[1]["has_sidecar"]
    assert results[1]["size"] == mp4.stat().st_size and results[1]["duration_s"] > 1.5

    human = artgen("library", "--no-json", url=local_backend, cwd=tmp_path)
    assert GENERATE in human.stdout and str(mp4) in human.stdout


@pytest.mark.slow
def test_the_sidecar_keeps_what_the_export_cost(tmp_path: Path) -> None:
    """On a backend that charges 25 credits an export, the sidecar's ``credits_spent`` is the
    balance difference, whether the export is waited for or finished by `jobs resume`."""
    from local_http import backend

    def available(url: str) -> int:
        (credits,) = lines(artgen("credits", "--json", url=url, cwd=tmp_path).stdout)
        return int(credits["available"])

    with backend(tmp_path / "backend", export_cost=25, silent_close_rate=0.0) as url:
        assert artgen("chat", GENERATE, url=url, cwd=tmp_path).returncode == 0
        small = ["--resolution", "360p"]
        for name, steps in (
            ("waited.mp4", [["export", "--wait", "-o", "waited.mp4", *small]]),
            ("resumed.mp4", [["export", "-o", "resumed.mp4", *small], ["jobs", "resume"]]),
        ):
            before = available(url)
            for step in steps:
                done = artgen(*step, url=url, cwd=tmp_path)
                assert done.returncode == 0, done.stderr
            data = sidecar.read(tmp_path / name)
            assert data is not None, name
            assert data["credits_spent"] == before - available(url) == 25, name


def test_folder_mode_is_left_alone_by_the_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    video = make_segments_mp4(folder / "v.mp4", COLOURS[:2])
    job = ExportJob(id="render_1", session_id="s1", created_at=100.0, title="V")
    assert sidecar.write_for_job(job, video) == folder / "v.mp4.json"
    assert folder.stat().st_mode & 0o777 == 0o755
    data = sidecar.read(video)
    assert data is not None and data["duration_s"] == pytest.approx(2.0, abs=0.2)
    assert data["credits_spent"] is None, "not measured: null, never a guess"
    assert data["resolution"] == "48p" and data["prompts"] == []


def test_scrub_drops_query_strings_and_secret_keys() -> None:
    draft = {
        "t": [{"sg": [{"src": "https://cdn.example/a.png?X-Amz-Signature=abc&token=t#frag"}]}],
        "m": {"title": "Dusk?", "accessToken": "secret-1", "auth": {"api_key": "k"}},
        "u": "https://user:pw@host.example/x",
    }
    clean = sidecar.scrub(draft)
    assert clean["t"][0]["sg"][0]["src"] == "https://cdn.example/a.png"
    assert clean["m"] == {"title": "Dusk?", "auth": {}}
    assert clean["u"] == "https://host.example/x"


def test_prompts_are_those_since_the_previous_export(tmp_path: Path) -> None:
    transcript = Transcript("s1", tmp_path)
    path = transcript.path
    entries = [
        ("user", "one", 10.0),
        ("assistant", "ok", 11.0),
        ("user", "two", 20.0),
        ("user", "three", 30.0),
        ("user", "after", 40.0),
    ]
    path.write_text(
        "".join(json.dumps({"role": r, "text": t, "at": a}) + "\n" for r, t, a in entries)
    )
    jobs = [
        ExportJob(id="a", session_id="s1", created_at=15.0),
        ExportJob(id="b", session_id="other", created_at=25.0),
    ]
    after = sidecar.previous_export_time(35.0, "s1", jobs)
    assert after == 15.0
    assert sidecar.prompts_between("s1", after, 35.0, tmp_path) == ["two", "three"]
    assert sidecar.prompts_between("s1", None, 15.0, tmp_path) == ["one"]


def test_library_merges_sidecars_and_journal_and_skips_what_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "videos"
    elsewhere = tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    with_side = make_segments_mp4(out / "city.mp4", COLOURS[:2])
    sidecar.write(
        with_side,
        {"prompts": ["  a neon\ncity  "], "session_id": "s1", "render_id": "r1",
         "created_at": 200.0, "duration_s": 2.0, "resolution": "48p"},
    )  # fmt: skip
    old = make_segments_mp4(elsewhere / "old.mp4", COLOURS[:1])
    (out / "gone.mp4.json").write_text(json.dumps({"prompts": ["gone"]}))
    broken = make_segments_mp4(out / "broken.mp4", COLOURS[:1])
    (out / "broken.mp4.json").write_text("[not an object")
    journal = tmp_path / "jobs.json"
    paths.atomic_write_json(
        journal,
        {"jobs": [
            {"id": "r0", "session_id": "s0", "status": "downloaded", "path": str(old),
             "title": "Old one", "created_at": 100.0},
            {"id": "r9", "session_id": "s0", "status": "failed", "path": str(tmp_path / "x.mp4")},
            "junk",
        ]},
    )  # fmt: skip
    os.utime(broken, (50.0, 50.0))

    items = Library([out], journal_path=journal).items()
    assert [i.path.name for i in items] == ["city.mp4", "old.mp4", "broken.mp4"]
    city, older, odd = items
    assert (city.title, city.session_id, city.render_id, city.duration_s) == (
        "a neon city", "s1", "r1", 2.0,
    )  # fmt: skip
    assert city.has_sidecar and city.size == with_side.stat().st_size
    assert (older.title, older.session_id, older.render_id, older.has_sidecar) == (
        "Old one", "s0", "r0", False,
    )  # fmt: skip
    assert odd.title == "broken" and odd.created_at == 50.0 and not odd.has_sidecar

    library = Library([out], journal_path=journal)
    assert len(library.strip(city, count=2, width=8)) == 2
    assert library.thumbnail(older, width=8).width == 8
    png = library.thumbnail_file(older, width=8)
    assert png.is_file() and Image.open(png).size == (8, 6)
    stamp = png.stat().st_mtime_ns
    assert library.thumbnail_file(older, width=8) == png and png.stat().st_mtime_ns == stamp
    assert library.thumbnail_file(older, width=16) != png
    assert Library([tmp_path / "nowhere"], journal_path=tmp_path / "none.json").items() == []


def test_library_command_with_nothing_yet(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "artgen_tui", "library", "--no-json"],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "No exported videos yet" in result.stdout


@pytest.mark.parametrize("command", ["library", "preview"])
def test_library_and_preview_have_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from artgen_tui import cli

    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"artgen {command}" in text and "--json" in text
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert f"artgen {command}" in capsys.readouterr().out
