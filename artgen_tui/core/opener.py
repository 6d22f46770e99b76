"""Open a result in the system player, reveal its folder, or offer to copy its path.

:func:`plan_open` is a pure decision from the environment, the platform and what is on ``PATH``;
:func:`run_plan` carries a ``"run"`` plan out without waiting for the player. Where nothing can
open on the user's screen (an SSH session, no desktop, no opener installed) the plan is
``"copy"`` with a plain sentence saying why, and the caller offers to copy the path to the
clipboard with OSC 52 (:func:`osc52`), which terminals honour even over SSH.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PLAYER_ENV = "ARTGEN_PLAYER"

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class OpenPlan:
    """``run``: start ``argv``. ``copy``: show ``reason`` and offer to copy ``path``."""

    action: Literal["run", "copy"]
    path: str
    argv: tuple[str, ...] = ()
    reason: str = ""


def plan_open(
    path: Path | str,
    *,
    reveal: bool = False,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    which: Which = shutil.which,
) -> OpenPlan:
    """How to open ``path`` (or, with ``reveal``, show it in its folder).

    ``$ARTGEN_PLAYER`` (a command line; the path is added as the last argument) opens files even
    over SSH, since it may well be a terminal player. Otherwise: over SSH, or on Linux without a
    display, or with no opener on ``PATH``, the answer is ``copy``; else ``xdg-open`` (Linux and
    BSD), ``open`` / ``open -R`` (macOS) or ``start`` / ``explorer /select,`` (Windows).
    """
    env = os.environ if env is None else env
    platform = platform or sys.platform
    target = str(path)
    player = env.get(PLAYER_ENV, "").strip()
    if player and not reveal:
        try:
            words = shlex.split(player)
        except ValueError:
            words = []
        if not words:
            return OpenPlan("copy", target, reason=f"${PLAYER_ENV} is not a valid command line.")
        if which(words[0]) is None:
            return OpenPlan("copy", target, reason=f"${PLAYER_ENV} names {words[0]}, not found.")
        return OpenPlan("run", target, (*words, target))
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return OpenPlan(
            "copy",
            target,
            reason="This is an SSH session, so a player would open on the remote machine, "
            f"not on your screen. Copy the path instead, or set ${PLAYER_ENV}.",
        )
    argv: tuple[str, ...]
    if platform == "darwin":
        argv = ("open", "-R", target) if reveal else ("open", target)
    elif platform.startswith(("win", "cygwin", "msys")):
        argv = ("explorer", f"/select,{target}") if reveal else ("cmd", "/c", "start", "", target)
    else:
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            return OpenPlan(
                "copy",
                target,
                reason="There is no desktop session here (no DISPLAY), so nothing can open it. "
                f"Copy the path instead, or set ${PLAYER_ENV}.",
            )
        folder = str(Path(target).parent)
        argv = ("xdg-open", folder if reveal else target)
    if which(argv[0]) is None:
        return OpenPlan(
            "copy", target, reason=f"No {argv[0]} on this system to open it with; copy the path."
        )
    return OpenPlan("run", target, argv)


@dataclass(frozen=True)
class OpenResult:
    ok: bool
    message: str


def run_plan(plan: OpenPlan) -> OpenResult:
    """Start a ``run`` plan detached (its output discarded; never waited for). A ``copy`` plan
    is returned as not done, with its reason."""
    if plan.action != "run":
        return OpenResult(False, plan.reason)
    try:
        subprocess.Popen(
            list(plan.argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return OpenResult(False, f"Could not start {plan.argv[0]}: {exc.strerror or exc}.")
    return OpenResult(True, f"Opening {Path(plan.path).name} with {Path(plan.argv[0]).name}.")


def osc52(text: str, env: Mapping[str, str] | None = None) -> str:
    """The escape sequence that asks the terminal to put ``text`` on the clipboard; wrapped for
    tmux's passthrough when inside tmux."""
    env = os.environ if env is None else env
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;c;{payload}\x07"
    if env.get("TMUX"):
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence
