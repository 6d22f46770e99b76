"""The local transcript of a session, restored when the app reopens it.

One JSON object per line (``{"role", "text", "at"}``) in ``<data dir>/transcripts/<session>.jsonl``,
file mode 0600. Appends are single ``write`` calls on an ``O_APPEND`` descriptor, under the file's
inter-process lock (two instances on one session never interleave a line), so a crash loses at
most the line being written; a corrupt line is skipped on load.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from artgen_tui import paths

Role = Literal["user", "assistant", "notice"]
_ROLES = ("user", "assistant", "notice")


@dataclass(frozen=True)
class Entry:
    role: Role
    text: str
    at: float
    """Unix time the entry was written."""


def transcripts_dir() -> Path:
    return paths.data_dir() / "transcripts"


class Transcript:
    """The transcript of one session. Cheap to construct; touches disk only on append/load."""

    def __init__(self, session_id: str, directory: Path | None = None) -> None:
        self.session_id = session_id
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", session_id).strip("._") or "session"
        self.path = (directory or transcripts_dir()) / f"{safe}.jsonl"

    def append(self, role: Role, text: str) -> Entry:
        entry = Entry(role, text, time.time())
        line = json.dumps({"role": role, "text": text, "at": entry.at}, ensure_ascii=False) + "\n"
        paths.ensure_private_dir(self.path.parent)
        with paths.locked(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8", "replace"))
            finally:
                os.close(fd)
        return entry

    def load(self, limit: int | None = None) -> list[Entry]:
        """All entries (or the last ``limit``); a missing file is empty, bad lines are skipped."""
        try:
            raw = self.path.read_text("utf-8", errors="replace")
        except OSError:
            return []
        entries: list[Entry] = []
        for line in raw.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            role, text, at = obj.get("role"), obj.get("text"), obj.get("at")
            if role not in _ROLES or not isinstance(text, str):
                continue
            stamp = float(at) if isinstance(at, int | float) and not isinstance(at, bool) else 0.0
            entries.append(Entry(role, text, stamp))
        return entries[-limit:] if limit else entries
