"""The ``artgen`` command: the TUI by default, headless subcommands for scripts (README, Usage).

Exit codes: 0 success, 1 a permanent error, 2 a transient one (trying again may help), 130 when
interrupted, 143 stopped by SIGTERM (as Ctrl+C stops it); the app also ends with 129 when its
terminal closes. Errors are one line on stderr (``artgen: …``), never a traceback. With ``--json``
(the default when stdout is not a terminal) stdout carries one JSON object per line.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import gc
import importlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from artgen_tui import __version__, paths
from artgen_tui.api import tls
from artgen_tui.api.errors import ApiError, InsufficientCredits
from artgen_tui.api.logsafe import log_to_file, redact
from artgen_tui.api.untrusted import clean, clean_line, safe_json
from artgen_tui.config_file import ConfigError, FirstFrame, LateSettings, first_frame
from artgen_tui.core.sizes import RESOLUTIONS

if TYPE_CHECKING:
    from artgen_tui.config import Settings
    from artgen_tui.local.child import ChildBackend

EXIT_OK = 0
EXIT_PERMANENT = 1
EXIT_TRANSIENT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a shutdown) to a headless command: it ends as Ctrl+C ends
    it (the same cleanup, what is unfinished kept and said), with its own status and words."""


def _stop_on_sigterm_as_on_ctrl_c() -> None:
    def stop(_signum: int, _frame: object) -> None:
        raise Terminated

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)


MAIN_EPILOG = """\
examples:
  artgen                                 open the app on the NemoVideo cloud
  artgen --local                         open the app on an embedded offline backend
  artgen chat "generate a futuristic city at sunset, cinematic"
  artgen chat 'add title "Urban Dreams"'
  artgen state                           print the timeline of the current session
  artgen upload clip.mp4 photo.png       upload media into the session
  artgen export --wait -o city.mp4       render, wait, and download the MP4
  artgen jobs list                       the export journal
  artgen doctor                          versions, paths, token presence, reachability
  artgen preview                         a quick 360p render of the timeline, as a frame strip
  artgen library                         every exported video, across sessions
  NEMO_API_URL=http://127.0.0.1:8765 artgen credits

environment:
  NEMO_API_URL   API base URL (same as --api-url)
  NEMO_TOKEN     a fixed API token (default: an anonymous token, fetched and kept for you)
  ARTGEN_CONFIG  path of the config file (same as --config)
  ARTGEN_LOG     write a diagnostic log to this file (same as --log; tokens are masked)

exit codes: 0 ok, 1 permanent error, 2 transient error (retrying may help), 130 interrupted,
  143 stopped by SIGTERM; the app also 129 when its terminal closes.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Flags accepted before or after the subcommand; subcommand copies never clobber the top."""
    default: Any = None if top else argparse.SUPPRESS
    g = parser.add_argument_group("connection and output")
    g.add_argument("--api-url", metavar="URL", default=default, help="API base URL.")
    g.add_argument(
        "--local",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="Start the embedded local backend in-process and use it.",
    )
    g.add_argument("--session", metavar="ID", default=default, help="Use this session id.")
    g.add_argument(
        "--new-session",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="Start a new session (a fresh, empty project).",
    )
    g.add_argument(
        "--json",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="JSON lines on stdout (default when stdout is not a terminal).",
    )
    g.add_argument(
        "--config", metavar="FILE", type=Path, default=default, help="Config file to use."
    )
    g.add_argument(
        "--log",
        metavar="FILE",
        type=Path,
        default=default,
        help="Append a diagnostic log (recoveries, errors; tokens masked) to FILE.",
    )


def build_parser() -> argparse.ArgumentParser:
    from artgen_tui.cli_checks import Parser

    parser = Parser(
        prog="artgen",
        description="Make AI art videos with NemoVideo's agent, in the terminal or from scripts.",
        epilog=MAIN_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"artgen {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def add(name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog="examples:\n" + epilog,
            formatter_class=_Formatter,
        )
        _common(p, top=False)
        return p

    p = add(
        "serve-local",
        "Run the local backend as an HTTP server (the same API as the cloud).",
        "  artgen serve-local\n"
        "  artgen serve-local --port 9000 --data-dir /tmp/artgen-backend\n"
        "  artgen serve-local --faults 'rate_limit=1,drop_stream=1'\n"
        "  NEMO_API_URL=http://127.0.0.1:8765 artgen chat 'a calm ocean at dawn'\n",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="Interface to listen on (default: %(default)s)."
    )
    p.add_argument("--port", type=int, default=8765, help="Port (default: %(default)s).")
    p.add_argument("--faults", metavar="SPEC", default=None, help="Fault injection spec.")
    p.add_argument("--data-dir", metavar="DIR", type=Path, default=None, help="State directory.")

    p = add(
        "chat",
        "Send one message to the agent and print its reply (or what changed on a silent edit).",
        '  artgen chat "generate a futuristic city at sunset, cinematic"\n'
        "  artgen chat 'add title \"Urban Dreams\"'\n"
        '  artgen chat "make it 9:16" --json\n'
        "  artgen chat 积分                  typed commands work too (credits, status, /export…)\n",
    )
    p.add_argument("message", nargs="+", metavar="MESSAGE", help="The message (quote it).")
    p.add_argument("--yes", action="store_true", help="Send even when over balance or limit.")

    p = add(
        "upload",
        "Upload media files or http(s) URLs into the session (200 MB max per file).",
        "  artgen upload clip.mp4\n"
        "  artgen upload photo.png song.mp3\n"
        "  artgen upload https://example.com/clip.mp4\n",
    )
    p.add_argument("items", nargs="+", metavar="FILE|URL", help="Files or URLs to upload.")

    add("state", "Print the session's timeline.", "  artgen state\n  artgen state --json\n")
    add("credits", "Print available, frozen and total credits.", "  artgen credits\n")

    p = add(
        "export",
        "Render the timeline to an MP4; with --wait, wait for it and download it.",
        "  artgen export                     submit; download later with `artgen jobs resume`\n"
        "  artgen export --wait              wait and download into the output folder\n"
        "  artgen export --wait -o city.mp4\n"
        "  artgen export --wait --resolution 720p\n",
    )
    p.add_argument("--wait", action="store_true", help="Wait for the render and download it.")
    p.add_argument("-o", "--output", metavar="FILE", type=Path, help="Where to save the MP4.")
    p.add_argument("--resolution", choices=RESOLUTIONS, help="Output size (default: server's).")
    p.add_argument("--yes", action="store_true", help="Send even when over balance or limit.")

    p = add(
        "jobs",
        "The export journal: list jobs, resume unfinished ones, cancel or re-download one.",
        "  artgen jobs                     same as `artgen jobs list`\n"
        "  artgen jobs resume              finish every interrupted export\n"
        "  artgen jobs cancel render_123\n"
        "  artgen jobs retry render_123    download a finished render again (no re-render);\n"
        "                                  a failed render: export the current timeline again\n",
    )
    p.add_argument(
        "action", nargs="?", default="list", choices=("list", "resume", "cancel", "retry")
    )
    p.add_argument("job_id", nargs="?", metavar="ID", help="Job id for cancel and retry.")

    add(
        "doctor",
        "Print what artgen would use: version, config and state paths, API URL, token presence "
        "(never the token), whether the API answers, and the log file.",
        "  artgen doctor\n  artgen doctor --local\n  artgen doctor --json\n",
    )

    from artgen_tui import cli_library

    cli_library.add_arguments(sub, add)

    from artgen_tui.cli_batch import add_batch_parser

    add_batch_parser(add)

    from artgen_tui import cli_sessions

    cli_sessions.add_arguments(add)
    return parser


# --- output ------------------------------------------------------------------------------------


@dataclass
class Output:
    """Human text or JSON lines on stdout; notices, progress and errors on stderr."""

    json_mode: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _progress_shown: bool = False

    @property
    def err_tty(self) -> bool:
        return self.err.isatty()

    # Every line passes untrusted.clean (or safe_json) here, whatever it carries: the last guard
    # between server text and the terminal. Our own styling escapes are added after cleaning.

    def emit(self, kind: str, **data: Any) -> None:
        if self.json_mode:
            self.out.write(safe_json({"type": kind, **data}))
            self.out.write("\n")
            self.out.flush()

    def text(self, text: str, end: str = "\n") -> None:
        if not self.json_mode:
            self.clear_progress()
            self.out.write(clean(text, None) + end)
            self.out.flush()

    def note(self, text: str, *, dim: bool = False) -> None:
        self.clear_progress()
        text = clean(text, None)
        if dim and self.err_tty:
            text = f"\x1b[2m{text}\x1b[0m"
        self.err.write(text + "\n")
        self.err.flush()

    def progress(self, text: str) -> None:
        """A single updating line on stderr, only when stderr is a terminal."""
        if self.err_tty:
            self.err.write("\r\x1b[2K" + clean_line(text, None))
            self.err.flush()
            self._progress_shown = True

    def clear_progress(self) -> None:
        if self._progress_shown:
            self.err.write("\r\x1b[2K")
            self.err.flush()
            self._progress_shown = False

    def error(self, exc: ApiError | ConfigError | str) -> None:
        if isinstance(exc, ApiError):
            message = exc.user_text()
            self.emit("error", message=message, code=exc.code, transient=exc.transient)
        else:
            message = str(exc)
            self.emit("error", message=message, code=None, transient=False)
        self.note("artgen: " + redact(message).replace("\n", "\nartgen: "))


def bar(fraction: float | None, width: int = 24) -> str:
    if fraction is None:
        return "[" + "·" * width + "]"
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "█" * filled + "░" * (width - filled) + f"] {fraction * 100:3.0f}%"


# --- commands ----------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    out: Output


async def _workspace_call(ctx: Context, body: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    from artgen_tui.core.workspace import Workspace

    async with Workspace(ctx.settings, on_notice=lambda t: ctx.out.note(f"artgen: {t}")) as ws:
        # `credits` and `jobs` need no session (and `jobs list` not even the network).
        if (
            ctx.args.command in ("chat", "state", "upload", "export", "preview")
            or ctx.args.new_session
        ):
            await ws.ready(ctx.args.session, new=bool(ctx.args.new_session))
        return await body(ws)


async def cmd_chat(ctx: Context, ws: Any) -> int:
    from artgen_tui.core import conversation as conv

    message = " ".join(ctx.args.message).strip()
    if not message:
        ctx.out.error("The message is empty; say what video you want.")
        return EXIT_PERMANENT
    local = await _chat_command(ctx, ws, message)
    if local is not None:
        return local
    from artgen_tui import cli_spend
    from artgen_tui.core.spend import classify

    kind = classify(message, has_timeline=bool(ws.has_timeline))
    priced = await cli_spend.check(ctx.out, ws, kind, yes=bool(ctx.args.yes))
    if priced.refused:
        return EXIT_PERMANENT
    printed = False
    async for event in conv.run_turn(ws, message):
        if isinstance(event, conv.TurnDone):
            # What the turn cost comes before the "done" line, so scripts read it first.
            cli_spend.report(ctx.out, priced, event.credits)
        printed = _show_turn_event(ctx, ws, event, printed)
    return EXIT_OK


def _show_turn_event(ctx: Context, ws: Any, event: Any, printed: bool) -> bool:
    """Print one turn event; returns whether reply text has been printed."""
    from artgen_tui.core import conversation as conv

    out = ctx.out
    if isinstance(event, conv.TextChunk):
        out.emit("text", text=event.text)
        if not out.json_mode:
            out.clear_progress()
            out.out.write(clean(event.text, None))
            out.out.flush()
            return True
    elif isinstance(event, conv.ToolActivity):
        out.emit("tool", name=event.name, label=event.label)
        if ws.settings.show_tool_activity:
            out.note(f"· {event.label}", dim=True)
    elif isinstance(event, conv.StillWorking):
        out.emit("still_working", elapsed=round(event.elapsed, 1))
        out.note(event.text)
    elif isinstance(event, conv.Heartbeat):
        out.progress(f"working… {int(event.elapsed)} s")
    elif isinstance(event, conv.TimelineChanged):
        out.emit("timeline", sentence=event.diff.sentence, changed=sorted(event.diff.changed_keys))
    elif isinstance(event, conv.SessionChanged):
        out.emit("session", session_id=event.session.session_id)
    elif isinstance(event, conv.Notice):
        out.note(f"artgen: {event.text}")
    elif isinstance(event, conv.TurnDone):
        _show_turn_done(ctx, ws, event, printed)
    return printed


def _show_turn_done(ctx: Context, ws: Any, event: Any, printed: bool) -> None:
    out = ctx.out
    if printed and not out.json_mode:
        out.out.write("\n")
        out.out.flush()
    out.clear_progress()
    credits = event.credits.model_dump() if event.credits else None
    out.emit(
        "done",
        reply=event.reply,
        silent=event.silent,
        interrupted=event.interrupted,
        diff=event.diff.sentence if event.diff else None,
        credits=credits,
        session_id=ws.session_id,
        actions=[a.kind for a in event.actions],
    )
    if event.silent is False and event.diff is not None and not event.diff.empty:
        out.note(event.diff.sentence, dim=True)
    _warn_low(ctx, event.credits.available if event.credits else None)


async def _chat_command(ctx: Context, ws: Any, message: str) -> int | None:
    """Typed commands work here as in the app ("credits", "状态", "/export"…); ``None`` means
    the message is for the agent."""
    from artgen_tui.core.intents import help_text, route

    intent = route(message)
    if intent.kind == "chat":
        return None
    if intent.error:
        ctx.out.error(intent.error)
        return EXIT_PERMANENT
    if intent.kind == "credits":
        return await cmd_credits(ctx, ws)
    if intent.kind == "preview":
        return await cmd_preview(ctx, ws)
    if intent.kind == "state":
        return await cmd_state(ctx, ws)
    if intent.kind == "export":
        ctx.args.wait, ctx.args.output, ctx.args.resolution = False, None, None
        return await cmd_export(ctx, ws)
    if intent.kind == "new":
        info = await ws.new_session()
        ctx.out.emit("session", session_id=info.session_id)
        ctx.out.text(f"Started a new session {info.session_id}.")
        return EXIT_OK
    if intent.kind == "upload" and intent.args:
        ctx.args.items = intent.args
        return await cmd_upload(ctx, ws)
    if intent.kind == "upload":
        ctx.out.error("Name the files to upload: artgen upload FILE|URL...")
        return EXIT_PERMANENT
    if intent.kind in ("sessions", "export_chat"):
        ctx.out.error("In a shell: artgen sessions [list|search|export ID --format md|html|json].")
        return EXIT_PERMANENT
    ctx.out.emit("help", text=help_text())
    ctx.out.text(help_text())
    return EXIT_OK


def _warn_low(ctx: Context, available: int | None) -> None:
    from artgen_tui.core.credits import low_credits_warning

    warning = (
        low_credits_warning(available, ctx.settings.low_credits_threshold)
        if available is not None
        else None
    )
    if warning is not None:
        ctx.out.note(f"artgen: {warning}")


async def cmd_state(ctx: Context, ws: Any) -> int:
    from artgen_tui.core import timeline

    state = await ws.state()
    if ctx.out.json_mode:
        c = timeline.canvas(state)
        ctx.out.emit(
            "state",
            session_id=ws.session_id,
            title=state.draft.m.get("title") or state.task_name,
            duration_s=timeline.duration_s(state.draft),
            canvas={"width": c.width, "height": c.height, "aspect": c.aspect, "fps": c.fps},
            ready_for_export=state.draft.ready_for_export,
            rows=[r.__dict__ for r in timeline.rows(state.draft)],
            summary=timeline.summary(state),
        )
    ctx.out.text(f"Session {ws.session_id}")
    ctx.out.text(timeline.summary(state))
    return EXIT_OK


async def cmd_credits(ctx: Context, ws: Any) -> int:
    from artgen_tui.core.credits import credits_sentence

    credits = await ws.credits()
    ctx.out.emit("credits", **credits.model_dump())
    ctx.out.text(f"Credits: {credits_sentence(credits)}")
    _warn_low(ctx, credits.available)
    return EXIT_OK


async def cmd_upload(ctx: Context, ws: Any) -> int:
    from artgen_tui.api.files import human_size
    from artgen_tui.core import uploads

    items = uploads.items_from_args(ctx.args.items)

    def progress(p: uploads.UploadProgress) -> None:
        total = human_size(p.total_bytes) if p.total_bytes else "?"
        ctx.out.progress(
            f"uploading {p.name} ({p.index + 1}/{p.count}) {bar(p.fraction)} "
            f"{human_size(p.done_bytes)} / {total}"
        )

    outcome = await uploads.upload_each(ws, items, progress)
    ctx.out.clear_progress()
    ctx.out.emit(
        "upload",
        files=[f.model_dump() for f in outcome.files],
        results=[{"name": r.name, "status": r.status, "reason": r.reason} for r in outcome.results],
        sentence=outcome.sentence(),
        diff=outcome.diff.sentence if outcome.diff else None,
    )
    ctx.out.text(outcome.sentence())
    return EXIT_PERMANENT if outcome.refused else EXIT_OK


def _job_exit(status: str) -> int:
    """0 when the render worked or is still going (``--no-wait``), 2 when only the download
    failed (trying again may work), else 1."""
    from artgen_tui.core.jobs import RENDERING, SUCCEEDED

    if status in SUCCEEDED or status in RENDERING:
        return EXIT_OK
    if status == "download_failed":
        return EXIT_TRANSIENT
    return EXIT_PERMANENT


async def _follow(ctx: Context, updates: Any) -> int:
    """Show a job's updates; return the exit code for its final status."""
    from artgen_tui.core.jobs import RENDERING

    last = None
    shown: tuple[str, int, int] | None = None
    async for job in updates:
        last = job
        # One JSON line per status change or whole percent, not one per network read.
        mark = (job.status, job.progress, int((job.download_fraction or 0.0) * 100))
        if mark != shown:
            shown = mark
            ctx.out.emit("job", **job.to_json())
        if job.status in RENDERING:
            ctx.out.progress(f"rendering {job.id} {bar(job.progress / 100)}")
        elif job.status == "downloading":
            ctx.out.progress(f"downloading {job.id} {bar(job.download_fraction)}")
        elif job.finished:
            ctx.out.clear_progress()
    ctx.out.clear_progress()
    if last is None:
        return EXIT_OK
    if last.status == "downloaded":
        ctx.out.text(f"Saved {last.path}")
    else:
        ctx.out.note(f"artgen: export {last.id} {last.status}: {last.error or 'no details'}")
    return _job_exit(last.status)


async def cmd_export(ctx: Context, ws: Any) -> int:
    from artgen_tui import cli_spend
    from artgen_tui.core.jobs import JobManager

    manager = JobManager(ws)
    manager.check_target(ctx.args.output)  # before any work: nothing submitted, nothing left
    priced = await cli_spend.check(ctx.out, ws, "export", yes=bool(getattr(ctx.args, "yes", 0)))
    if priced.refused:
        return EXIT_PERMANENT
    job = await manager.submit(resolution=ctx.args.resolution, output_path=ctx.args.output)
    job = manager.charge(job.id, cli_spend.report(ctx.out, priced, await cli_spend.balance(ws)))
    ctx.out.emit("job", **job.to_json())
    if not ctx.args.wait:
        ctx.out.text(
            f"Export {job.id} submitted. Run `artgen jobs resume` to wait for it and download it."
        )
        return EXIT_OK
    ctx.out.note(f"artgen: export {job.id} submitted; waiting for the render…", dim=True)
    return await _follow(ctx, manager.follow(job.id, render_wait=ws.settings.network.render_wait))


async def _retry(ctx: Context, ws: Any, manager: Any, job_id: str) -> int:
    """`artgen jobs retry ID`: the same rule as the app's r key (core.jobs.retry_kind)."""
    from artgen_tui.core.jobs import retry_kind, retry_notice

    old = manager.get(job_id)
    if retry_kind(old) == "export":
        await ws.ready(ctx.args.session)

    async def updates() -> Any:
        told = False
        async for update in manager.retry(job_id, render_wait=ws.settings.network.render_wait):
            if update.id != old.id and not told:
                told = True
                ctx.out.note(f"artgen: {retry_notice(old, update)}")
            yield update

    return await _follow(ctx, updates())


async def _resume(ctx: Context, ws: Any, manager: Any) -> int:
    """`artgen jobs resume`: follow every unfinished job, waiting at most ``[network]
    render_wait`` for each render; one still going then is named, left to run, and the next
    job followed (exit 2)."""
    from artgen_tui.core.jobs import RenderWaitExpired

    pending = manager.resumable()
    if not pending:
        ctx.out.text("No unfinished export jobs.")
        return EXIT_OK
    code = EXIT_OK
    wait = ws.settings.network.render_wait
    for job in pending:
        try:
            code = max(code, await _follow(ctx, manager.follow(job.id, render_wait=wait)))
        except RenderWaitExpired as exc:
            ctx.out.clear_progress()
            ctx.out.error(exc)
            code = max(code, EXIT_TRANSIENT)
    return code


async def cmd_jobs(ctx: Context, ws: Any) -> int:
    from artgen_tui.core.jobs import JobManager

    manager = JobManager(ws)
    action = ctx.args.action
    if action in ("cancel", "retry") and not ctx.args.job_id:
        ctx.out.error(f"`artgen jobs {action}` needs a job id; see `artgen jobs list`.")
        return EXIT_PERMANENT
    if action == "cancel":
        job = await manager.cancel(ctx.args.job_id)
        ctx.out.emit("job", **job.to_json())
        ctx.out.text(job.describe())
        return EXIT_OK
    if action == "retry":
        return await _retry(ctx, ws, manager, ctx.args.job_id)
    if action == "resume":
        return await _resume(ctx, ws, manager)
    jobs = manager.jobs()
    for job in jobs:
        ctx.out.emit("job", **job.to_json())
        ctx.out.text(job.describe())
    if not jobs:
        ctx.out.text("No export jobs yet. Start one with `artgen export`.")
    return EXIT_OK


async def cmd_preview(ctx: Context, ws: Any) -> int:
    from artgen_tui.cli_library import cmd_preview as run_preview

    return await run_preview(ctx, ws)


async def cmd_batch(ctx: Context, ws: Any) -> int:
    from artgen_tui.cli_batch import run_batch

    return await run_batch(ctx, ws)


async def cmd_library_reexport(ctx: Context, ws: Any) -> int:
    from artgen_tui.cli_library import cmd_reexport

    return await cmd_reexport(ctx, ws)


# --- wiring ------------------------------------------------------------------------------------

_WORKSPACE_COMMANDS: dict[str, Callable[[Context, Any], Coroutine[Any, Any, int]]] = {
    "chat": cmd_chat,
    "state": cmd_state,
    "credits": cmd_credits,
    "upload": cmd_upload,
    "export": cmd_export,
    "jobs": cmd_jobs,
    "preview": cmd_preview,
    "batch": cmd_batch,
    "library": cmd_library_reexport,
}


class LocalStartError(ApiError):
    default_hint = "Check the local backend settings ([local] in the config file)."


def _local_data_dir(settings: Settings, override: Path | None = None) -> Path:
    from artgen_tui.local.child import data_dir_for

    return data_dir_for(settings.local, override)


def _early_backend(args: argparse.Namespace) -> ChildBackend | None:
    """``artgen --local`` (the app): the backend starts first, in a child process, so that its
    start-up runs on another core while the app paints. It never outlives this process."""
    if not args.local or args.command is not None:
        return None
    from artgen_tui.local.child import ChildBackend

    child = ChildBackend(args.config).start()
    atexit.register(child.stop)
    return child


@contextlib.contextmanager
def _maybe_local(
    settings: Settings, enabled: bool, child: ChildBackend | None = None
) -> Iterator[Settings]:
    """With ``--local``: start the embedded backend (or use ``child``) and point the settings at it."""
    if not enabled:
        yield settings
        return
    from artgen_tui.core.identities import register_local_backend

    data_dir = _local_data_dir(settings)
    if child is not None:
        register_local_backend(child.url, data_dir)
        try:
            yield settings.model_copy(update={"api_url": child.url})
        finally:
            if failure := child.stop():
                raise LocalStartError(f"The local backend stopped: {failure}")
        return
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import LocalBackend

    options = LocalOptions.from_settings(settings.local)
    try:
        backend = LocalBackend(data_dir, options=options).start()
    except (RuntimeError, ValueError, OSError) as exc:
        raise LocalStartError(f"The local backend could not start: {exc}") from exc
    try:
        register_local_backend(backend.url, data_dir)
        yield settings.model_copy(update={"api_url": backend.url})
    finally:
        backend.stop()


def _serve_local(settings: Settings, args: argparse.Namespace, out: Output) -> int:
    from artgen_tui.local.faults import FaultSpecError, parse_fault_spec
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import serve

    local = settings.local
    if args.faults is not None:
        local = local.model_copy(update={"faults": args.faults})
    data_dir = _local_data_dir(settings, args.data_dir)
    try:
        parse_fault_spec(local.faults)
    except FaultSpecError as exc:
        out.error(f"--faults: {exc}")
        return EXIT_PERMANENT
    out.note(f"artgen: point clients at it with NEMO_API_URL=http://{args.host}:{args.port}")
    try:
        serve(data_dir, LocalOptions.from_settings(local), args.host, args.port)
    except OSError as exc:
        out.error(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
            "pick another port with --port."
        )
        return EXIT_PERMANENT
    return EXIT_OK


def _run_tui(settings: Settings, args: argparse.Namespace) -> int:
    from artgen_tui.cli_sessions import check_session

    session, new = args.session, bool(args.new_session)
    if session and not new:  # an unknown id ends here, before the app starts
        session = asyncio.run(check_session(settings, session))
    # By name, so that the headless commands never load textual (see tests/test_layers.py).
    module = importlib.import_module("artgen_tui.tui.app")
    run_app: Callable[..., int] = module.run_app
    return int(run_app(settings, session_id=session, new_session=new))


DOCTOR_TIMEOUT = 3.0
"""Seconds the reachability check waits for any answer from the API."""


def _doctor(ctx: Context) -> int:
    """A report for bug reports: every path and setting that matters, and never the token."""
    import time

    import httpx

    from artgen_tui.core.credentials import CredentialStore
    from artgen_tui.core.workspace import identity_for

    settings = ctx.settings
    store = CredentialStore.default(identity_for(settings.api_url))
    if settings.token is not None:
        token = "fixed (NEMO_TOKEN or config); not shown"
    elif store.load_token() is not None:
        token = f"saved anonymous token in {store.token_file}; not shown"
    else:
        token = "none yet (an anonymous token is fetched on first use)"
    started = time.monotonic()
    try:
        answer = httpx.get(settings.api_url, timeout=DOCTOR_TIMEOUT, follow_redirects=False)
        ms = (time.monotonic() - started) * 1000
        reachable, reach = True, f"yes (HTTP {answer.status_code} in {ms:.0f} ms)"
    except httpx.HTTPError as exc:
        reachable, reach = False, f"no ({type(exc).__name__} within {DOCTOR_TIMEOUT:g} s)"
    log_file = ctx.args.log or settings.log.file
    report = {
        "version": __version__,
        "python": sys.version.split()[0],
        "config": str(ctx.args.config or paths.config_file()),
        "state_dir": str(paths.state_dir()),
        "data_dir": str(paths.data_dir()),
        "jobs_and_tokens_key": identity_for(settings.api_url),
        "output_dir": str(settings.output_dir),
        "api_url": settings.api_url,
        "token": token,
        "reachable": reach,
        "log": f"{log_file} (level {settings.log.level})" if log_file else "off (--log FILE)",
    }
    ctx.out.emit("doctor", ok=reachable, **report)
    width = max(len(k) for k in report)
    for key, value in report.items():
        ctx.out.text(f"{key.replace('_', ' '):<{width}}  {value}")
    return EXIT_OK if reachable else EXIT_TRANSIENT


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``artgen`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    child = _early_backend(args)
    json_mode = args.json if args.json is not None else not sys.stdout.isatty()
    if args.command is None:
        json_mode = False
    out = Output(json_mode=json_mode)
    from artgen_tui.cli_checks import argv_problem

    problem = argv_problem(args)
    if problem is not None:
        out.error(problem)
        return EXIT_PERMANENT
    if args.command not in (None, "serve-local"):  # the app and the server have their own
        _stop_on_sigterm_as_on_ctrl_c()
    if args.command in _WORKSPACE_COMMANDS:
        tls.warm_up()  # the client's TLS context loads on another core while the settings load
    try:
        first = _first_frame(args)
        settings = None if first is not None else _settings(args)
    except ConfigError as exc:
        out.error(exc)
        return EXIT_PERMANENT
    _quiet_asyncio()
    try:
        if settings is None:
            assert first is not None
            return _run_tui_first(args, first, child)
        return _dispatch(args, settings, out, child)
    except KeyboardInterrupt as exc:
        out.clear_progress()
        terminated = isinstance(exc, Terminated)
        said = "artgen: stopped (SIGTERM)." if terminated else "artgen: interrupted."
        out.note(said + _INTERRUPT_HINTS.get(args.command, ""))
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except InsufficientCredits as exc:
        out.error(exc)
        return EXIT_PERMANENT
    except ApiError as exc:
        out.error(exc)
        return EXIT_TRANSIENT if exc.transient else EXIT_PERMANENT
    except ConfigError as exc:
        out.error(exc)
        return EXIT_PERMANENT
    except OSError as exc:
        out.error(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        return EXIT_PERMANENT


def _settings(args: argparse.Namespace) -> Settings:
    """The validated settings, with the ``--log`` file (or the config's) open; raises
    :class:`ConfigError` saying what is wrong."""
    from artgen_tui.config import load_settings

    settings = load_settings(args.config, api_url=args.api_url)
    log_file = args.log or settings.log.file
    if log_file is not None:
        try:
            log_to_file(log_file, settings.log.level)
        except OSError as exc:
            raise ConfigError(f"--log: cannot write {log_file} ({exc.strerror or exc}).") from exc
    return settings


def _first_frame(args: argparse.Namespace) -> FirstFrame | None:
    """For the app: what its first frame needs, when it can paint before the settings are
    validated (loading pydantic takes ~100 ms). Not with ``--session``, which is checked with the
    server before the app starts. A config file that is not TOML raises :class:`ConfigError`."""
    if args.command is not None or args.session:
        return None
    return first_frame(args.config)


def _run_tui_first(args: argparse.Namespace, first: FirstFrame, child: ChildBackend | None) -> int:
    """The app, painting its first frame before the settings are validated: it validates them
    right after that frame, and what loading them raises is raised here once the app has closed
    (the same errors, reported the same way, as when they are loaded first)."""

    def load() -> Settings:
        settings = _settings(args)
        if child is None:
            return settings
        from artgen_tui.core.identities import register_local_backend

        register_local_backend(child.url, _local_data_dir(settings))
        return settings.model_copy(update={"api_url": child.url})

    module = importlib.import_module("artgen_tui.tui.app")
    run_app: Callable[..., int] = module.run_app
    try:
        code = int(run_app(LateSettings(first, load), new_session=bool(args.new_session)))
    except BaseException:
        if child is not None:
            child.stop()  # what stopped the app is the news (a broken config stops both)
        raise
    if child is not None and (failure := child.stop()):
        raise LocalStartError(f"The local backend stopped: {failure}")
    return code


def _quiet_asyncio() -> None:
    """Keep asyncio's own reports (an error in a loop callback, such as a late read of a download
    abandoned by Ctrl+C) off stderr, which carries only ``artgen: …`` lines; they still reach the
    ``--log`` file through the root logger."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


_JOBS_KEPT = " Unfinished exports are kept; finish them with `artgen jobs resume`."
CHAT_INTERRUPTED = (
    "The agent may still finish on the server and may still charge credits. "
    "Check with `artgen state` and `artgen credits` in a minute before sending it again."
)
_INTERRUPT_HINTS = {
    "chat": " " + CHAT_INTERRUPTED,
    "export": _JOBS_KEPT,
    "jobs": _JOBS_KEPT,
    "batch": " Run the same batch again to finish it; done items are kept.",
}


def _dispatch(
    args: argparse.Namespace, settings: Settings, out: Output, child: ChildBackend | None = None
) -> int:
    """Run the command ``args`` names (the TUI when there is none)."""
    if args.command is not None:
        gc.enable()  # off while the program started (see artgen_tui.__main__.run)
    if args.command == "serve-local":
        return _serve_local(settings, args, out)
    if args.command == "sessions":
        from artgen_tui.cli_sessions import cmd_sessions

        return cmd_sessions(Context(args, settings, out))
    if args.command == "library":
        from artgen_tui.cli_library import cmd_library, needs_server

        if not needs_server(args):
            return cmd_library(Context(args, settings, out))
    with _maybe_local(settings, bool(args.local), child) as effective:
        if args.command is None:
            return _run_tui(effective, args)
        ctx = Context(args, effective, out)
        if args.command == "doctor":
            return _doctor(ctx)
        command = _WORKSPACE_COMMANDS[args.command]
        return asyncio.run(_workspace_call(ctx, lambda ws: command(ctx, ws)))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
