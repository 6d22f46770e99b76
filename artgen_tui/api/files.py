"""What may be uploaded: checked on the client before a single byte is sent."""

from __future__ import annotations

import mimetypes
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


def check_upload(path: Path) -> int:
    """Refuse a file the service would refuse; return its size in bytes.

    Raises :class:`UnsupportedFileType` or :class:`FileTooLarge` naming the file and the rule, or
    ``FileNotFoundError``/``IsADirectoryError`` for a path that is not a readable file.
    """
    if file_kind(path) is None:
        ext = path.suffix or "(no extension)"
        raise UnsupportedFileType(f"{path.name}: {ext} files can't be uploaded.")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; pick files inside it.")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        shown = human_size(size)
        if shown == human_size(MAX_UPLOAD_BYTES):  # just over: sizes alone would read as equal
            shown = f"{size:,} bytes"
            limit = f"{MAX_UPLOAD_BYTES:,} bytes (200 MB)"
        else:
            limit = "200 MB"
        raise FileTooLarge(f"{path.name} is {shown}, over the {limit} limit.")
    return size
