"""One video per file, from the picker's selection: ask for the instructions, price the batch as
a whole, then run :class:`artgen_tui.core.batch.BatchRunner` with a live table.

The picker's files become a small JSON-lines batch file in the state folder, so the run is
journaled and resumable exactly like ``artgen batch FILE``. The summary lists the items that
failed and why; a key runs just those again, priced first (the runner's ``failed_only``, as
``artgen batch FILE --retry-failed``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static

from artgen_tui import paths
from artgen_tui.api.errors import ApiError
from artgen_tui.config import Settings
from artgen_tui.core.batch import BatchRunner, BatchSummary, ItemUpdate
from artgen_tui.core.batch_file import BatchFile, BatchFileError, load_batch
from artgen_tui.core.batch_journal import BatchJournal
from artgen_tui.core.spend import Estimate, SpendGuard
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.keys import bound_key, key_display
from artgen_tui.tui.messages import BatchFinished
from artgen_tui.tui.screens.spend_confirm import SpendConfirm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchPlan:
    """Files and the instruction for each (already resolved: a blank one takes the shared)."""

    items: list[tuple[Path, str]]


def write_batch_file(plan: BatchPlan, folder: Path | None = None) -> Path:
    """The plan as a JSON-lines batch file (absolute paths), named by the time it was made."""
    folder = folder or paths.state_dir() / "batches"
    paths.ensure_private_dir(folder)
    path = folder / f"picker-{time.strftime('%Y%m%d-%H%M%S')}-{len(plan.items)}.jsonl"
    lines = [json.dumps({"file": str(f), "prompt": prompt}) for f, prompt in plan.items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class BatchSetup(ModalScreen[BatchPlan | None]):
    """A shared instruction, and optionally one per file (blank: the shared one)."""

    DEFAULT_CSS = """
    BatchSetup {
        align: center middle;
        & > Vertical {
            width: 90%; max-width: 100; height: auto; max-height: 90%;
            border: thick $accent; background: $surface; padding: 0 1;
        }
        #batch-setup-title { text-style: bold; padding-bottom: 1; }
        #batch-files { height: auto; max-height: 16; }
        .batch-file-row { height: auto; }
        .batch-file-row > Label { width: 24; padding: 1 1 0 0; }
        .batch-file-row > Input { width: 1fr; }
        #batch-setup-message { color: $error; height: auto; }
        #batch-setup-buttons { height: auto; align-horizontal: right; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="batch_setup.cancel"),
    ]

    def __init__(self, files: Sequence[Path]) -> None:
        super().__init__()
        self.files = list(files)

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.files)
            yield Static(
                Content(f"One video per file · {count} file{'s' if count != 1 else ''}"),
                id="batch-setup-title",
            )
            yield Input(placeholder="Shared instruction for every file", id="batch-shared")
            with VerticalScroll(id="batch-files"):
                for n, path in enumerate(self.files):
                    with Horizontal(classes="batch-file-row"):
                        yield Label(Content(path.name))
                        yield Input(placeholder="(the shared instruction)", id=f"batch-item-{n}")
            yield Static("", id="batch-setup-message")
            with Horizontal(id="batch-setup-buttons"):
                yield Button("Price and run", variant="primary", id="batch-run")
                yield Button("Cancel", id="batch-cancel")

    def on_mount(self) -> None:
        self.query_one("#batch-shared", Input).focus()

    def plan(self) -> BatchPlan | str:
        """The plan, or what is missing."""
        shared = self.query_one("#batch-shared", Input).value.strip()
        items: list[tuple[Path, str]] = []
        for n, path in enumerate(self.files):
            own = self.query_one(f"#batch-item-{n}", Input).value.strip()
            if not (own or shared):
                return f"{path.name} has no instruction: give a shared one or one for it."
            items.append((path, own or shared))
        return BatchPlan(items)

    @on(Button.Pressed, "#batch-run")
    @on(Input.Submitted)
    def action_run(self) -> None:
        plan = self.plan()
        if isinstance(plan, str):
            self.query_one("#batch-setup-message", Static).update(Content(plan))
            return
        self.dismiss(plan)

    @on(Button.Pressed, "#batch-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def progress_cell(update: ItemUpdate) -> str:
    if update.stage == "done":
        return "100%"
    return "—" if update.fraction is None else f"{round(100 * update.fraction)}%"


class BatchScreen(Screen[BatchSummary | None]):
    """The batch's live table (item, stage, progress, credits, output) and its estimate."""

    DEFAULT_CSS = """
    BatchScreen {
        #batch-title { padding: 0 1; text-style: bold; background: $panel; }
        #batch-estimate { padding: 0 1; color: $text-muted; }
        #batch-table { height: 1fr; }
        #batch-summary { padding: 0 1; height: auto; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="batch.close"),
        Binding("r", "retry_failed", "Retry failed", id="batch.retry_failed"),
    ]

    def __init__(
        self, ws: Workspace | None, batch_path: Path, out_dir: Path, *, concurrency: int = 2
    ) -> None:
        """With no ``ws`` nothing runs (canned screens feed :meth:`show` themselves)."""
        super().__init__()
        self.ws = ws
        self.batch_path = batch_path
        self.out_dir = out_dir
        self.concurrency = concurrency
        self.estimate: Estimate | None = None
        self.summary: BatchSummary | None = None
        self.rows: dict[int, ItemUpdate] = {}
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Batch · {self.batch_path.name}"), id="batch-title")
        yield Static(Content("Pricing…"), id="batch-estimate")
        yield DataTable[str](id="batch-table", cursor_type="row")
        yield Static(Content(""), id="batch-summary")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in [
            ("Item", "item"), ("Stage", "stage"), ("Progress", "progress"),
            ("Credits", "credits"), ("Output", "output"),
        ]:  # fmt: skip
            table.add_column(label, key=key)
        if self.ws is not None:
            self.run_batch()

    def show(self, update: ItemUpdate) -> None:
        table = self.query_one(DataTable)
        cells = (
            update.name,
            update.stage if not update.error else f"{update.stage}: {update.error}",
            progress_cell(update),
            str(update.credits),
            update.output or "",
        )
        key = str(update.index)
        self.rows[update.index] = update
        if key in table.rows:
            for column, value in zip(
                ("item", "stage", "progress", "credits", "output"), cells, strict=True
            ):
                table.update_cell(key, column, value, update_width=True)
        else:
            table.add_row(*cells, key=key)

    def show_estimate(self, estimate: Estimate) -> None:
        self.estimate = estimate
        self.query_one("#batch-estimate", Static).update(Content(estimate.sentence))

    def _say(self, text: str) -> None:
        self.query_one("#batch-summary", Static).update(Content(text))

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def run_batch(self, failed_only: bool = False) -> None:
        """Run the batch's unfinished items (only the failed ones with ``failed_only``)."""
        if self.ws is None:
            return
        self.running = True
        self.refresh_bindings()
        try:
            await self._run(self.ws, failed_only)
        finally:
            self.running = False
            self.refresh_bindings()

    async def _run(self, ws: Workspace, failed_only: bool) -> None:
        try:
            batch = load_batch(self.batch_path)
        except BatchFileError as exc:
            self._say("\n".join(exc.problems))
            return
        runner = self._runner(ws, batch, failed_only)
        for item in batch.items:
            self.show(runner.view(item))
        count = len(runner.to_run()) if failed_only else len(batch.items)
        plural = "s" if count != 1 else ""
        what = (
            f"retry of {count} failed item{plural}"
            if failed_only
            else f"batch of {count} item{plural}"
        )
        if not await self._priced(ws, runner, what):
            earlier = f"\n{self.summary_text(self.summary)}" if self.summary else ""
            self._say(f"Not run: nothing was sent. Esc closes.{earlier}")
            return
        try:
            self.summary = await runner.run()
        except ApiError as exc:
            self._say(f"The batch stopped: {exc}")
            return
        self.show_summary(self.summary)

    def show_summary(self, summary: BatchSummary) -> None:
        self._say(self.summary_text(summary))
        self.refresh_bindings()
        done = sum(1 for i in summary.items if i.stage == "done")
        self.post_message(BatchFinished(done, len(summary.items)))

    def summary_text(self, summary: BatchSummary) -> str:
        """Done, credits and folder; then each failed item with its reason, and the retry key."""
        done = sum(1 for i in summary.items if i.stage == "done")
        lines = [
            f"{done} of {len(summary.items)} done · {summary.credits} credits · "
            f"videos in {self.out_dir}"
        ]
        failures = summary.failures
        for item in failures:
            lines.append(f"  [{item.index + 1}] {item.name} failed: {item.error or 'no details'}")
        if failures:
            key = key_display(
                bound_key(self.BINDINGS, getattr(self.app, "keymap", {}), "retry_failed")
            )
            them = "it" if len(failures) == 1 else f"these {len(failures)}"
            lines.append(
                f"Press {key} to run {them} again alone (as `artgen batch {self.batch_path} "
                "--retry-failed` does)."
            )
        return "\n".join(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The retry key is there only when the batch is over and something failed."""
        if action == "retry_failed":
            return bool(self.summary and self.summary.failures) and not self.running
        return True

    def action_retry_failed(self) -> None:
        if self.check_action("retry_failed", ()):
            self.run_batch(failed_only=True)

    def _runner(self, ws: Workspace, batch: BatchFile, failed_only: bool = False) -> BatchRunner:
        journal = BatchJournal(batch.path, batch.digest, ws.identity)
        guard = SpendGuard(ws.identity, limit=ws.settings.spend.limit)
        return BatchRunner(
            ws, batch, journal, out_dir=self.out_dir, concurrency=self.concurrency,
            on_update=self.show, guard=guard, failed_only=failed_only,
        )  # fmt: skip

    async def _priced(self, ws: Workspace, runner: BatchRunner, what: str) -> bool:
        try:
            balance = await ws.credits()
        except ApiError as exc:
            log.info("balance before a batch unavailable (priced without it): %s", exc)
            balance = None
        self.show_estimate(runner.guard.estimate_many(runner.remaining_kinds(), balance, what=what))
        assert self.estimate is not None
        if not self.estimate.needs_confirmation:
            return True
        answer: bool = await self.app.push_screen_wait(
            SpendConfirm(self.estimate, "Run it anyway?")
        )
        return answer

    def action_close(self) -> None:
        self.dismiss(self.summary)


def batch_screen(ws: Workspace, settings: Settings, plan: BatchPlan) -> BatchScreen:
    """The live batch screen for ``plan``, written to a batch file first (so it is journaled and
    resumable like ``artgen batch``)."""
    return BatchScreen(
        ws, write_batch_file(plan), settings.output_dir, concurrency=settings.batch.concurrency
    )
