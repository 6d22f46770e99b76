"""Paths checked before any work: export targets and upload files that cannot be used are refused
with one line and exit 1, nothing submitted, nothing left behind, and special files untouched."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from artgen_tui import cli
from artgen_tui.api.files import NotARegularFile, check_upload
from artgen_tui.core import uploads
from artgen_tui.core.targets import folder_problem, output_problem

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def artgen(capsys: pytest.CaptureFixture[str], local_backend: str) -> Run:
    """``cli.main`` in this process against the local backend: (exit code, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([*args, "--api-url", local_backend, "--no-json"])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _refused_alone(code: int, err: str) -> str:
    """The one ``artgen:`` line of a refusal (exit 1, no traceback)."""
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("artgen: "), err
    assert "Traceback" not in err
    return lines[0]


def _nothing_submitted(backend_dir: Path, isolated_home: Path) -> None:
    assert not list((backend_dir / "renders").glob("*.json")), "a render was submitted"
    journal = isolated_home / "state" / "jobs.json"
    assert not journal.exists() or '"id"' not in journal.read_text()


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions; /proc takes no new files
        return Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


BAD_TARGETS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a folder": (lambda tmp: tmp, "is a folder"),
    "a FIFO": (lambda tmp: _fifo(tmp / "pipe.mp4"), "is a FIFO"),
    "a device": (lambda tmp: Path("/dev/null"), "is a device"),
    "a path through a file": (
        lambda tmp: (tmp / "notes.txt").write_text("x") and tmp / "notes.txt" / "city.mp4",
        "notes.txt is not a folder",
    ),
    "an unwritable folder": (lambda tmp: _unwritable_folder(tmp) / "city.mp4", "cannot write in"),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_an_unusable_export_target_is_refused_before_submitting(
    case: str, artgen: Run, tmp_path: Path, backend_dir: Path, isolated_home: Path
) -> None:
    code, _, err = artgen("chat", GENERATE)
    assert code == 0, err
    work = tmp_path / "work"
    work.mkdir()
    make, words = BAD_TARGETS[case]
    target = make(work)
    before = os.stat(target) if target.exists() else None
    code, _, err = artgen("export", "--wait", "-o", str(target))
    line = _refused_alone(code, err)
    assert words in line and "Nothing was rendered" in line
    _nothing_submitted(backend_dir, isolated_home)
    assert not list(work.rglob("*.part")) and not list(work.rglob(".artgen-check-*"))
    if before is not None:  # the special file is what it was: same kind, same inode
        after = os.stat(target)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (
            stat.S_IFMT(before.st_mode),
            before.st_ino,
        )


def test_a_device_target_is_refused_through_a_symlink_too(tmp_path: Path) -> None:
    link = tmp_path / "out.mp4"
    link.symlink_to("/dev/full")
    problem = output_problem(link.resolve())
    assert problem is not None and "is a device" in problem
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_missing_folder_is_fine_when_it_can_be_made(tmp_path: Path) -> None:
    assert output_problem(tmp_path / "new" / "sub" / "city.mp4") is None
    assert not (tmp_path / "new").exists()  # made by the download, not by the check
    assert folder_problem(tmp_path / "new" / "sub") is None


@pytest.mark.slow
def test_export_into_a_missing_folder_makes_it_and_saves_there(artgen: Run, tmp_path: Path) -> None:
    assert artgen("chat", GENERATE)[0] == 0
    target = tmp_path / "renders" / "today" / "city.mp4"
    code, out, err = artgen("export", "--wait", "--resolution", "360p", "-o", str(target))
    assert code == 0, err
    assert target.is_file() and f"Saved {target}" in out


def test_a_target_that_became_a_fifo_is_not_downloaded_into(
    artgen: Run, tmp_path: Path, isolated_home: Path
) -> None:
    """Checked again before the download: the path may have changed since the submit."""
    assert artgen("chat", GENERATE)[0] == 0
    target = tmp_path / "later.mp4"
    code, _, err = artgen("export", "--resolution", "360p", "-o", str(target))
    assert code == 0, err
    _fifo(target)
    code, _, err = artgen("jobs", "resume")
    assert code == 2 and "is a FIFO" in err and "Traceback" not in err
    assert stat.S_ISFIFO(os.stat(target).st_mode)
    assert not target.with_name("later.mp4.part").exists()


# --- uploads -------------------------------------------------------------------------------------


def test_a_fifo_upload_is_refused_without_opening_it(tmp_path: Path) -> None:
    """The real command, with a timeout: before, it opened the FIFO and hung."""
    fifo = _fifo(tmp_path / "clip.mp4")
    done = subprocess.run(
        [sys.executable, "-m", "artgen_tui", "upload", str(fifo), "--no-json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NEMO_API_URL": "http://127.0.0.1:9"},
        check=False,
    )
    line = _refused_alone(done.returncode, done.stderr)
    assert "is a FIFO (named pipe); only regular files can be uploaded" in line
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_devices_and_sockets_are_refused_with_the_reason(tmp_path: Path) -> None:
    device = tmp_path / "zero.mp4"
    device.symlink_to("/dev/zero")
    with pytest.raises(NotARegularFile, match="is a device"):
        check_upload(device)
    sock_path = tmp_path / "s.mp4"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(sock_path))
        with pytest.raises(uploads.UploadRefused, match="is a socket"):
            uploads.validate([sock_path])
    finally:
        server.close()


def test_other_url_schemes_are_named_not_taken_for_missing_files(artgen: Run) -> None:
    code, _, err = artgen("upload", "ftp://example.com/clip.mp4")
    line = _refused_alone(code, err)
    assert "only http(s) URLs can be uploaded" in line and "no such file" not in line
    assert uploads.items_from_args(["ftp://example.com/a.mp4"]) == ["ftp://example.com/a.mp4"]


def test_a_file_whose_name_looks_like_an_address_is_still_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd:").mkdir()
    (tmp_path / "odd:" / "x.mp4").write_bytes(b"\x00" * 10)
    assert [v.size for v in uploads.validate(["odd://x.mp4"])] == [10]
