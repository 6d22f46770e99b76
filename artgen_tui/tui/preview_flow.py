"""Quick draft previews and result strips in the chat.

:meth:`PreviewFlow.run` renders the timeline small through :func:`artgen_tui.core.preview.preview`
(the exports list is untouched), rewrites one progress line in the chat as the render goes, and
ends with the frame strip. :meth:`PreviewFlow.show_result` puts the strip of a downloaded export in
the chat and on its row in the exports panel. Frames are decoded in a thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.core import imaging
from artgen_tui.core.termimage import Protocol as GraphicsProtocol

# The render and preview machinery (and the client under it) load with the first preview.
if TYPE_CHECKING:
    from PIL import Image

    from artgen_tui.core.jobs import ExportJob
    from artgen_tui.core.preview import PreviewReady
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.spend_view import SpendView
    from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.host import MainParts
from artgen_tui.tui.widgets.strip import (
    ProgressNotice,
    StripMessage,
    compact_strip,
    frames_to_keep,
)


class PreviewHost(MainParts, Protocol):
    """What previews and result strips use of the app."""

    errors: ErrorView
    graphics: GraphicsProtocol

    @property
    def jobs_panel(self) -> JobsPanel: ...
    async def say(self, text: str, kind: str) -> None: ...


def progress_text(job: ExportJob) -> str:
    """``Preview: rendering 40%`` from one export update."""
    from artgen_tui.core.jobs import RENDERING

    if job.status == "downloading" and job.download_total:
        return f"Preview: downloading {100 * job.download_bytes // job.download_total}%"
    if job.status in RENDERING:
        return f"Preview: rendering {job.progress}%"
    return f"Preview: {job.status.replace('_', ' ')}"


class PreviewFlow:
    def __init__(self, app: PreviewHost) -> None:
        self.app = app
        self.running = False
        self.last: PreviewReady | None = None

    async def quick(self, ws: Workspace, spend: SpendView) -> None:
        """F7 / ``/preview``: say what it costs, pass the spend guard, then :meth:`run`."""
        estimate = spend.estimate("export", "preview")
        if estimate is not None and estimate.credits > 0:
            await self.app.say(estimate.sentence, "info")
        await spend.priced(ws, "export", lambda: self.run(ws), "preview")

    async def run(self, ws: Workspace) -> PreviewReady | None:
        """Render, download and show one quick preview; errors become chat notices."""
        from artgen_tui.core.jobs import EmptyDraft

        if self.running:
            await self.app.say("A preview is already being made.", "warning")
            return None
        self.running = True
        progress = ProgressNotice("Preview: submitting the timeline at 360p…")
        chat = self.app.chat
        await chat.mount(progress)
        chat.anchor()
        try:
            return await self._follow(ws, progress)
        except EmptyDraft as exc:
            progress.remove()
            await self.app.say(f"{exc} Describe a video first, then preview it.", "warning")
        except ApiError as exc:
            progress.remove()
            await self.app.errors.api_error(exc)
        finally:
            self.running = False
        return None

    async def _follow(self, ws: Workspace, progress: ProgressNotice) -> PreviewReady | None:
        from artgen_tui.core.preview import PreviewReady, preview

        ready: PreviewReady | None = None
        last: ExportJob | None = None
        async for update in preview(ws):
            if isinstance(update, PreviewReady):
                ready = update
            else:
                last = update
                progress.set_text(progress_text(update))
        progress.remove()
        if ready is None:
            why = (last.error if last else None) or "no file came back"
            status = last.status.replace("_", " ") if last else "failed"
            await self.app.say(f"The preview {status}: {why}.", "error")
            return None
        self.last = ready
        if ready.error:
            await self.app.say(f"Preview saved to {ready.path}, but {ready.error}", "warning")
            return ready
        await self.show(
            ready.path, f"Preview (360p draft) · {len(ready.frames)} frames", ready.frames
        )
        return ready

    async def show(self, path: Path, title: str, frames: list[Image.Image]) -> StripMessage:
        graphics = self.app.graphics
        chat = self.app.chat
        kept = frames_to_keep(frames, graphics)  # for as long as the chat's scroll-back
        message = await chat.add_widget(lambda: StripMessage(path, title, kept, graphics))
        chat.anchor()
        return message

    async def show_result(self, job: ExportJob) -> None:
        """A downloaded export's strip in the chat and on its row (decoded in a thread)."""
        if job.status != "downloaded" or not job.path:
            return
        path = Path(job.path)
        try:
            frames = await asyncio.to_thread(imaging.extract_strip, path)
        except imaging.MediaError as exc:
            await self.app.say(f"No preview strip for {path.name}: {exc}", "warning")
            return
        self.app.jobs_panel.set_strip(job.id, compact_strip(frames))
        await self.show(path, f"Export {job.id} · {job.title or path.name}", frames)
