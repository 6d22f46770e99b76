"""Every exported MP4, across sessions: the output folders and the export journal, read together.

An item is an MP4 that exists, found either beside a sidecar (``NAME.mp4.json``, see
:mod:`artgen_tui.core.sidecar`) in a scanned folder, or as a downloaded job in the journal (older
downloads, made before sidecars, are listed with what the journal knows). Nothing is decoded
while listing; :meth:`Library.strip` and :meth:`Library.thumbnail` decode on demand.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from artgen_tui import paths
from artgen_tui.core import imaging, sidecar


@dataclass(frozen=True)
class LibraryItem:
    path: Path
    title: str
    created_at: float
    """Unix time of the export (the file's mtime when nothing better is known)."""
    size: int
    duration_s: float | None = None
    session_id: str | None = None
    render_id: str | None = None
    resolution: str | None = None
    has_sidecar: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _title(prompts: Any, fallback: str | None, path: Path) -> str:
    """The first prompt (one line, at most 80 characters), else the export title, else the name."""
    if isinstance(prompts, list):
        for prompt in prompts:
            if isinstance(prompt, str) and prompt.strip():
                line = " ".join(prompt.split())
                return line if len(line) <= 80 else line[:79] + "…"
    return fallback or path.stem


class Library:
    """The results in ``folders`` plus the downloads recorded in the export journal."""

    def __init__(self, folders: Iterable[Path], journal_path: Path | None = None) -> None:
        self.folders = [Path(f).expanduser() for f in folders]
        if journal_path is None:
            from artgen_tui.core.jobs import default_journal_path

            journal_path = default_journal_path()
        self.journal_path = journal_path

    def _journal(self) -> list[dict[str, Any]]:
        raw = paths.read_json(self.journal_path)
        jobs = raw.get("jobs") if isinstance(raw, dict) else None
        return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []

    def items(self) -> list[LibraryItem]:
        """Newest first; each MP4 once."""
        downloaded = {
            str(Path(j["path"])): j
            for j in self._journal()
            if j.get("status") == "downloaded" and isinstance(j.get("path"), str)
        }
        candidates: dict[str, Path] = {}
        for folder in [*self.folders, *(Path(p).parent for p in downloaded)]:
            try:
                found = list(folder.glob("*.mp4" + sidecar.SUFFIX))
            except OSError:
                continue
            for side in found:
                mp4 = side.with_name(side.name[: -len(sidecar.SUFFIX)])
                candidates.setdefault(str(mp4.resolve()), mp4)
        for raw_path in downloaded:
            mp4 = Path(raw_path)
            candidates.setdefault(str(mp4.resolve()), mp4)
        result = [item for mp4 in candidates.values() if (item := self._item(mp4, downloaded))]
        return sorted(result, key=lambda i: i.created_at, reverse=True)

    def _item(self, mp4: Path, journal: Mapping[str, dict[str, Any]]) -> LibraryItem | None:
        try:
            stat = mp4.stat()
        except OSError:
            return None
        if not mp4.is_file():
            return None
        side = sidecar.read(mp4) or {}
        job = journal.get(str(mp4)) or {}
        return LibraryItem(
            path=mp4,
            title=_title(side.get("prompts"), _text(side, "title") or _text(job, "title"), mp4),
            created_at=_number(side, "created_at") or _number(job, "created_at") or stat.st_mtime,
            size=stat.st_size,
            duration_s=_number(side, "duration_s"),
            session_id=_text(side, "session_id") or _text(job, "session_id"),
            render_id=_text(side, "render_id") or _text(job, "id"),
            resolution=_text(side, "resolution") or _text(job, "resolution"),
            has_sidecar=bool(side),
        )

    def strip(
        self,
        item: LibraryItem,
        count: int = imaging.DEFAULT_STRIP_COUNT,
        width: int = imaging.DEFAULT_STRIP_WIDTH,
    ) -> list[Image.Image]:
        """Frames of ``item`` (decoded now; raises :class:`~artgen_tui.core.imaging.MediaError`)."""
        return imaging.extract_strip(item.path, count, width)

    def thumbnail(self, item: LibraryItem, width: int = imaging.DEFAULT_STRIP_WIDTH) -> Image.Image:
        return imaging.thumbnail(item.path, width)

    def thumbnail_file(self, item: LibraryItem, width: int = imaging.DEFAULT_STRIP_WIDTH) -> Path:
        """A PNG of :meth:`thumbnail` in the cache, made once per file version and width."""
        stat = item.path.stat()
        key = f"{item.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{width}"
        target = thumbnails_dir() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".png")
        if not target.exists():
            image = self.thumbnail(item, width)
            paths.ensure_private_dir(target.parent)
            tmp = target.with_name(f".{target.name}.tmp")
            image.save(tmp, format="PNG")
            tmp.replace(target)
        return target


def thumbnails_dir() -> Path:
    return paths.cache_dir() / "thumbnails"
