"""Headless ``artgen library`` and ``artgen preview``: the results so far, and a quick draft preview.

``library`` needs no server: it reads the output folder(s), the sidecars and the export journal.
``library reexport FILE`` renders the draft kept in FILE's sidecar again into a new file
(:mod:`artgen_tui.core.reexport`), priced and journaled like ``artgen export``.
``preview`` renders a low-resolution export of the timeline into the cache and prints its frame
strip as half-blocks when stdout is a terminal, else the path (``--json``: one ``preview`` line).
It is priced like an export first (refused with exit 1 over the balance or the ``[spend] limit``
unless ``--yes``), and what it cost is reported after.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgen_tui.core import imaging
from artgen_tui.core.sizes import RESOLUTIONS

if TYPE_CHECKING:
    from artgen_tui.cli import Context

LIBRARY_EPILOG = (
    "  artgen library                  every exported MP4, newest first\n"
    "  artgen library --json           one JSON line per result\n"
    "  artgen library --dir ~/Videos   also look in this folder\n"
    "  artgen library reexport city.mp4 --wait\n"
    "                                  render city.mp4's stored draft again, into a new file\n"
    "  artgen library reexport city.mp4 --resolution 1080p --wait -o city-hd.mp4\n"
)
PREVIEW_EPILOG = (
    "  artgen preview                  a 360p render of the timeline, shown as a frame strip\n"
    "  artgen preview --frames 6\n"
    "  artgen preview --yes            even when it costs more than the balance or the limit\n"
    "  artgen chat preview             the same, typed (also: /preview, 预览)\n"
)


def add_arguments(sub: Any, add: Any) -> None:
    """Register ``library`` and ``preview`` with the main parser (``add`` is its helper)."""
    p = add(
        "library",
        "List every exported MP4 across sessions (from the sidecars); `reexport FILE` renders "
        "one's stored draft again into a new file.",
        LIBRARY_EPILOG,
    )
    p.add_argument("action", nargs="?", default="list", choices=("list", "reexport"))
    p.add_argument("file", nargs="?", metavar="FILE", type=Path, help="The MP4 to re-export.")
    p.add_argument(
        "--dir", metavar="DIR", type=Path, action="append", default=[], help="Another folder."
    )
    p.add_argument(
        "--resolution", choices=RESOLUTIONS, help="Re-export size (default: the file's own)."
    )
    p.add_argument("--wait", action="store_true", help="Wait for the render and download it.")
    p.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="Where to save it (default: beside)."
    )
    p.add_argument("--yes", action="store_true", help="Send even when over balance or limit.")
    p = add("preview", "Render a quick low-resolution preview and show its frames.", PREVIEW_EPILOG)
    add_preview_arguments(p)


def add_preview_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=int, default=imaging.DEFAULT_STRIP_COUNT, help="Frames shown.")
    p.add_argument("--yes", action="store_true", help="Send even when over balance or limit.")


def _human_size(size: int) -> str:
    from artgen_tui.api.files import human_size

    return human_size(size)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def cmd_library(ctx: Context) -> int:
    from artgen_tui.core.library import Library

    folders = [Path(ctx.settings.output_dir).expanduser(), *ctx.args.dir]
    items = Library(folders).items()
    for item in items:
        ctx.out.emit("result", **item.to_json())
        date = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.created_at))
        ctx.out.text(
            f"{date}  {_duration(item.duration_s):>6}  {_human_size(item.size):>9}  "
            f"{item.title}\n{'':18}{item.path}  session {item.session_id or '?'}"
        )
    if not items:
        ctx.out.text("No exported videos yet. Export one with `artgen export --wait`.")
    return 0


def needs_server(args: argparse.Namespace) -> bool:
    """``library reexport`` talks to the server; listing never does."""
    return getattr(args, "action", "list") == "reexport"


async def cmd_reexport(ctx: Context, ws: Any) -> int:
    """``artgen library reexport FILE``: the app's Library ``e``, headless (same rule, same
    guard, same journal as ``artgen export``)."""
    from artgen_tui import cli, cli_spend
    from artgen_tui.core import reexport
    from artgen_tui.core.jobs import JobManager

    args = ctx.args
    if args.file is None:
        ctx.out.error("`artgen library reexport` needs the MP4 to re-export; see `artgen library`.")
        return cli.EXIT_PERMANENT
    source = reexport.load(args.file)  # NotReexportable: why, and what to do, exit 1
    await ws.ready(args.session, new=bool(args.new_session))
    manager = JobManager(ws)
    reexport.check_target(manager, source, args.output)  # before any work, like `export`
    priced = await cli_spend.check(ctx.out, ws, "export", yes=bool(args.yes))
    if priced.refused:
        return cli.EXIT_PERMANENT
    job = await reexport.submit(
        manager, source, resolution=args.resolution, output_path=args.output
    )
    job = manager.charge(job.id, cli_spend.report(ctx.out, priced, await cli_spend.balance(ws)))
    ctx.out.emit("job", **job.to_json())
    size = job.resolution or "the server's default size"
    if not args.wait:
        ctx.out.text(
            f"Re-export {job.id} of {source.path.name} ({size}) submitted. "
            "Run `artgen jobs resume` to wait for it and download it."
        )
        return cli.EXIT_OK
    ctx.out.note(
        f"artgen: re-export {job.id} of {source.path.name} ({size}) submitted; waiting…", dim=True
    )
    return await cli._follow(
        ctx, manager.follow(job.id, render_wait=ws.settings.network.render_wait)
    )


def strip_columns(count: int, terminal_width: int, gap: int = 1) -> int:
    """Columns per frame so that ``count`` frames fit side by side (between 8 and 40)."""
    usable = max(8, terminal_width - gap * (count - 1))
    return max(8, min(40, usable // max(1, count)))


async def cmd_preview(ctx: Context, ws: Any) -> int:
    """``artgen preview`` and ``artgen chat preview``: priced like an export (the app's F7 too),
    rendered small into the cache, shown as a strip."""
    from artgen_tui import cli_spend
    from artgen_tui.core.preview import PreviewReady, preview
    from artgen_tui.core.termimage import halfblock_strip

    out = ctx.out
    count = max(1, min(imaging.MAX_COUNT, int(getattr(ctx.args, "frames", 0) or 5)))
    yes = bool(getattr(ctx.args, "yes", False))
    priced = await cli_spend.check(out, ws, "export", yes=yes, what="preview")
    if priced.refused:
        return 1
    ready: PreviewReady | None = None
    last = None
    async for update in preview(ws, count=count):
        if isinstance(update, PreviewReady):
            ready = update
            continue
        last = update
        if update.status in ("pending", "processing"):
            out.progress(f"rendering preview {update.progress:3d}%")
        elif update.status == "downloading":
            out.progress("downloading preview…")
    out.clear_progress()
    if last is not None:
        cli_spend.report(out, priced, await cli_spend.balance(ws))
    if ready is None:
        status = last.status if last else "failed"
        error = last.error if last and last.error else "no details"
        out.error(f"The preview did not finish ({status}: {error}).")
        return 2 if status == "download_failed" else 1
    out.emit(
        "preview",
        path=str(ready.path),
        frames=len(ready.frames),
        error=ready.error,
        session_id=ws.session_id,
    )
    if ready.error:
        out.note(f"artgen: {ready.error}")
    if out.json_mode:
        return 0
    if out.out.isatty() and ready.frames:
        from rich.console import Console

        width = shutil.get_terminal_size((80, 24)).columns
        columns = strip_columns(len(ready.frames), width)
        console = Console(file=out.out, force_terminal=True, color_system="truecolor")
        console.print(halfblock_strip(ready.frames, columns), soft_wrap=True)
        out.note(f"Preview saved in {ready.path}", dim=True)
    else:
        out.text(str(ready.path))
    return 0
