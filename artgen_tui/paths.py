"""Where artgen keeps things, and how it writes them safely.

Directories are created with mode 0700 and files written with mode 0600, atomically (a temp file in
the same directory, fsync, then ``os.replace``), so a crash never leaves a half-written file.
A read-merge-write of a file that several artgen processes share (the jobs journal, tokens, the
spend history…) runs under :func:`locked`, an advisory lock on a ``.lock`` file beside it, so no
process writes back a copy read before another process's write.
``ARTGEN_HOME`` relocates everything under one folder (used by tests and portable installs).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "artgen"


def _home_override() -> Path | None:
    raw = os.environ.get("ARTGEN_HOME")
    return Path(raw).expanduser() if raw else None


def config_dir() -> Path:
    home = _home_override()
    return home / "config" if home else platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    raw = os.environ.get("ARTGEN_CONFIG")
    return Path(raw).expanduser() if raw else config_dir() / "config.toml"


def state_dir() -> Path:
    home = _home_override()
    return home / "state" if home else platformdirs.user_state_path(APP_NAME)


def data_dir() -> Path:
    home = _home_override()
    return home / "data" if home else platformdirs.user_data_path(APP_NAME)


def cache_dir() -> Path:
    home = _home_override()
    return home / "cache" if home else platformdirs.user_cache_path(APP_NAME)


def local_backend_dir() -> Path:
    return data_dir() / "local-backend"


def default_output_dir() -> Path:
    home = _home_override()
    if home:
        return home / "videos"
    return Path(platformdirs.user_videos_dir()) / "artgen"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def atomic_write_bytes(
    path: Path, data: bytes, mode: int = 0o600, *, private_dir: bool = True
) -> None:
    """Write ``data`` to ``path`` atomically with the given file mode; the parent is made 0700
    (with ``private_dir=False``, as for a file beside the user's own, it must already exist)."""
    if private_dir:
        ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(
    path: Path, text: str, mode: int = 0o600, *, private_dir: bool = True
) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode, private_dir=private_dir)


def atomic_write_json(path: Path, obj: Any, mode: int = 0o600, *, private_dir: bool = True) -> None:
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write_text(path, text, mode, private_dir=private_dir)


LOCK_WAIT = 10.0
"""Seconds :func:`locked` waits for another process before giving up (holders keep it for
milliseconds; a process that dies releases it; only a stopped one could keep it longer)."""


class LockTimeout(OSError):
    """Another process has held a file's lock for longer than :data:`LOCK_WAIT`."""


if sys.platform == "win32":  # pragma: no cover - artgen runs on POSIX

    def _try_lock(fd: int) -> bool:
        # msvcrt.locking locks byte ranges with its own 10 s retry; on Windows several
        # instances are not guarded (the writes themselves stay atomic).
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def locked(path: Path, *, wait: float | None = None, private_dir: bool = True) -> Iterator[None]:
    """Hold the inter-process lock of ``path`` (``flock`` on ``<path>.lock``, mode 0600) for a
    read-merge-write. Not re-entrant: never take the same file's lock twice in one process.

    Raises :class:`LockTimeout` naming the file after ``wait`` seconds (default
    :data:`LOCK_WAIT`). The ``.lock`` file stays: removing it could let two processes lock two
    different files of the same name.
    """
    if private_dir:
        ensure_private_dir(path.parent)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
        pause = 0.002
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"{path}: another artgen process has held its lock for too long; "
                    "if none is running, try again."
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_json(path: Path) -> Any | None:
    """Read a JSON file; a missing or corrupt file reads as ``None`` (never raises)."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: ~1,000-level nesting
        return None
