"""The local transcript of a session, restored when the app reopens it.

One JSON object per line (``{"role", "text", "at"}``) in ``<data dir>/transcripts/<session>.jsonl``,
file mode 0600. Appends are single ``write`` calls on an ``O_APPEND`` descriptor, under the file's
inter-process lock (two instances on one session never interleave a line), so a crash loses at
most the line being written; a corrupt line is skipped on load.

Later records add local results: an assistant line may carry ``credits`` (what the turn cost), and
an ``outcome`` line (``{"role": "outcome", "status": "failed"|"cancelled", "text": …}``) marks a
turn that ended without a reply. Older files have neither and still load; older readers skip the
``outcome`` lines (an unknown role).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from artgen_tui import paths
from artgen_tui.api.untrusted import finite

Role = Literal["user", "assistant", "notice", "outcome"]
_ROLES = ("user", "assistant", "notice", "outcome")
Outcome = Literal["failed", "cancelled"]
_OUTCOMES = ("failed", "cancelled")


@dataclass(frozen=True)
class Entry:
    role: Role
    text: str
    at: float
    """Unix time the entry was written."""
    credits: int | None = None
    """What the turn cost (assistant lines), when known."""
    status: Outcome | None = None
    """For ``outcome`` lines: how the turn ended without a reply."""


def transcripts_dir() -> Path:
    return paths.data_dir() / "transcripts"


def _int_or_none(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 10**12
    return value if ok else None


class Transcript:
    """The transcript of one session. Cheap to construct; touches disk only on append/load."""

    def __init__(self, session_id: str, directory: Path | None = None) -> None:
        self.session_id = session_id
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", session_id).strip("._") or "session"
        self.path = (directory or transcripts_dir()) / f"{safe}.jsonl"

    def append(self, role: Role, text: str, *, credits: int | None = None) -> Entry:
        entry = Entry(role, text, time.time(), credits=credits)
        record: dict[str, Any] = {"role": role, "text": text, "at": entry.at}
        if credits is not None:
            record["credits"] = credits
        self._write(record)
        return entry

    def mark(self, status: Outcome, text: str = "") -> Entry:
        """Record that the turn just begun ended without a reply (``failed`` or ``cancelled``)."""
        entry = Entry("outcome", text, time.time(), status=status)
        self._write({"role": "outcome", "status": status, "text": text, "at": entry.at})
        return entry

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        paths.ensure_private_dir(self.path.parent)
        with paths.locked(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8", "replace"))
            finally:
                os.close(fd)

    def exists(self) -> bool:
        return self.path.is_file()

    def delete(self) -> bool:
        """Remove the local file (never anything on the server); ``False`` if there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def load(self, limit: int | None = None) -> list[Entry]:
        """All entries (or the last ``limit``); a missing file is empty, bad lines are skipped."""
        try:
            raw = self.path.read_text("utf-8", errors="replace")
        except OSError:
            return []
        entries = [e for e in (_parse(line) for line in raw.splitlines()) if e is not None]
        return entries[-limit:] if limit else entries


def _parse(line: str) -> Entry | None:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    role, text, at = obj.get("role"), obj.get("text"), obj.get("at")
    if role not in _ROLES or not isinstance(text, str):
        return None
    stamp = finite(at, 0.0, 1e11) or 0.0
    status = obj.get("status")
    if role == "outcome" and status not in _OUTCOMES:
        return None
    return Entry(
        role,
        text,
        stamp,
        credits=_int_or_none(obj.get("credits")),
        status=status if role == "outcome" else None,
    )


@dataclass(frozen=True)
class Turn:
    """A prompt and how it ended: ``reply`` (or ``None``), ``status`` ``ok``/``failed``/
    ``cancelled``, or ``unknown`` for an older record with no reply and no outcome line."""

    prompt: Entry
    reply: Entry | None
    status: Literal["ok", "failed", "cancelled", "unknown"]
    detail: str = ""


NO_REPLY = {
    "failed": "This request failed; no reply.",
    "cancelled": "Cancelled; no reply was recorded (the agent may still have finished it).",
    "unknown": "No reply was recorded for this request (it failed or was cancelled).",
}
"""What a restored transcript says under a prompt that got no reply."""


def turns(entries: list[Entry]) -> list[Turn]:
    """Pair each prompt with its reply or outcome; notices are left out."""
    result: list[Turn] = []
    pending: Entry | None = None
    for entry in entries:
        if entry.role == "user":
            if pending is not None:
                result.append(Turn(pending, None, "unknown"))
            pending = entry
        elif pending is not None and entry.role == "assistant":
            result.append(Turn(pending, entry, "ok"))
            pending = None
        elif pending is not None and entry.role == "outcome" and entry.status is not None:
            result.append(Turn(pending, None, entry.status, entry.text))
            pending = None
    if pending is not None:
        result.append(Turn(pending, None, "unknown"))
    return result
