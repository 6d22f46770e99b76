"""What the user typed in the prompt, kept across runs (a private file in the state dir).

Bounded to :data:`LIMIT` entries, newest last; a prompt equal to the last one is not stored
again (as a shell's ``ignoredups``). The file is rewritten atomically and privately on every add
(:func:`artgen_tui.paths.atomic_write_json`); a missing or damaged file reads as empty.
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

    def _load(self) -> list[str]:
        if self.path is None:
            return []
        data = paths.read_json(self.path)
        raw = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            if self.path.exists():
                log.info("prompt history %s unreadable; starting empty", self.path)
            return []
        return [e for e in raw if isinstance(e, str) and e][-self.limit :]

    def add(self, text: str) -> None:
        """Remember a sent prompt (not when it repeats the last one) and save."""
        if not text or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        del self.entries[: -self.limit]
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            paths.atomic_write_json(self.path, {"version": 1, "entries": self.entries})
        except OSError as exc:
            log.info("prompt history not saved to %s: %s", self.path, exc)

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
