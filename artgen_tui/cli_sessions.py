"""Headless ``artgen sessions``: list, show, search, rename, delete and export local sessions.

Everything here is local (:mod:`artgen_tui.core.sessions`): no server is contacted, so ``--local``
only chooses whose sessions (the embedded backend's data dir) without starting the backend.
Deleting forgets the transcript and the index entry; the server's data is left alone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgen_tui.api.untrusted import clean, safe_json_text
from artgen_tui.core.sessions import FORMATS, SessionIndex, SessionRecord, UnknownSessionId

if TYPE_CHECKING:
    from artgen_tui.cli import Context
    from artgen_tui.config import Settings

EPILOG = (
    "  artgen sessions                         every session, most recent first\n"
    "  artgen sessions search ocean            sessions whose prompts or replies mention it\n"
    "  artgen sessions show 1a2b3c4d           a session's transcript (a short id is enough)\n"
    "  artgen sessions rename 1a2b3c4d 'Beach promo'\n"
    "  artgen sessions delete 1a2b3c4d         forget it locally (the server keeps its data)\n"
    "  artgen sessions export 1a2b3c4d --format html -o chat.html\n"
    "  artgen --session 1a2b3c4d               open it in the app\n"
)


def add_arguments(add: Any) -> None:
    """Register ``sessions`` with the main parser (``add`` is its helper)."""
    p = add("sessions", "List, search, rename, delete and export your local sessions.", EPILOG)
    p.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=("list", "show", "search", "rename", "delete", "export"),
    )
    p.add_argument("target", nargs="?", metavar="ID|TEXT", help="Session id, or text to find.")
    p.add_argument("title", nargs="*", metavar="TITLE", help="New title (rename).")
    p.add_argument("--format", choices=FORMATS, default="md", help="Export format (md).")
    p.add_argument("-o", "--output", metavar="FILE", type=Path, help="Write the export here.")


def index_for(ctx: Context) -> SessionIndex:
    """The sessions of the identity this command line points at (no backend is started)."""
    from artgen_tui.cli import _local_data_dir
    from artgen_tui.core.credentials import CredentialStore
    from artgen_tui.core.workspace import identity_for

    if ctx.args.local:
        identity = f"local {_local_data_dir(ctx.settings).resolve()}"
    else:
        identity = identity_for(ctx.settings.api_url)
    saved = CredentialStore.default(identity).load_session()
    return SessionIndex(identity, remembered=saved.session_id if saved else None)


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "–"


def _line(r: SessionRecord, current: str | None) -> str:
    mark = "*" if r.session_id == current else " "
    return (
        f"{mark} {r.short_id:<8}  {_when(r.last_activity)}  {r.turns:>3} turns  "
        f"{r.credits:>5} credits  {len(r.exports):>2} exports  {r.title}"
    )


def cmd_sessions(ctx: Context) -> int:
    index = index_for(ctx)
    action, target = ctx.args.action, ctx.args.target
    if action in ("show", "search", "rename", "delete", "export") and not target:
        what = "text to search for" if action == "search" else "a session id"
        ctx.out.error(f"`artgen sessions {action}` needs {what}.")
        return 1
    try:
        if action == "list":
            return _list(ctx, index, index.sessions())
        if action == "search":
            return _search(ctx, index, " ".join([target, *ctx.args.title]))
        if action == "show":
            return _show(ctx, index, target)
        if action == "rename":
            return _rename(ctx, index, target)
        if action == "delete":
            record = index.delete(target)
            ctx.out.emit("deleted", session_id=record.session_id)
            ctx.out.text(
                f"Forgot session {record.short_id} ({record.title}) here; the server keeps its data."
            )
            return 0
        return _export(ctx, index, target)
    except UnknownSessionId as exc:
        ctx.out.error(str(exc))
        return 1


def _list(ctx: Context, index: SessionIndex, records: list[SessionRecord]) -> int:
    for r in records:
        ctx.out.emit("session", **r.to_json(), current=r.session_id == index.remembered)
        ctx.out.text(_line(r, index.remembered))
    if not records:
        ctx.out.text("No sessions yet. Start one with `artgen` or `artgen chat '…'`.")
    return 0


def _search(ctx: Context, index: SessionIndex, text: str) -> int:
    hits = index.search(text)
    for hit in hits:
        ctx.out.emit("session", **hit.record.to_json(), matches=list(hit.snippets))
        ctx.out.text(_line(hit.record, index.remembered))
        for snippet in hit.snippets:
            ctx.out.text(f"      {snippet}")
    if not hits:
        ctx.out.text(f"No session mentions {text!r}.")
    return 0 if hits else 1


def _write(ctx: Context, text: str, fmt: str) -> None:
    """A transcript to stdout through the sanitiser (it holds server text): JSON keeps its data
    (controls escaped), Markdown and HTML show controls as visible pictures."""
    ctx.out.out.write(safe_json_text(text) if fmt == "json" else clean(text, None))
    ctx.out.out.flush()


def _show(ctx: Context, index: SessionIndex, target: str) -> int:
    record = index.require(target)
    if ctx.out.json_mode:
        _write(ctx, index.export(record.session_id, "json"), "json")
        return 0
    ctx.out.text(index.export(record.session_id, "md").rstrip("\n"))
    return 0


def _rename(ctx: Context, index: SessionIndex, target: str) -> int:
    title = " ".join(ctx.args.title).strip()
    if not title:
        ctx.out.error("`artgen sessions rename ID TITLE` needs a title.")
        return 1
    record = index.rename(target, title)
    ctx.out.emit("session", **record.to_json())
    ctx.out.text(f"Session {record.short_id} is now {record.title!r}.")
    return 0


def _export(ctx: Context, index: SessionIndex, target: str) -> int:
    args: argparse.Namespace = ctx.args
    text = index.export(target, args.format)
    if args.output is None:
        _write(ctx, text, args.format)
        return 0
    from artgen_tui import paths

    paths.atomic_write_text(Path(args.output).expanduser(), text, private_dir=False)
    ctx.out.emit("exported", path=str(args.output), format=args.format)
    ctx.out.note(f"artgen: wrote {args.output}")
    return 0


async def check_session(settings: Settings, session_id: str) -> str:
    """The full id of the session ``--session`` names, checked before the app starts. Raises
    :class:`~artgen_tui.core.workspace.SessionGone` (exit 1, the remembered session untouched)
    unless the server has it or it is a local session (the app then offers to continue it)."""
    from artgen_tui.core.workspace import SessionGone, Workspace

    async with Workspace(settings) as ws:
        try:
            return (await ws.ready(session_id)).session_id
        except SessionGone:
            known = ws.sessions.find(session_id)
            if known is None:
                raise
            return known.session_id
