"""The command line checked before any work: each problem is one ``artgen: …`` line and exit 1.

argparse's own usage errors exit 2, which the exit-code table reserves for transient errors, and
print the whole usage; :class:`Parser` makes them one line with exit 1 like every other refusal.
:func:`argv_problem` checks what argparse cannot: text that is not text (undecodable bytes arrive
as surrogate escapes), session ids, ports.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

SESSION_ID_MAX = 128
"""Longest session id accepted (the service's are 19 digits; the local backend's a few dozen)."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one ``artgen: …`` line on stderr and exit 1."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("artgen").strip()
        where = f"{command}: " if command else ""
        line = f"artgen: {where}{message}; see `{self.prog} --help`.\n"
        sys.stderr.write(line.encode("utf-8", "backslashreplace").decode("utf-8"))
        sys.exit(1)


def undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that were not valid UTF-8 (kept as surrogate escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def session_problem(session_id: str) -> str | None:
    """Why ``session_id`` cannot be a session id (printable ASCII, no spaces, bounded)."""
    if not session_id:
        return "--session: the session id is empty."
    if len(session_id) > SESSION_ID_MAX:
        return (
            f"--session: a session id is at most {SESSION_ID_MAX} characters "
            f"(this one has {len(session_id):,})."
        )
    if not all("!" <= c <= "~" for c in session_id):
        return (
            "--session: a session id is printable ASCII with no spaces; "
            "see `artgen state` for the current one."
        )
    return None


def argv_problem(args: argparse.Namespace) -> str | None:
    """The first problem with the parsed command line, or ``None``; nothing is run before it."""
    session = getattr(args, "session", None)
    if session is not None:
        problem = session_problem(session)
        if problem:
            return problem
    words = getattr(args, "message", None)
    if isinstance(words, list) and any(undecodable(w) for w in words):
        return (
            "the message holds bytes that are not valid UTF-8 text; check the terminal's encoding."
        )
    job_id = getattr(args, "job_id", None)
    if isinstance(job_id, str) and (undecodable(job_id) or not job_id.isprintable()):
        return "the job id is not printable text; see `artgen jobs list`."
    port = getattr(args, "port", None)
    if args.command == "serve-local" and isinstance(port, int) and not 1 <= port <= 65535:
        return f"--port: {port} is not a port; use a number from 1 to 65535."
    return files_problem(args)


def files_problem(args: argparse.Namespace) -> str | None:
    """Files named on the command line that cannot be used (an upload that is not a regular
    file, an ``-o`` that cannot become one), found before connecting to anything."""
    from artgen_tui.api.errors import ApiError

    output = getattr(args, "output", None)
    if args.command not in ("upload", "export") or (args.command == "export" and output is None):
        return None  # the rules below load only for the commands they check
    from artgen_tui.core import targets, uploads

    try:
        if args.command == "upload":
            # Nothing usable: say so before connecting. Otherwise each file gets its own
            # outcome (done / refused with the reason) and the usable ones go up.
            items = uploads.items_from_args(args.items)
            files = [i for i in items if not uploads.is_url(i)]
            refused = [f for f in files if uploads.refusal(f) is not None]
            if refused and len(refused) == len(items):
                uploads.validate(files)
        if args.command == "export" and output is not None:
            targets.check_output(output)
    except ApiError as exc:
        return exc.user_text()
    return None
