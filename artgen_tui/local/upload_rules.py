"""What the local backend accepts as an upload: its own copy of the service's rules.

The client checks the same things before sending (:mod:`artgen_tui.api.files`); keeping the
server's copy separate means a disagreement between the two shows up in the tests instead of
being hidden by a shared import.
"""

from __future__ import annotations

from pathlib import PurePath

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""Per-file limit; a larger part is refused with business code 4002."""

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
AUDIO_EXTENSIONS = frozenset({".mp3", ".wav", ".m4a", ".aac"})
ACCEPTED_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS | AUDIO_EXTENSIONS

ACCEPTED = "MP4, MOV, AVI, WEBM, MKV, JPG, PNG, GIF, WEBP, MP3, WAV, M4A or AAC"
"""The accepted types as the refusal names them."""


def file_kind(filename: str) -> str | None:
    """``video``, ``image``, ``audio``, or ``None`` for a type the backend refuses."""
    ext = PurePath(filename).suffix.lower()
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    return None


def refusal(filename: str) -> str | None:
    """Why ``filename`` is refused (business code 4001 text), or ``None`` when it is accepted."""
    if file_kind(filename) is not None:
        return None
    ext = PurePath(filename).suffix or "(no extension)"
    return f"{filename}: {ext} files can't be uploaded. Use {ACCEPTED}."
