"""A quick draft preview: a low-resolution export of the current timeline, shown as a frame strip.

The render goes through the ordinary export route at :data:`PREVIEW_RESOLUTION` (the smallest
size the export options name; the API's ``output`` has ``resolution`` and ``fps`` but no length
or time range, so a preview covers the whole timeline). It is journaled and saved in the cache
folder (:func:`previews_dir`), never in the output folder or the export journal, so the user's
list of exports is untouched. Only the newest :data:`KEEP` previews are kept.

:func:`preview` yields the export's progress (:class:`~artgen_tui.core.jobs.ExportJob`) and ends
with a :class:`PreviewReady` carrying the frames, or raises on an empty timeline
(:class:`~artgen_tui.core.jobs.EmptyDraft`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from artgen_tui import paths
from artgen_tui.core import imaging
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace

PREVIEW_RESOLUTION = "360p"
KEEP = 5


def previews_dir() -> Path:
    return paths.cache_dir() / "previews"


@dataclass(frozen=True)
class PreviewReady:
    """The preview is downloaded; ``frames`` is its strip (empty with ``error`` set when the
    file could not be decoded)."""

    job: ExportJob
    path: Path
    frames: list[Image.Image] = field(default_factory=list)
    error: str | None = None


def preview_manager(ws: Workspace, directory: Path | None = None) -> JobManager:
    """A job manager whose journal and files live in the preview cache."""
    folder = directory or previews_dir()
    paths.ensure_private_dir(folder)
    return JobManager(ws, output_dir=folder, journal_path=folder / "jobs.json")


async def preview(
    ws: Workspace,
    *,
    count: int = imaging.DEFAULT_STRIP_COUNT,
    width: int = imaging.DEFAULT_STRIP_WIDTH,
    directory: Path | None = None,
) -> AsyncIterator[ExportJob | PreviewReady]:
    """Render the timeline small, download it into the cache and decode its strip."""
    manager = preview_manager(ws, directory)
    folder = manager.output_dir
    job = await manager.submit(resolution=PREVIEW_RESOLUTION)
    job.path = str(folder / f"preview-{job.id}.mp4")
    last = job
    async for update in manager.follow(job.id):
        last = update
        yield update
    if last.status != "downloaded" or not last.path:
        return
    path = Path(last.path)
    try:
        frames = await asyncio.to_thread(imaging.extract_strip, path, count, width)
    except imaging.MediaError as exc:
        yield PreviewReady(last, path, error=str(exc))
    else:
        yield PreviewReady(last, path, frames)
    _prune(folder, keep=KEEP)


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` preview files (and their sidecars)."""
    files = sorted(folder.glob("preview-*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
        with contextlib.suppress(OSError):
            old.with_name(old.name + ".json").unlink()
