"""What to do with one download answer: a pure decision from (status, headers, bytes held).

Both download paths (the lean socket path of :mod:`artgen_tui.api.fastget` and the httpx path)
ask :func:`decide` and act on its answer, so the resume rules live here once:

- ``206`` must start exactly at the bytes already held: append from there; any other start
  throws the partial file away and retries.
- ``200`` (or a ``206`` without a usable range, which is a wrong offset) restarts the file.
- ``416`` with ``bytes */N`` where N is what is held: the file is already complete.
- A public link that is gone (403/404/410) tells the caller to try the next source.
- Any other error status, or a JSON body, carries an API error to read.
- A video download refuses a body whose content type is not a video (``video/*``, an octet
  stream, or none at all): an HTML page is never written as the MP4.
- A body is complete only when its length is known: ``Content-Length``, a ``206`` range with its
  total, or a chunked body that ended properly. A body that simply stops (no length, not chunked)
  is checked with a range request before it is accepted (:attr:`Decision.framed`).

:func:`looks_like_video` checks a finished file's first bytes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

GONE_STATUSES = frozenset({403, 404, 410})
BINARY_TYPES = frozenset(
    {"application/octet-stream", "binary/octet-stream", "application/mp4", "application/x-mpegurl"}
)
"""Content types besides ``video/*`` a video download accepts (an absent one is accepted too)."""
ISO_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"})
"""Box types an MP4/MOV file starts with (``ftyp`` for every MP4 we render)."""
SNIFF_BYTES = 16

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes a-b/total`` → ``(a, b, total)``; ``None`` when absent or malformed."""
    if not value:
        return None
    m = _CONTENT_RANGE.match(value)
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), int(m.group(2)), total


def parse_unsatisfied_range(value: str | None) -> int | None:
    """``bytes */total`` (sent with 416) → ``total``."""
    if not value:
        return None
    m = _UNSATISFIED_RANGE.match(value)
    return int(m.group(1)) if m else None


class Action(enum.Enum):
    WRITE = "write"
    """Stream the body into the file from ``offset`` (0: truncate first; else append)."""
    DONE = "done"
    """The partial file already holds every byte."""
    DISCARD = "discard"
    """The partial file does not match what the server offers: delete it and try again."""
    NEXT_SOURCE = "next source"
    """This (public) link cannot serve the file: try the next one."""
    ERROR = "error"
    """Read the body: it carries the API's error (or is JSON where a video was expected)."""


@dataclass(frozen=True)
class Decision:
    action: Action
    offset: int = 0
    """Where the body's first byte goes in the file (WRITE)."""
    total: int | None = None
    """The file's full size when the server said it (WRITE)."""
    reason: str = ""
    """Why, for DISCARD and NEXT_SOURCE (ends a sentence that names the download)."""
    framed: bool = True
    """WRITE: the body's end proves it complete (a length, or chunked framing). When not, a
    body that ends is confirmed with a range request before it is accepted."""

    @property
    def append(self) -> bool:
        return self.offset > 0


Headers = Callable[[str], str | None]
"""Looks up a header by its lower-case name."""


def media_type(header: Headers) -> str:
    """The answer's content type without parameters, lower case (``""`` when absent)."""
    return (header("content-type") or "").split(";", 1)[0].strip().lower()


def _not_video(header: Headers) -> str | None:
    """Why an answer cannot be a video (its content type), or ``None`` when it may be."""
    kind = media_type(header)
    if not kind or kind.startswith("video/") or kind in BINARY_TYPES:
        return None
    return f"the server sent {kind[:60]} instead of the video"


def decide(
    status: int, header: Headers, held: int, *, public: bool, video: bool = False
) -> Decision:
    """What to do with an answer of ``status`` when ``held`` bytes are already in the file.

    ``video``: the download must be a video (a render), so other content types are refused.
    """
    if status == 416 and held:
        if parse_unsatisfied_range(header("content-range")) == held:
            return Decision(Action.DONE, offset=held, total=held)
        return Decision(Action.DISCARD, reason="the partial file did not match; restarting")
    if status in GONE_STATUSES and public:
        return Decision(Action.NEXT_SOURCE, reason=f"the download link answered HTTP {status}")
    if status >= 400 or "json" in (header("content-type") or "").lower():
        return Decision(Action.ERROR)
    wrong = _not_video(header) if video else None
    if wrong is not None:
        return Decision(Action.NEXT_SOURCE, reason=wrong)
    chunked = "chunked" in (header("transfer-encoding") or "").lower()
    length = header("content-length")
    sized = bool(length and length.isdigit() and len(length) < 19) and not chunked
    if status == 206:
        rng = parse_content_range(header("content-range"))
        if rng is None or rng[0] != held:
            return Decision(Action.DISCARD, reason="the server resumed at the wrong offset")
        total = rng[2] if rng[2] is not None else (held + int(length) if sized and length else None)
        return Decision(Action.WRITE, offset=held, total=total, framed=total is not None or chunked)
    total = int(length) if sized and length else None
    return Decision(Action.WRITE, total=total, framed=total is not None or chunked)


def looks_like_video(head: bytes) -> bool:
    """Whether a file starting with ``head`` can be a video: an ISO media file (MP4/MOV: a
    ``ftyp`` box at offset 4, or an older QuickTime file's first box) or Matroska/WebM (EBML)."""
    if len(head) >= 8 and head[4:8] in ISO_FIRST_BOXES:
        return True
    return head.startswith(b"\x1a\x45\xdf\xa3")


def shortfall(written: int, total: int | None) -> str | None:
    """Why a finished body is not the whole file (``None`` when it is, or the size is unknown)."""
    if total is None or written == total:
        return None
    return f"got {written} of {total} bytes; resuming"
