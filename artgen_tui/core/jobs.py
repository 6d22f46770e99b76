"""Export jobs: submit a render, poll it, download the MP4, and remember all of it.

Every job is journaled as JSON in the state dir (``jobs.json``, written atomically, mode 0600) after
each status change, so closing the app never orphans a render: :meth:`JobManager.resume` picks up
unfinished jobs (still rendering, or rendered but not downloaded) on the next start. Jobs are kept
per API URL, so a local backend's jobs are never polled on the cloud.

Statuses: ``pending`` → ``processing`` → ``completed`` (rendered) → ``downloading`` →
``downloaded``; or ``failed``, ``cancelled``, ``download_failed``.

Retry (:meth:`JobManager.retry`, the one rule both faces use): a rendered job is downloaded again
and never rendered again; a failed or cancelled render cannot be re-run as it was (the journal
keeps no copy of its draft), so the *current* timeline is exported as a new job and the user is
told so (:func:`retry_notice`). A failed re-export (:mod:`artgen_tui.core.reexport`) renders its
source's stored draft again instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from artgen_tui import paths
from artgen_tui.api.deadlines import describe_wait
from artgen_tui.api.errors import ApiError, NotFound, RenderFailed, SessionNotFound
from artgen_tui.core import sidecar, targets
from artgen_tui.core.polling import Cadence

if TYPE_CHECKING:
    from artgen_tui.api.models import RenderJob
    from artgen_tui.core.workspace import Workspace

JobStatus = Literal[
    "pending",
    "processing",
    "completed",
    "downloading",
    "downloaded",
    "failed",
    "cancelled",
    "download_failed",
]
RENDERING: frozenset[str] = frozenset({"pending", "processing"})
SUCCEEDED: frozenset[str] = frozenset({"completed", "downloaded"})
"""The render worked: the MP4 is on the server (``completed``) or saved (``downloaded``)."""
UNFINISHED: frozenset[str] = frozenset({"pending", "processing", "completed", "downloading"})
FINAL: frozenset[str] = frozenset({"downloaded", "failed", "cancelled", "download_failed"})
CANCELLABLE: frozenset[str] = UNFINISHED
RETRYABLE: frozenset[str] = frozenset({"failed", "cancelled", "download_failed"})
"""Jobs a user is offered to retry (a ``downloaded`` one can still be fetched again by id)."""
DOWNLOADABLE: frozenset[str] = frozenset(
    {"completed", "downloading", "downloaded", "download_failed"}
)

RetryKind = Literal["download", "export"]


def retry_kind(job: ExportJob) -> RetryKind:
    """What retrying ``job`` does; raises :class:`NotRetryable` while it is still rendering."""
    if job.status in DOWNLOADABLE:
        return "download"
    if job.status in RETRYABLE:
        return "export"
    raise NotRetryable(
        f"Export {job.id} is still {job.status}; wait for it or cancel it first.",
    )


def retry_notice(old: ExportJob, new: ExportJob) -> str:
    """What to tell the user when a retry started a new job: the current timeline, or for a
    re-export its source's stored draft."""
    if new.source:
        return (
            f"Export {old.id} {old.status}; the stored draft of {Path(new.source).name} is "
            f"rendered again as {new.id}."
        )
    return (
        f"Export {old.id} {old.status}; it cannot be re-run as it was, so the current timeline "
        f"is exported again as {new.id}."
    )


log = logging.getLogger(__name__)

MAX_POLL_FAILURES = 5
"""Consecutive transient poll errors tolerated before :meth:`JobManager.follow` gives up."""


class EmptyDraft(ApiError):
    """Nothing to export yet."""

    default_hint = "Describe a video first (for example: a futuristic city at sunset, cinematic)."


class UnknownJob(ApiError):
    default_hint = "Run `artgen jobs list` to see the export jobs."


class RenderWaitExpired(ApiError):
    """Following a render gave up waiting (``[network] render_wait``); the render itself goes on
    on the server."""

    transient = True
    default_hint = (
        "Run `artgen jobs resume` later to fetch it when it is done (the app also fetches it "
        "when it starts)."
    )


def _retry_after(exc: ApiError) -> float | None:
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


class NotRetryable(ApiError):
    default_hint = "Run `artgen jobs list` to see the export jobs."


@dataclass
class ExportJob:
    id: str
    session_id: str
    api_url: str = ""
    status: JobStatus = "pending"
    progress: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    output_url: str | None = None
    path: str | None = None
    """Where the MP4 is (or will be) saved."""
    error: str | None = None
    download_bytes: int = 0
    download_total: int | None = None
    title: str | None = None
    resolution: str | None = None
    source: str | None = None
    """For a re-export, the MP4 whose sidecar holds the draft it renders (see
    :mod:`artgen_tui.core.reexport`); ``None`` for an export of the timeline."""
    credits_spent: int | None = None
    """What the export cost, as the face that submitted it measured it with the spend guard (the
    drop in available credits across the submission, :meth:`JobManager.charge`); ``None`` when
    it could not be measured (the balance could not be read, or rose meanwhile, or the export
    was started without being priced, e.g. a retry). Goes into the sidecar."""

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def elapsed(self) -> float:
        return max(0.0, self.updated_at - self.created_at)

    @property
    def download_fraction(self) -> float | None:
        if not self.download_total:
            return None
        return min(1.0, self.download_bytes / self.download_total)

    def describe(self) -> str:
        """One line: ``render_123  processing 40%`` / ``downloaded → /path/x.mp4``."""
        if self.status in RENDERING:
            return f"{self.id}  {self.status} {self.progress}%"
        if self.status == "downloading":
            frac = self.download_fraction
            pct = f" {frac * 100:.0f}%" if frac is not None else ""
            return f"{self.id}  downloading{pct}"
        if self.status == "downloaded":
            return f"{self.id}  downloaded → {self.path}"
        if self.error:
            return f"{self.id}  {self.status}: {self.error}"
        return f"{self.id}  {self.status}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> ExportJob | None:
        """Rebuild from the journal; ``None`` for an entry too broken to use."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        if not isinstance(raw.get("session_id"), str):
            return None
        data: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in raw and _fits(raw[f.name], f.type):
                data[f.name] = raw[f.name]
        try:
            job = cls(**data)
        except TypeError:
            return None
        if job.status not in UNFINISHED | FINAL:
            job.status = "failed"
            job.error = job.error or "Unknown status in the journal."
        return job


def _fits(value: Any, annotation: Any) -> bool:
    """Whether a journal value matches the field's declared type (annotations are strings here)."""
    text = str(annotation)
    if value is None:
        return "None" in text
    if isinstance(value, bool):
        return False
    if text.startswith("float"):
        return isinstance(value, int | float)
    if text.startswith("int"):
        return isinstance(value, int)
    return isinstance(value, str)


def supersedes(theirs: ExportJob, mine: ExportJob) -> bool:
    """Whether ``theirs`` (read from the journal) replaces ``mine`` for the same job: the later
    update wins; on a tie a finished state wins, so it is never replaced by an unfinished one."""
    if theirs.updated_at != mine.updated_at:
        return theirs.updated_at > mine.updated_at
    return theirs.finished and not mine.finished


def default_journal_path() -> Path:
    return paths.state_dir() / "jobs.json"


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:48].strip("-") or "video"


class JobManager:
    """Export jobs for one :class:`Workspace`. Safe to create several times over one journal."""

    def __init__(
        self,
        ws: Workspace,
        output_dir: Path | None = None,
        journal_path: Path | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.ws = ws
        self.output_dir = Path(output_dir or ws.settings.output_dir).expanduser()
        self.journal_path = journal_path or default_journal_path()
        self.poll_interval = poll_interval or ws.settings.render_poll_interval
        self._jobs: dict[str, ExportJob] = {}
        self._cancelled: set[str] = set()
        self._load()

    # --- drafts ------------------------------------------------------------------------------

    def _draft_path(self, job_id: str) -> Path:
        safe = "".join(c for c in job_id if c.isalnum() or c in "-_")[:120] or "job"
        return self.journal_path.parent / "drafts" / f"{safe}.json"

    def _keep_draft(self, job_id: str, draft: dict[str, Any]) -> None:
        """Keep the draft a job renders until its sidecar has it, across a restart too (an
        export resumed by another run still records what it was made from)."""
        try:
            paths.atomic_write_json(self._draft_path(job_id), draft)
        except OSError as exc:
            log.info("could not keep the draft of %s: %s", job_id, exc)

    def _take_draft(self, job_id: str) -> dict[str, Any] | None:
        path = self._draft_path(job_id)
        draft = paths.read_json(path)
        path.unlink(missing_ok=True)
        return draft if isinstance(draft, dict) else None

    # --- journal -----------------------------------------------------------------------------

    def _read_journal(self) -> dict[str, ExportJob]:
        raw = paths.read_json(self.journal_path)
        items = raw.get("jobs") if isinstance(raw, dict) else None
        result: dict[str, ExportJob] = {}
        for item in items if isinstance(items, list) else []:
            job = ExportJob.from_json(item)
            if job is not None:
                result[job.id] = job
        return result

    def _load(self) -> None:
        """Take in what other processes wrote."""
        self._take_in(self._read_journal())

    def _take_in(self, journal: dict[str, ExportJob]) -> None:
        """Merge ``journal`` into what we hold (see :func:`supersedes`). Known jobs are updated in
        place, so a job object handed out earlier (and being followed) stays current."""
        for jid, theirs in journal.items():
            mine = self._jobs.get(jid)
            if mine is None:
                self._jobs[jid] = theirs
            elif supersedes(theirs, mine):
                mine.__dict__.update(theirs.__dict__)

    def _save(self, job: ExportJob | None = None) -> None:
        """Read, merge and write the journal under its inter-process lock, so a write by another
        process (two TUIs, a TUI and a CLI…) between our read and our write is never lost."""
        with paths.locked(self.journal_path):
            journal = self._read_journal()
            if job is not None:
                self._stamp(job, journal.get(job.id))
                self._jobs[job.id] = job
                journal[job.id] = job
            self._take_in(journal)
            # Only the journal plus our own change is written, never everything we hold: a job
            # another process dropped since we read it (a refused export) stays dropped.
            ordered = sorted(journal.values(), key=lambda j: j.created_at)
            paths.atomic_write_json(self.journal_path, {"jobs": [j.to_json() for j in ordered]})
        if job is not None and job.status in ("failed", "cancelled"):
            self._draft_path(job.id).unlink(missing_ok=True)  # no file will need it

    @staticmethod
    def _stamp(job: ExportJob, theirs: ExportJob | None) -> None:
        """Date ``job``'s change after the journal's record of it (we hold the lock: ours is the
        last write). When another process changed the job since we last read it and reached a
        finished state while ours is not, theirs stands: a job is never un-finished by a process
        that did not see it finish."""
        if theirs is None:
            job.updated_at = time.time()
        elif theirs.updated_at > job.updated_at and theirs.finished and not job.finished:
            job.__dict__.update(theirs.__dict__)
        else:
            job.updated_at = max(time.time(), theirs.updated_at + 1e-6)

    def jobs(self) -> list[ExportJob]:
        """This API URL's jobs, oldest first (re-read from the journal)."""
        self._load()
        url = self.ws.identity
        return sorted(
            (j for j in self._jobs.values() if j.api_url in ("", url)),
            key=lambda j: j.created_at,
        )

    def get(self, job_id: str) -> ExportJob:
        job = self._jobs.get(job_id)
        if job is None:
            self._load()
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(f"No export job {job_id!r} in the journal.")
        return job

    def resumable(self) -> list[ExportJob]:
        """Jobs still rendering, or rendered but not yet downloaded."""
        return [j for j in self.jobs() if j.status in UNFINISHED]

    def check_target(self, output_path: Path | None = None) -> None:
        """Refuse, before anything is submitted, an output the video could not be saved to
        (:class:`~artgen_tui.core.targets.BadOutputPath`): ``output_path``, or the output
        folder when there is none."""
        if output_path is None:
            targets.check_folder(self.output_dir)
        else:
            targets.check_output(output_path)

    # --- actions -----------------------------------------------------------------------------

    async def submit(
        self, *, resolution: str | None = None, output_path: Path | None = None
    ) -> ExportJob:
        """Render the current draft. Raises :class:`EmptyDraft` when the timeline is empty."""
        state = await self.ws.state()
        draft = state.state.draft
        if draft is None or not draft.ready_for_export:
            raise EmptyDraft("The timeline is empty, so there is nothing to export.")
        title = draft.m.get("title") if isinstance(draft.m.get("title"), str) else None
        return await self._submit(
            draft.to_wire(),
            title=title or state.task_name,
            resolution=resolution,
            output_path=output_path,
        )

    async def submit_draft(
        self,
        draft: dict[str, Any],
        *,
        session_id: str | None,
        title: str | None,
        resolution: str | None = None,
        output_path: Path | None = None,
        output_dir: Path | None = None,
        source: Path | None = None,
    ) -> ExportJob:
        """Render a stored ``draft`` (a re-export) without touching any session's timeline.

        It is submitted under ``session_id`` (the session it came from) while the server still
        has that session, else under the current one. With no ``output_path`` the MP4 is saved
        in ``output_dir`` (default: the output folder) under a name that holds the new job's
        id, so it never replaces an earlier file."""
        return await self._submit(
            draft,
            title=title,
            resolution=resolution,
            output_path=output_path,
            output_dir=output_dir,
            session_id=session_id,
            source=source,
        )

    async def _submit(
        self,
        payload: dict[str, Any],
        *,
        title: str | None,
        resolution: str | None,
        output_path: Path | None,
        output_dir: Path | None = None,
        session_id: str | None = None,
        source: Path | None = None,
    ) -> ExportJob:
        output: dict[str, Any] = {"format": "mp4", "quality": "high"}
        if resolution:
            output["resolution"] = resolution
        now = time.time()
        from artgen_tui.api.client import new_render_id

        job = ExportJob(
            id=new_render_id(),
            session_id=session_id or self.ws.session_id,
            api_url=self.ws.identity,
            status="pending",
            created_at=now,
            updated_at=now,
            title=title,
            resolution=resolution,
            source=str(source) if source is not None else None,
        )
        if output_path is not None:
            job.path = str(Path(output_path).expanduser().resolve())
        elif output_dir is not None:
            job.path = str(self._target(job, Path(output_dir).expanduser()))
        # Journaled before the request leaves: a crash between the service accepting it and the
        # answer arriving leaves a job `jobs resume` can poll, never a lost or a second render.
        self._save(job)

        async def send(sid: str) -> RenderJob:
            return await self.ws.client.submit_render(sid, payload, output=output, render_id=job.id)

        try:
            render = await self._send(send, session_id)
        except ApiError as err:
            if err.transient:
                # The service may have it: keep the job so `jobs resume` can find out.
                job.error = f"The export may not have started: {err.message}"
                self._save(job)
            else:
                self._forget(job.id)
            raise
        job.session_id = render.session_id
        job.status = _render_status(render.job, "pending")
        job.progress = render.job.progress
        job.output_url = render.job.output_url
        self._save(job)
        self._keep_draft(job.id, payload)
        return job

    def charge(self, job_id: str, credits: int | None) -> ExportJob:
        """Record what submitting ``job_id`` cost (see :attr:`ExportJob.credits_spent`); a
        negative change (a top-up or a refund landing meanwhile) is no measurement."""
        job = self.get(job_id)
        job.credits_spent = credits if credits is not None and credits >= 0 else None
        self._save(job)
        return job

    async def _send(
        self, send: Callable[[str], Awaitable[RenderJob]], session_id: str | None
    ) -> _Sent:
        """Submit under ``session_id`` while the server has it, else under the current session
        (which :meth:`Workspace.with_session` replaces if the server lost that one too)."""
        if session_id:
            try:
                return _Sent(await send(session_id), session_id)
            except SessionNotFound:
                log.info("session %s is gone; rendering under the current one", session_id)
        rendered = await self.ws.with_session(send)
        return _Sent(rendered, self.ws.session_id)

    def _forget(self, job_id: str) -> None:
        """Drop a job the service refused outright (it never existed there)."""
        self._jobs.pop(job_id, None)
        self._draft_path(job_id).unlink(missing_ok=True)
        with paths.locked(self.journal_path):
            raw = paths.read_json(self.journal_path)
            items = raw.get("jobs") if isinstance(raw, dict) else None
            if isinstance(items, list):
                kept = [i for i in items if not (isinstance(i, dict) and i.get("id") == job_id)]
                paths.atomic_write_json(self.journal_path, {"jobs": kept})

    async def follow(
        self, job_id: str, *, render_wait: float | None = None
    ) -> AsyncIterator[ExportJob]:
        """Poll until the render finishes, then download it; yields the job on every change.

        The last job yielded is final: ``downloaded``, ``failed``, ``cancelled`` or
        ``download_failed``. Raises :class:`ApiError` only when polling keeps failing, and
        :class:`RenderWaitExpired` when ``render_wait`` seconds pass with the render unfinished
        (an unknown status counts as unfinished).
        """
        job = self.get(job_id)
        failures = 0
        cadence = self._cadence()
        until = None if render_wait is None else time.monotonic() + render_wait
        while job.status in RENDERING:
            if job_id in self._cancelled:
                return
            try:
                render = await self.ws.client.poll_render(job.id)
            except NotFound:
                job.status, job.error = "failed", "The server no longer knows this export."
                self._save(job)
                yield job
                return
            except ApiError as exc:
                failures += 1
                if not exc.transient or failures >= MAX_POLL_FAILURES:
                    raise
                log.info(
                    "polling export %s failed (%d so far), retrying: %s", job.id, failures, exc
                )
                await self._pause(cadence.wait(_retry_after(exc)), until, job, render_wait or 0)
                continue
            failures = 0
            if job_id in self._cancelled:
                return
            changed = self._apply(job, render)
            if changed:
                self._save(job)
                yield job
            if job.status in RENDERING:
                await self._pause(cadence.wait(), until, job, render_wait or 0)
        if job.status in ("completed", "downloading"):
            async for update in self._download(job):
                yield update

    def _cadence(self) -> Cadence:
        net = self.ws.settings.network
        return Cadence(
            self.ws.settings.api_url,
            self.poll_interval,
            net.remote_poll_interval,
            net.remote_poll_max,
        )

    @staticmethod
    async def _pause(wait: float, until: float | None, job: ExportJob, allowed: float) -> None:
        """Sleep ``wait`` s, or raise :class:`RenderWaitExpired` if the wait runs out first."""
        if until is not None:
            left = until - time.monotonic()
            if left <= wait:
                await asyncio.sleep(max(0.0, left))
                raise RenderWaitExpired(
                    f"Export {job.id} is not finished after {describe_wait(allowed)} of waiting "
                    f"(last status: {job.status}); the render goes on on the server."
                )
        await asyncio.sleep(wait)

    async def cancel(self, job_id: str) -> ExportJob:
        """Ask the server to stop the render and mark the job cancelled."""
        job = self.get(job_id)
        self._cancelled.add(job_id)
        if job.status in RENDERING:
            try:
                await self.ws.client.cancel_render(job.id)
            except ApiError as exc:
                log.info("cancelling export %s on the server failed: %s", job.id, exc)
        if not job.finished:
            job.status = "cancelled"
            job.error = None
            self._save(job)
        return job

    async def retry_download(self, job_id: str) -> AsyncIterator[ExportJob]:
        """Download a rendered job again (never renders again); yields progress updates."""
        job = self.get(job_id)
        if job.status not in DOWNLOADABLE:
            raise UnknownJob(
                f"Export {job_id} has status {job.status}; only a finished render can be "
                "downloaded again.",
                hint="Start a new export instead.",
            )
        async for update in self._download(job):
            yield update

    async def retry(
        self, job_id: str, *, resolution: str | None = None, render_wait: float | None = None
    ) -> AsyncIterator[ExportJob]:
        """Retry a job by the module's rule (see :func:`retry_kind`); yields updates.

        When a new export is started, its first update is the new job (a different id): say
        :func:`retry_notice` then. ``render_wait`` bounds the wait for its render as in
        :meth:`follow`.
        """
        job = self.get(job_id)
        if retry_kind(job) == "download":
            async for update in self._download(job):
                yield update
            return
        if job.source:  # a re-export renders its source's stored draft again
            from artgen_tui.core import reexport

            source = reexport.load(Path(job.source))
            new = await reexport.submit(self, source, resolution=resolution or job.resolution)
        else:
            new = await self.submit(resolution=resolution or job.resolution)
        yield new
        async for update in self.follow(new.id, render_wait=render_wait):
            yield update

    async def resume(self) -> AsyncIterator[ExportJob]:
        """Follow every unfinished job in the journal, one after another."""
        for job in self.resumable():
            async for update in self.follow(job.id):
                yield update

    # --- internals ---------------------------------------------------------------------------

    def _apply(self, job: ExportJob, render: RenderJob) -> bool:
        before = (job.status, job.progress, job.output_url, job.error)
        job.status = _render_status(render, job.status)
        job.progress = max(job.progress, render.progress)
        if render.output_url:
            job.output_url = render.output_url
        if render.status == "failed":
            job.error = render.error or RenderFailed.default_hint
        if job.status == "completed":
            job.progress = 100
        return before != (job.status, job.progress, job.output_url, job.error)

    def _target(self, job: ExportJob, folder: Path | None = None) -> Path:
        if job.path:
            return Path(job.path)
        name = _slug(job.title or f"session-{job.session_id}")
        return (folder or self.output_dir) / f"{name}-{_slug(job.id)}.mp4"

    async def _download(self, job: ExportJob) -> AsyncIterator[ExportJob]:
        target = self._target(job)
        problem = targets.output_problem(target)
        if problem is not None:  # checked at submit too; the path may have changed since
            job.status, job.error = "download_failed", problem
            self._save(job)
            yield job
            return
        job.path = str(target)
        job.status, job.error = "downloading", None
        job.download_bytes, job.download_total = 0, None
        self._save(job)
        yield job
        queue: asyncio.Queue[tuple[int, int | None]] = asyncio.Queue()

        def progress(done: int, total: int | None) -> None:
            queue.put_nowait((done, total))

        # The client tries the output URL, then the authenticated route, resumes interrupted
        # transfers from the ``.part`` file, and renames into place only when complete.
        task = asyncio.create_task(
            self.ws.client.download_render(job.id, target, url=job.output_url, progress=progress)
        )
        getter: asyncio.Future[tuple[int, int | None]] | None = None
        try:
            while not task.done():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    continue
                done, total = getter.result()
                while not queue.empty():
                    done, total = queue.get_nowait()
                job.download_bytes, job.download_total = done, total
                yield job
            error = task.exception()
        finally:
            if getter is not None and not getter.done():
                getter.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if error is not None:
            log.info("download of export %s failed: %s", job.id, error)
            job.status = "download_failed"
            job.error = error.user_text() if isinstance(error, ApiError) else str(error)
            self._save(job)
            yield job
            return
        size = target.stat().st_size if target.exists() else job.download_bytes
        job.status, job.download_bytes, job.download_total = "downloaded", size, size
        self._save(job)
        draft, prompts = self._take_draft(job.id), None
        if job.source:  # a re-export: the draft and prompts are its source's
            origin = sidecar.read(Path(job.source)) or {}
            draft = draft or (origin["draft"] if isinstance(origin.get("draft"), dict) else None)
            raw = origin.get("prompts")
            prompts = [p for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
        await asyncio.to_thread(
            sidecar.write_for_job,
            job,
            target,
            journal=self.jobs(),
            draft=draft,
            prompts=prompts,
        )
        yield job


@dataclass(frozen=True)
class _Sent:
    job: RenderJob
    session_id: str
    """The session the render went under."""


def _render_status(render: RenderJob, current: JobStatus) -> JobStatus:
    status = render.status
    if status in ("pending", "processing", "completed", "failed", "cancelled"):
        return status
    return current
