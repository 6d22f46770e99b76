"""Export jobs in the app: submit, follow to the downloaded MP4, resume, cancel and retry.

All protocol work and every rule (what retry means, which jobs resume) is
:class:`artgen_tui.core.jobs.JobManager`; this module only shows each update through the narrow
:class:`ExportHost` (the panel, the chat, errors) and sees nothing else of the app. The app runs these
coroutines as workers (group ``export``) and routes the panel's messages here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.core.jobs import ExportJob, JobManager, retry_notice
from artgen_tui.tui.keys import key_display

if TYPE_CHECKING:
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.preview_flow import PreviewFlow


class ExportHost(Protocol):
    """Where export news goes."""

    jobs: JobManager | None
    errors: ErrorView
    previews: PreviewFlow

    def show_job(self, job: ExportJob) -> None:
        """Put the job's row in the exports panel."""

    async def say(self, text: str, kind: str) -> None: ...
    def refresh_credits(self) -> object: ...
    def key_of(self, action: str) -> str:
        """The key bound to an action now (``focus_jobs``, ``retry_job``), for hints."""
        ...


class ExportFlow:
    def __init__(self, app: ExportHost, resolution: str | None = None) -> None:
        self.app = app
        self.resolution = resolution
        self._followed: set[str] = set()

    @property
    def jobs(self) -> JobManager | None:
        return self.app.jobs

    @property
    def render_wait(self) -> float | None:
        """How long one render is followed (``[network] render_wait``): an endless render ends
        with a message that it goes on, as in the CLI."""
        jobs = self.jobs
        return None if jobs is None else jobs.ws.settings.network.render_wait

    async def submit(self) -> ExportJob | None:
        """Submit the current timeline (``None``: not submitted, the error is shown)."""
        jobs = self.jobs
        if jobs is None:
            return None
        try:
            jobs.check_target()
            job = await jobs.submit(resolution=self.resolution)
        except ApiError as exc:
            await self.app.errors.api_error(exc)
            return None
        self.app.show_job(job)
        await self.app.say(f"Export {job.id} started; follow it in Exports.", "info")
        return job

    async def charged(self, job: ExportJob | None, cost: int | None) -> None:
        """Keep what submitting ``job`` cost (for its sidecar), then follow it to the MP4."""
        jobs = self.jobs
        if job is None or jobs is None:
            return
        if cost is not None:
            jobs.charge(job.id, cost)
        await self.follow(job.id)

    async def follow(self, job_id: str) -> None:
        jobs = self.jobs
        if jobs is None or job_id in self._followed:
            return
        self._followed.add(job_id)
        try:
            await self._show_all(jobs.follow(job_id, render_wait=self.render_wait))
        except ApiError as exc:
            await self.app.errors.api_error(exc)
        finally:
            self._followed.discard(job_id)

    async def _show_all(self, updates: AsyncIterator[ExportJob]) -> None:
        last: ExportJob | None = None
        async for update in updates:
            self.app.show_job(update)
            last = update
        if last is not None:
            await self.finished(last)

    async def finished(self, job: ExportJob) -> None:
        """Say in the chat how a job ended (the saved path, or what to do after a failure)."""
        if job.status == "downloaded":
            await self.app.say(f"Export {job.id} saved to {job.path}", "info")
            self.app.refresh_credits()
            await self.app.previews.show_result(job)
        elif job.status in ("failed", "download_failed"):
            await self.app.say(
                f"Export {job.id} {job.status.replace('_', ' ')}: {job.error or 'no details'}"
                f" · focus Exports ({key_display(self.app.key_of('focus_jobs'))}) and press"
                f" {key_display(self.app.key_of('retry_job'))} to retry.",
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
            await self.app.say(f"Resuming {len(pending)} unfinished export{plural}.", "info")
        await asyncio.gather(*(self.follow(job.id) for job in pending))

    async def cancel(self, job_id: str) -> None:
        if self.jobs is None:
            return
        try:
            job = await self.jobs.cancel(job_id)
        except ApiError as exc:
            await self.app.errors.api_error(exc)
            return
        self.app.show_job(job)

    async def retry(self, job_id: str) -> None:
        """Retry by core's rule (:meth:`JobManager.retry`); a new export is announced."""
        jobs = self.jobs
        if jobs is None:
            return
        try:
            old = jobs.get(job_id)
            await self._show_all(
                self._announced(
                    jobs.retry(job_id, resolution=self.resolution, render_wait=self.render_wait),
                    old,
                )
            )
        except ApiError as exc:
            await self.app.errors.api_error(exc)

    async def _announced(
        self, updates: AsyncIterator[ExportJob], old: ExportJob
    ) -> AsyncIterator[ExportJob]:
        told = False
        async for update in updates:
            if update.id != old.id and not told:
                told = True
                await self.app.say(retry_notice(old, update), "info")
            yield update
