"""``artgen batch FILE``: the parser, the run, the live table and the summary.

The work itself is :class:`artgen_tui.core.batch.BatchRunner`'s; this module checks the file,
prices the batch (the spend guard), draws progress on stderr — a table redrawn in place on a
terminal, one line per stage change otherwise — writes ``--json`` events on stdout and picks the
exit code: 0 when every item is done, 1 when an item failed for good, 2 when every failure was
transient (running the batch again may finish it).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgen_tui.api.untrusted import clean_line

# Only the parser is needed by every command; the batch machinery loads when a batch runs.
if TYPE_CHECKING:
    from artgen_tui.cli import Context, Output
    from artgen_tui.core.batch import BatchSummary, ItemUpdate
    from artgen_tui.core.workspace import Workspace

EPILOG = """\
  artgen batch items.jsonl
  artgen batch items.jsonl --prompt 'add title "Summer"' --out-dir ~/Videos/summer
  artgen batch items.toml --concurrency 3 --json
  artgen batch items.jsonl --retry-failed   run the failed items again, keep the done ones

  items.jsonl, one object per line (paths are relative to the file):
    {"file": "beach.png", "prompt": "add title \\"Beach\\"", "output": "beach.mp4"}
    {"url": "https://example.com/clip.mp4", "resolution": "720p"}
  items.toml:
    [[item]]
    file = "beach.png"
    prompt = 'add title "Beach"'

  Each item becomes its own MP4 in its own session. An interrupted batch resumes where it
  stopped when run again (nothing is uploaded or rendered twice).
"""

REDRAW_INTERVAL = 0.1
"""Seconds between redraws of the live table for progress alone (stage changes redraw at once)."""


def add_batch_parser(add: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    p = add("batch", "Make one MP4 per item of a JSON-lines or TOML file.", EPILOG)
    p.add_argument("file", metavar="FILE", type=Path, help="The batch file (.jsonl or .toml).")
    p.add_argument("--out-dir", metavar="DIR", type=Path, help="Folder for the MP4s.")
    p.add_argument("--prompt", metavar="TEXT", help="Instruction for items without their own.")
    p.add_argument("--concurrency", metavar="N", type=int, help="Items at a time (default 2).")
    p.add_argument("--yes", action="store_true", help="Run even when over balance or limit.")
    p.add_argument(
        "--retry-failed", action="store_true", help="Run only the items that failed before."
    )


class BatchDisplay:
    """Progress on stderr and ``--json`` events on stdout."""

    def __init__(self, out: Output, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.rows: dict[int, ItemUpdate] = {}
        self.fractions: dict[int, float | None] = {}
        self._drawn = 0
        self._last_draw = 0.0
        self._clock = clock

    def update(self, update: ItemUpdate) -> None:
        previous = self.rows.get(update.index)
        self.rows[update.index] = update
        self.fractions[update.index] = update.fraction
        changed = previous is None or (previous.stage, previous.output, previous.credits) != (
            update.stage,
            update.output,
            update.credits,
        )
        if changed:
            self.out.emit("item", **_item_json(update))
        if self.out.err_tty:
            now = self._clock()
            if changed or now - self._last_draw >= REDRAW_INTERVAL:
                self._last_draw = now
                self.draw()
        elif changed and previous is not None:
            self.out.note(f"artgen: {self.line(update)}")

    def line(self, u: ItemUpdate) -> str:
        width = len(str(len(self.rows)))
        text = f"[{u.index + 1:>{width}}] {u.name[:28]:<28} {u.stage:<8}"
        fraction = self.fractions.get(u.index)
        if u.stage in ("upload", "export", "download") and fraction is not None:
            text += f" {fraction * 100:3.0f}%"
        else:
            text += "     "
        text += f" {u.credits:>5} cr"
        if u.error:
            text += f"  {u.error}"
        elif u.output:
            text += f"  {u.output}"
        return text

    def draw(self) -> None:
        """Redraw the table in place (stderr is a terminal)."""
        err = self.out.err
        if self._drawn:
            err.write(f"\x1b[{self._drawn}F")
        header = f"{'item':<{len(str(len(self.rows))) + 31}} {'stage':<8} prog  credits  output"
        lines = [header, *(self.line(self.rows[i]) for i in sorted(self.rows))]
        for text in lines:
            err.write("\x1b[2K" + clean_line(text, None) + "\n")
        err.flush()
        self._drawn = len(lines)


def _item_json(u: ItemUpdate) -> dict[str, Any]:
    return {
        "index": u.index,
        "name": u.name,
        "stage": u.stage,
        "credits": u.credits,
        "output": u.output,
        "error": u.error,
        "transient": u.transient,
    }


def exit_code(summary: BatchSummary) -> int:
    if summary.all_done:
        return 0
    return 2 if all(f.transient for f in summary.failures) and summary.failures else 1


def _summarise(out: Output, summary: BatchSummary) -> int:
    code = exit_code(summary)
    failures = summary.failures
    done = sum(1 for i in summary.items if i.stage == "done")
    out.emit(
        "summary",
        items=len(summary.items),
        done=done,
        ran=summary.ran,
        failed=[_item_json(f) for f in failures],
        outputs=[i.output for i in summary.items if i.stage == "done"],
        credits=summary.credits,
        exit_code=code,
    )
    out.text(f"{done} of {len(summary.items)} items done, {summary.credits} credits spent.")
    for item in summary.items:
        if item.stage == "done":
            out.text(f"  [{item.index + 1}] {item.name} → {item.output}")
    for item in failures:
        kind = "transient" if item.transient else "failed"
        out.note(f"artgen: [{item.index + 1}] {item.name} {kind}: {item.error}")
    if failures:
        again = "again" if code == 2 else "again after fixing the cause"
        out.note(f"artgen: run the batch {again} (or with --retry-failed) to retry the failures.")
    return code


async def run_batch(ctx: Context, ws: Workspace) -> int:
    from artgen_tui.cli_spend import balance, judge
    from artgen_tui.core.batch import BatchRunner, BatchSummary
    from artgen_tui.core.batch_file import BatchFileError, load_batch
    from artgen_tui.core.batch_journal import BatchJournal
    from artgen_tui.core.spend import SpendGuard

    args, out, settings = ctx.args, ctx.out, ctx.settings
    try:
        batch = load_batch(args.file, args.prompt)
    except BatchFileError as exc:
        count = len(exc.problems)
        out.error(
            f"{exc.path}: {count} problem{'s' if count != 1 else ''}; nothing was sent.\n"
            + "\n".join(exc.problems)
        )
        return 1
    concurrency = args.concurrency or settings.batch.concurrency
    if concurrency < 1:
        out.error("--concurrency must be 1 or more.")
        return 1
    out_dir = (args.out_dir or settings.output_dir).expanduser().resolve()
    journal = BatchJournal(batch.path, batch.digest, ws.identity)
    display = BatchDisplay(out)
    guard = SpendGuard(ws.identity, limit=settings.spend.limit)
    runner = BatchRunner(
        ws,
        batch,
        journal,
        out_dir=out_dir,
        concurrency=concurrency,
        on_update=display.update,
        guard=guard,
        failed_only=bool(args.retry_failed),
    )
    todo = runner.to_run()
    if not todo:
        if args.retry_failed:
            out.note("artgen: no failed items to retry.")
        else:
            out.note(f"artgen: all {len(batch.items)} items are already done; nothing to render.")
        views = [runner.view(i) for i in batch.items]
        summary = BatchSummary(views, 0, sum(v.credits for v in views))
        return _summarise(out, summary)
    kinds = runner.remaining_kinds()
    estimate = guard.estimate_many(
        kinds, await balance(ws), what=f"batch of {len(todo)} item{'s' if len(todo) != 1 else ''}"
    )
    if judge(out, estimate, bool(args.yes)):
        return 1
    summary = await runner.run()
    return _summarise(out, summary)
