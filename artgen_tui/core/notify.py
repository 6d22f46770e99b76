"""Work that finds you: which finished work rings the terminal, and how.

:func:`should_notify` is the whole rule: an export that finished or failed, a batch that ended, or
a turn that took at least ``after_seconds`` and ended (with its reply, or failed: a cancel is the
user's own doing and says nothing) notifies, when the terminal is unfocused (or always /
never, by ``[notify] when``). Intermediate steps (tool calls, progress) never do.
:func:`terminal_sequence` is what is written to the terminal (bell, OSC 9 and OSC 777) and
:func:`run_hook` runs the optional ``[notify] command`` with the event as JSON on stdin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from artgen_tui.config import NotifySettings


log = logging.getLogger(__name__)

EventKind = Literal[
    "export_done", "export_failed", "batch_done", "turn_done", "turn_failed", "step"
]
FINISHING: frozenset[str] = frozenset(
    {"export_done", "export_failed", "batch_done", "turn_done", "turn_failed"}
)
"""Event kinds that end a piece of work; anything else (a tool step, progress) never notifies."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f;]")


@dataclass(frozen=True)
class NotifyEvent:
    kind: EventKind
    title: str
    text: str
    elapsed: float = 0.0
    """Seconds the work took (a turn notifies only past ``after_seconds``)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def should_notify(event: NotifyEvent, *, focused: bool, settings: NotifySettings) -> bool:
    """Whether ``event`` rings, given the terminal's focus and ``[notify]``."""
    if event.kind not in FINISHING or settings.when == "never":
        return False
    if event.kind in ("turn_done", "turn_failed") and event.elapsed < settings.after_seconds:
        return False
    return settings.when == "always" or not focused


def terminal_sequence(event: NotifyEvent) -> str:
    """Bell, then OSC 9 (iTerm2, Windows Terminal, kitty…) and OSC 777 (VTE, foot, WezTerm).

    Server-supplied text could carry escapes: control characters (and ``;``, OSC 777's field
    separator) are removed first."""
    title = _CONTROL.sub(" ", event.title)[:80]
    text = _CONTROL.sub(" ", event.text)[:200]
    return f"\a\x1b]9;{title}: {text}\x1b\\\x1b]777;notify;{title};{text}\x1b\\"


async def run_hook(command: str, event: NotifyEvent, timeout: float) -> int | None:
    """Run ``command`` in a shell with the event as JSON on stdin; its exit code, ``None`` when it
    could not start or was killed after ``timeout`` seconds. Never raises."""
    try:
        proc = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError as exc:
        log.info("notify command could not start: %s", exc)
        return None
    try:
        await asyncio.wait_for(proc.communicate(event.to_json().encode()), timeout)
    except TimeoutError:
        log.info("notify command killed after %.0f s", timeout)
        proc.kill()
        await proc.wait()
        return None
    return proc.returncode
