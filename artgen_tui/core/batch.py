"""Batch runs: one MP4 per item of a batch file, each from that item's media and instruction only.

Every item gets its own session. A session is the service's unit of a timeline: uploads land on
it and an export renders all of it, and there is no way to scope an upload, a turn or a render to
part of a session. Separate sessions are therefore the only way to keep one item's media and
edits out of another item's video, and they let items run side by side.

Per item: session → upload → turn (the instruction, through the same
:func:`artgen_tui.core.conversation.run_turn` the chat uses) → export → download. Each completed
step is written to the :class:`~artgen_tui.core.batch_journal.BatchJournal` before the next one
starts, and a step whose completion was not journaled is checked against the server before it is
repeated (is the file already on the timeline? did the draft change after the upload? is a render
for this session already in the export journal?), so a killed batch resumes without uploading or
rendering anything twice. Renders are followed through :class:`~artgen_tui.core.jobs.JobManager`,
so an interrupted render is picked up by its id, never submitted again.

Turns and export submissions run one at a time (uploads, renders and downloads overlap): the
balance is per account, so this is what makes each item's measured cost its own. An export's cost
also goes into its job, and so into the MP4's sidecar.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artgen_tui.api.errors import ApiError
from artgen_tui.api.models import Credits, SessionState
from artgen_tui.core import conversation as conv
from artgen_tui.core import uploads
from artgen_tui.core.batch_file import BatchFile, BatchItem
from artgen_tui.core.batch_journal import BatchJournal, ItemRecord, Stage
from artgen_tui.core.credentials import CredentialStore
from artgen_tui.core.jobs import ExportJob, JobManager, UnknownJob
from artgen_tui.core.spend import SpendGuard, SpendKind, classify
from artgen_tui.core.workspace import Workspace

log = logging.getLogger(__name__)

SETTLE_POLLS = 2
"""Unchanged state polls after which a turn left running by a killed batch counts as over."""
SETTLE_MAX_POLLS = 30


@dataclass(frozen=True)
class ItemUpdate:
    """One item's state, reported on every stage change and progress step."""

    index: int
    name: str
    stage: Stage
    fraction: float | None = None
    credits: int = 0
    output: str | None = None
    error: str | None = None
    transient: bool = False


@dataclass(frozen=True)
class BatchSummary:
    items: list[ItemUpdate]
    ran: int
    """Items worked on in this run (the others were done before, or left alone)."""
    credits: int

    @property
    def failures(self) -> list[ItemUpdate]:
        return [i for i in self.items if i.stage == "failed"]

    @property
    def all_done(self) -> bool:
        return all(i.stage == "done" for i in self.items)


class _ItemCredentials(CredentialStore):
    """The account's token and client id, but an item's session is never made the user's
    current one (the batch journal remembers it instead)."""

    def save_session(self, session: object) -> None:
        return None

    def load_session(self) -> None:
        return None


def item_kind(item: BatchItem) -> SpendKind:
    """How an item's turn is priced (its session already holds the uploaded medium)."""
    return classify(item.prompt, has_timeline=True) or "chat"


def _draft_hash(state: SessionState | None) -> str | None:
    if state is None:
        return None
    raw = json.dumps(state.draft.to_wire(exclude_unset=False), sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", Path(text).stem.lower(), flags=re.UNICODE).strip("-")
    return slug[:40].strip("-") or "item"


class BatchRunner:
    """Runs the items of one batch file that are not done yet, ``concurrency`` at a time."""

    def __init__(
        self,
        ws: Workspace,
        batch: BatchFile,
        journal: BatchJournal,
        *,
        out_dir: Path,
        concurrency: int = 2,
        on_update: Callable[[ItemUpdate], None] | None = None,
        guard: SpendGuard | None = None,
        failed_only: bool = False,
    ) -> None:
        self.ws = ws
        self.batch = batch
        self.journal = journal
        self.out_dir = out_dir.expanduser()
        self.concurrency = max(1, concurrency)
        self._on_update = on_update
        self.guard = guard or SpendGuard(ws.identity, limit=ws.settings.spend.limit)
        self.failed_only = failed_only
        self._turn_lock = asyncio.Lock()
        for item in batch.items:
            journal.record(item.index, item.fingerprint())

    # --- what to run -------------------------------------------------------------------------

    def rec(self, item: BatchItem) -> ItemRecord:
        return self.journal.record(item.index, item.fingerprint())

    def to_run(self) -> list[BatchItem]:
        """Items this run works on: not done (only the failed ones with ``failed_only``)."""
        wanted = ("failed",) if self.failed_only else ("pending", "running", "failed")
        return [i for i in self.batch.items if self.rec(i).status in wanted]

    def remaining_kinds(self) -> list[SpendKind]:
        """What the items to run will still be charged for: their turns and their exports."""
        kinds: list[SpendKind] = []
        for item in self.to_run():
            rec = self.rec(item)
            if not rec.turn_done:
                kinds.append(item_kind(item))
            if rec.render_id is None or rec.status == "failed":
                kinds.append("export")  # a failed item may render again
        return kinds

    def target(self, item: BatchItem) -> Path:
        if item.output:
            return self.out_dir / item.output
        return self.out_dir / f"{item.index + 1:02d}-{_slug(item.name)}.mp4"

    def view(self, item: BatchItem, fraction: float | None = None) -> ItemUpdate:
        rec = self.rec(item)
        return ItemUpdate(
            item.index,
            item.name,
            rec.stage,
            fraction,
            rec.credits_spent,
            rec.output,
            rec.error,
            rec.transient,
        )

    def _report(self, item: BatchItem, fraction: float | None = None) -> None:
        if self._on_update is not None:
            self._on_update(self.view(item, fraction))

    def _step(self, item: BatchItem, stage: Stage, **changes: object) -> ItemRecord:
        rec = self.rec(item)
        rec.stage = stage
        for key, value in changes.items():
            setattr(rec, key, value)
        self.journal.save(rec)
        self._report(item)
        return rec

    # --- running -----------------------------------------------------------------------------

    async def run(self) -> BatchSummary:
        """Work on :meth:`to_run`'s items; returns every item's final state."""
        items = self.to_run()
        for item in self.batch.items:
            self._report(item)
        if items:
            await self.ws.client.ensure_token()  # once, so items share one token
            limit = asyncio.Semaphore(self.concurrency)

            async def one(item: BatchItem) -> None:
                async with limit:
                    await self._run_item(item)

            await asyncio.gather(*(one(i) for i in items))
        views = [self.view(i) for i in self.batch.items]
        return BatchSummary(views, len(items), sum(v.credits for v in views))

    async def _run_item(self, item: BatchItem) -> None:
        rec = self.rec(item)
        rec.status, rec.error, rec.transient = "running", None, False
        rec.attempts += 1
        self.journal.save(rec)
        credentials = _ItemCredentials(self.ws.credentials.directory, self.ws.identity)
        try:
            async with Workspace(
                self.ws.settings, credentials=credentials, on_notice=self.ws.notice
            ) as ws:
                await self._session(item, ws)
                await self._upload(item, ws)
                await self._turn(item, ws)
                await self._export(item, ws)
        except ApiError as exc:
            self._step(
                item, "failed", status="failed", error=exc.user_text(), transient=exc.transient
            )
        except OSError as exc:
            message = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
            self._step(item, "failed", status="failed", error=message, transient=False)

    async def _session(self, item: BatchItem, ws: Workspace) -> None:
        rec = self.rec(item)
        if rec.session_id is None:
            self._step(item, "session")
            info = await ws.ready(new=True)
            self._step(item, "session", session_id=info.session_id)
            return
        await ws.ready(rec.session_id)
        if ws.session_id != rec.session_id:
            # The server lost the session: everything in it is gone, start the item over.
            self._step(
                item,
                "session",
                session_id=ws.session_id,
                uploaded=False,
                draft_after_upload=None,
                turn_sent=False,
                turn_done=False,
                render_id=None,
            )

    async def _already_uploaded(self, item: BatchItem, ws: Workspace) -> bool:
        """Whether an upload whose completion was never journaled reached the session."""
        state = await ws.state()
        infos = state.state.video_infos
        if item.is_url:
            return any(i.get("cdn_url") == item.source for i in infos)
        digest = await asyncio.to_thread(_sha256, Path(item.source))
        return any(i.get("hash") == digest for i in infos)

    async def _upload(self, item: BatchItem, ws: Workspace) -> None:
        rec = self.rec(item)
        if rec.uploaded:
            return
        if rec.stage == "upload" and await self._already_uploaded(item, ws):
            self._step(item, "upload", uploaded=True, draft_after_upload=_draft_hash(ws.last_state))
            return
        self._step(item, "upload")

        def progress(p: uploads.UploadProgress) -> None:
            self._report(item, p.fraction)

        source: Path | str = item.source if item.is_url else Path(item.source)
        outcome = await uploads.upload(ws, [source], progress)
        state = outcome.state or await ws.state()
        self._step(item, "upload", uploaded=True, draft_after_upload=_draft_hash(state))

    async def _settled_state(self, ws: Workspace) -> SessionState:
        """Poll until the draft stops changing (a turn left running by a killed batch)."""
        interval = ws.settings.render_poll_interval
        last = _draft_hash(await ws.state())
        unchanged = 0
        for _ in range(SETTLE_MAX_POLLS):
            await asyncio.sleep(interval)
            now = _draft_hash(await ws.state())
            unchanged = unchanged + 1 if now == last else 0
            last = now
            if unchanged >= SETTLE_POLLS:
                break
        assert ws.last_state is not None
        return ws.last_state

    async def _turn(self, item: BatchItem, ws: Workspace) -> None:
        rec = self.rec(item)
        if rec.turn_done:
            return
        if rec.turn_sent:
            self._step(item, "turn")
            state = await self._settled_state(ws)
            if _draft_hash(state) != rec.draft_after_upload:
                self._step(item, "turn", turn_done=True)
                return
        async with self._turn_lock:
            before = await ws.credits()
            self._step(item, "turn", turn_sent=True)
            after: Credits | None = None
            heard = False
            try:
                async for event in conv.run_turn(ws, item.prompt):
                    heard = heard or not isinstance(event, conv.Heartbeat)
                    if isinstance(event, conv.Heartbeat | conv.ToolActivity):
                        self._report(item)
                    elif isinstance(event, conv.TurnDone):
                        after = event.credits
            except ApiError:
                if not heard:  # refused before the agent started (e.g. too few credits)
                    rec.turn_sent = False
                    self.journal.save(rec)
                raise
            spent = rec.credits_spent
            if after is not None:
                spent += max(0, self.guard.record(item_kind(item), before, after))
            self._step(item, "turn", turn_done=True, credits_spent=spent)

    async def _submit(self, item: BatchItem, ws: Workspace, manager: JobManager) -> ExportJob:
        """Submit the item's render and measure what that cost (alone: under the turn lock)."""
        async with self._turn_lock:
            before = await self._balance(ws)
            job = await manager.submit(resolution=item.resolution, output_path=self.target(item))
            after = await self._balance(ws)
        if before is None or after is None:
            return job
        cost = self.guard.record("export", before, after)
        job = manager.charge(job.id, cost)
        rec = self.rec(item)
        self._step(item, "export", credits_spent=rec.credits_spent + (job.credits_spent or 0))
        return job

    @staticmethod
    async def _balance(ws: Workspace) -> Credits | None:
        """The balance, or ``None`` when the server cannot say (the cost is then unmeasured)."""
        try:
            return await ws.credits()
        except ApiError as exc:
            log.info("balance around an export unavailable: %s", exc)
            return None

    def _adopt_render(self, item: BatchItem, manager: JobManager) -> ExportJob | None:
        """A render submitted for this item's session whose id was never journaled."""
        rec = self.rec(item)
        if rec.stage != "export" or rec.session_id is None:
            return None
        mine = [j for j in manager.jobs() if j.session_id == rec.session_id]
        return mine[-1] if mine else None

    async def _export(self, item: BatchItem, ws: Workspace) -> None:
        rec = self.rec(item)
        manager = JobManager(ws, output_dir=self.out_dir)
        job: ExportJob | None = None
        if rec.render_id is not None:
            try:
                job = manager.get(rec.render_id)
            except UnknownJob:
                job = None
            if job is not None and job.status in ("failed", "cancelled"):
                job = None  # a failed render is rendered again on retry; nothing else is
        else:
            job = self._adopt_render(item, manager)
        if job is None:
            self._step(item, "export")
            job = await self._submit(item, ws, manager)
        self._step(item, "export", render_id=job.id, output=job.path)
        if job.status == "downloaded" and job.path and Path(job.path).exists():
            updates = None
        elif job.status in ("download_failed", "downloaded"):
            updates = manager.retry_download(job.id)
        else:
            updates = manager.follow(job.id, render_wait=ws.settings.network.render_wait)
        if updates is not None:
            stage: Stage = "export"
            async for job in updates:
                if job.status == "downloading" and stage != "download":
                    stage = "download"
                    self._step(item, "download")
                if job.status == "downloading":
                    self._report(item, job.download_fraction)
                elif not job.finished:
                    self._report(item, job.progress / 100)
        if job.status == "downloaded":
            self._step(item, "done", status="done", output=job.path, error=None)
            return
        self._step(
            item,
            "failed",
            status="failed",
            error=f"export {job.id} {job.status}: {job.error or 'no details'}",
            transient=job.status == "download_failed",
        )
