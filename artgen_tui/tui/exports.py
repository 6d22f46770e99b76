"""Export jobs in the app: submit, follow to the downloaded MP4, resume, cancel and retry.

All protocol work is :class:`artgen_tui.core.jobs.JobManager`; this module only shows each
update in the exports panel and the outcome in the chat. The app runs these coroutines as
workers (group ``export``) and routes the panel's messages here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from artgen_tui.api.errors import ApiError
from artgen_tui.core.jobs import ExportJob, JobManager

if TYPE_CHECKING:
    from artgen_tui.tui.app import ArtgenApp


class ExportFlow:
    def __init__(self, app: ArtgenApp) -> None:
        self.app = app
        self._followed: set[str] = set()

    @property
    def jobs(self) -> JobManager | None:
        return self.app.jobs

    async def start(self) -> None:
        """Submit the current timeline, then follow the job until the MP4 is saved."""
        jobs = self.jobs
        if jobs is None:
            return
        try:
            job = await jobs.submit(resolution=self.app.export_resolution)
        except ApiError as exc:
            await self.app.show_api_error(exc)
            return
        self.app.show_job(job)
        await self.app.chat.add_notice(f"Export {job.id} started; follow it in Exports.", "info")
        await self.follow(job.id)

    async def follow(self, job_id: str) -> None:
        jobs = self.jobs
        if jobs is None or job_id in self._followed:
            return
        self._followed.add(job_id)
        try:
            last: ExportJob | None = None
            async for update in jobs.follow(job_id):
                self.app.show_job(update)
                last = update
            if last is not None:
                await self.finished(last)
        except ApiError as exc:
            await self.app.show_api_error(exc)
        finally:
            self._followed.discard(job_id)

    async def finished(self, job: ExportJob) -> None:
        """Say in the chat how a job ended (the saved path, or what to do after a failure)."""
        if job.status == "downloaded":
            await self.app.chat.add_notice(f"Export {job.id} saved to {job.path}", "info")
            self.app.refresh_credits()
        elif job.status in ("failed", "download_failed"):
            await self.app.chat.add_notice(
                f"Export {job.id} {job.status.replace('_', ' ')}: {job.error or 'no details'}"
                " · focus Exports (Ctrl+O) and press r to retry.",
                "error",
            )

    async def resume(self) -> None:
        """Show every journaled job and follow the unfinished ones (after a restart)."""
        jobs = self.jobs
        if jobs is None:
            return
        for job in jobs.jobs():
            self.app.show_job(job)
        pending = jobs.resumable()
        if pending:
            plural = "s" if len(pending) > 1 else ""
            await self.app.chat.add_notice(
                f"Resuming {len(pending)} unfinished export{plural}.", "info"
            )
        await asyncio.gather(*(self.follow(job.id) for job in pending))

    async def cancel(self, job_id: str) -> None:
        if self.jobs is None:
            return
        try:
            job = await self.jobs.cancel(job_id)
        except ApiError as exc:
            await self.app.show_api_error(exc)
            return
        self.app.show_job(job)

    async def retry(self, job_id: str) -> None:
        """Download again after a failed download; export again after a failed render."""
        jobs = self.jobs
        if jobs is None:
            return
        try:
            job = jobs.get(job_id)
            if job.status == "download_failed":
                last: ExportJob | None = None
                async for update in jobs.retry_download(job_id):
                    self.app.show_job(update)
                    last = update
                if last is not None:
                    await self.finished(last)
                return
        except ApiError as exc:
            await self.app.show_api_error(exc)
            return
        await self.start()
