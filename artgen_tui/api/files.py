"""What may be uploaded: checked on the client before a single byte is sent."""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path

from artgen_tui.api.errors import FileTooLarge, UnsupportedFileType

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
AUDIO_EXTENSIONS = frozenset({".mp3", ".wav", ".m4a", ".aac"})
ACCEPTED_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS | AUDIO_EXTENSIONS


def file_kind(path: Path | str) -> str | None:
    """``video``, ``image``, ``audio``, or ``None`` for a type the service does not take."""
    ext = Path(path).suffix.lower()
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    return None


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def content_type(path: Path) -> str:
    guess, _ = mimetypes.guess_type(path.name)
    return guess or "application/octet-stream"


class NotARegularFile(OSError):
    """A FIFO, device or socket: opening one could block forever or read without end."""


def special_file_kind(mode: int) -> str | None:
    """What a ``st_mode`` that is neither a regular file nor a folder is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return "not a regular file"
    return None


def check_upload(path: Path) -> int:
    """Refuse a file the service would refuse; return its size in bytes.

    Raises :class:`UnsupportedFileType` or :class:`FileTooLarge` naming the file and the rule, or
    an ``OSError`` (``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError``,
    :class:`NotARegularFile`) for a path that is not a readable regular file. Only ``stat`` is
    used: a FIFO or a device is never opened.
    """
    if file_kind(path) is None:
        ext = path.suffix or "(no extension)"
        raise UnsupportedFileType(f"{path.name}: {ext} files can't be uploaded.")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file.") from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{path}: is a folder; pick files inside it.")
    special = special_file_kind(info.st_mode)
    if special is not None:
        raise NotARegularFile(f"{path}: is {special}; only regular files can be uploaded.")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{path}: cannot be read (permission denied).")
    size = info.st_size
    if size > MAX_UPLOAD_BYTES:
        shown = human_size(size)
        if shown == human_size(MAX_UPLOAD_BYTES):  # just over: sizes alone would read as equal
            shown = f"{size:,} bytes"
            limit = f"{MAX_UPLOAD_BYTES:,} bytes (200 MB)"
        else:
            limit = "200 MB"
        raise FileTooLarge(f"{path.name} is {shown}, over the {limit} limit.")
    return size
