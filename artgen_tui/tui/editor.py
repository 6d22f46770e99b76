"""The prompt in an external editor (Ctrl+X Ctrl+E, as bash's edit-and-execute-command).

:func:`edit_text` runs ``$VISUAL`` or ``$EDITOR`` (or ``vi`` when found) on a private temporary
file and returns what was saved; :func:`edit_in_app` suspends the app around it. Suspending
needs a real terminal: under Pilot/headless runs (and Textual Web) it is not offered, and the
user is told so.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

log = logging.getLogger(__name__)

NO_SUSPEND = (
    "The external editor needs a real terminal the app can step aside from; "
    "it is not available here. Edit in the prompt ({newline} adds a line)."
)
"""Said where the app cannot suspend; ``{newline}``: the prompt's new-line key bound now."""
NO_EDITOR = "Set $VISUAL or $EDITOR to the editor to use (for example: export EDITOR=nano)."

Runner = Callable[[list[str]], int]


def editor_command(env: Mapping[str, str] | None = None) -> list[str] | None:
    """``$VISUAL``, else ``$EDITOR``, else ``vi`` if installed, split as a shell would."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR"):
        raw = env.get(name, "").strip()
        if raw:
            return shlex.split(raw)
    found = shutil.which("vi")
    return [found] if found else None


def _run(argv: list[str]) -> int:
    return subprocess.run(argv, check=False).returncode


def edit_text(
    text: str, command: list[str], run: Runner = _run, *, directory: Path | None = None
) -> str | None:
    """Let the user edit ``text`` with ``command``; the saved text (one final newline
    dropped), or ``None`` when the editor failed (non-zero exit) or could not start."""
    fd, name = tempfile.mkstemp(prefix="artgen-prompt-", suffix=".md", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + ("\n" if text and not text.endswith("\n") else ""))
        try:
            code = run([*command, str(path)])
        except OSError as exc:
            log.info("editor %s did not start: %s", command[0], exc)
            return None
        if code != 0:
            log.info("editor %s exited with %s; prompt unchanged", command[0], code)
            return None
        edited = path.read_text("utf-8")
        return edited[:-1] if edited.endswith("\n") else edited
    finally:
        path.unlink(missing_ok=True)


def can_suspend(app: App[Any]) -> bool:
    """Whether the app can hand the terminal to another program now."""
    return not (app.is_headless or app.is_web)


def edit_in_app(
    app: App[Any], text: str, newline_key: str, env: Mapping[str, str] | None = None
) -> str | None:
    """Suspend ``app``, edit ``text`` in the user's editor, resume; ``None`` when nothing
    changed hands (the reason is shown as a notice, naming ``newline_key`` as it is shown)."""
    no_suspend = NO_SUSPEND.format(newline=newline_key)
    if not can_suspend(app):
        app.notify(no_suspend, title="Editor", severity="warning", markup=False)
        return None
    command = editor_command(env)
    if command is None:
        app.notify(NO_EDITOR, title="Editor", severity="warning", markup=False)
        return None
    try:
        with app.suspend():
            edited = edit_text(text, command)
    except SuspendNotSupported:
        app.notify(no_suspend, title="Editor", severity="warning", markup=False)
        return None
    if edited is None:
        app.notify(
            f"{command[0]} did not save (it exited with an error); the prompt is unchanged.",
            title="Editor",
            severity="warning",
            markup=False,
        )
    return edited
