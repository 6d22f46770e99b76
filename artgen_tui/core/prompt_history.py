"""What the user typed in the prompt, kept across runs (a private file in the state dir).

Bounded to :data:`LIMIT` entries, newest last; a prompt equal to the last one is not stored
again (as a shell's ``ignoredups``). Every add is a read-merge-write under the file's
inter-process lock (:func:`artgen_tui.paths.locked`), written atomically and privately: two apps
on one home keep both their prompts, and each add also brings in what the other has sent. A
missing or damaged file reads as empty.
"""

from __future__ import annotations

import logging
from pathlib import Path

from artgen_tui import paths

LIMIT = 1000
"""Most prompts kept; the oldest go first."""

log = logging.getLogger(__name__)


def default_path() -> Path:
    return paths.state_dir() / "prompt_history.json"


class PromptHistory:
    """Sent prompts, oldest first. ``path=None`` keeps them in memory only."""

    def __init__(self, path: Path | None = None, *, limit: int = LIMIT) -> None:
        self.path = path
        self.limit = limit
        self.entries: list[str] = self._load()
        self._unsaved: list[str] = []
        """Prompts added since the last successful save (merged in at the next one)."""

    def _load(self) -> list[str]:
        if self.path is None:
            return []
        found = self._read()
        if found is None:
            if self.path.exists():
                log.info("prompt history %s unreadable; starting empty", self.path)
            return []
        return found

    def _read(self) -> list[str] | None:
        """The entries on disk (``None``: no file, or one that cannot be read)."""
        assert self.path is not None
        data = paths.read_json(self.path)
        raw = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            return None
        return [e for e in raw if isinstance(e, str) and e][-self.limit :]

    def add(self, text: str) -> None:
        """Remember a sent prompt (not when it repeats the last one) and save."""
        if not text or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        del self.entries[: -self.limit]
        self._unsaved.append(text)
        self._save()

    def _save(self) -> None:
        """Merge the prompts not saved yet onto what is on disk now, under the file's lock.

        The disk wins for everything already there (another app's prompts included); an
        unreadable file is replaced by what this app holds.
        """
        if self.path is None:
            return
        try:
            with paths.locked(self.path):
                on_disk = self._read()
                if on_disk is None:
                    merged = list(self.entries)
                else:
                    merged = on_disk
                    for text in self._unsaved:
                        if not merged or merged[-1] != text:
                            merged.append(text)
                    del merged[: -self.limit]
                paths.atomic_write_json(self.path, {"version": 1, "entries": merged})
        except OSError as exc:
            log.info("prompt history not saved to %s: %s", self.path, exc)
            return
        self._unsaved.clear()
        self.entries[:] = merged

    def search(self, query: str, before: int | None = None) -> int | None:
        """Index of the newest entry older than ``before`` containing ``query`` (ignoring case),
        or ``None``; as a shell's reverse search, an empty query matches nothing."""
        if not query:
            return None
        needle = query.casefold()
        start = len(self.entries) if before is None else min(before, len(self.entries))
        for index in range(start - 1, -1, -1):
            if needle in self.entries[index].casefold():
                return index
        return None
