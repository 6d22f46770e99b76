"""Half-block thumbnails of local images and clips, decoded in a thread and kept per file
version (path, size, mtime), so moving the cursor back and forth decodes nothing twice. The
most recently shown ones are kept (a few hundred small pictures), not every file ever browsed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual.cache import LRUCache

from artgen_tui.core import imaging, termimage

THUMB_COLUMNS = 24
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})
THUMBS_KEPT = 256
_cache: LRUCache[tuple[str, int, int, int], Text] = LRUCache(THUMBS_KEPT)


def is_media(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in imaging.IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES


async def thumbnail_text(path: Path, columns: int = THUMB_COLUMNS) -> Text | None:
    """The file's picture in half-blocks; ``None`` when it cannot be pictured (the file's own
    details already say what is wrong with it)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns, columns)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        image = await asyncio.to_thread(imaging.thumbnail, path, columns * 2)
    except imaging.MediaError:
        return None
    text = termimage.halfblock(image, columns)
    _cache[key] = text
    return text
