"""Open a result, reveal its folder, or copy its path: the requests widgets post, and the one
place that carries them out (the decision itself is :func:`artgen_tui.core.opener.plan_open`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from textual.message import Message

from artgen_tui.core import opener


class OpenRequested(Message):
    """Open ``path`` in the system player (``reveal``: show it in its folder)."""

    def __init__(self, path: Path, *, reveal: bool = False) -> None:
        super().__init__()
        self.path = path
        self.reveal = reveal


class CopyPathRequested(Message):
    """Copy ``path`` to the clipboard (OSC 52: works over SSH)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


Notify = Callable[[str, str], None]
"""``(text, severity)``."""


class Opener:
    """Carries out open/reveal/copy requests; ``env`` is read when a request comes (tests set it)."""

    def __init__(
        self,
        notify: Notify,
        copy: Callable[[str], None],
        env: Callable[[], Mapping[str, str]] = lambda: os.environ,
    ) -> None:
        self._notify = notify
        self._copy = copy
        self._env = env
        self.last_plan: opener.OpenPlan | None = None

    def open(self, path: Path, *, reveal: bool = False) -> opener.OpenPlan:
        if not path.exists():
            self._notify(f"{path.name} is no longer there ({path.parent}).", "warning")
            return opener.OpenPlan("copy", str(path), reason="missing")
        plan = opener.plan_open(path, reveal=reveal, env=self._env())
        self.last_plan = plan
        if plan.action == "copy":
            self._notify(f"{plan.reason} Press c to copy the path.", "warning")
            return plan
        result = opener.run_plan(plan)
        self._notify(result.message, "information" if result.ok else "error")
        return plan

    def copy(self, path: Path) -> None:
        self._copy(str(path))
        self._notify(f"Path copied to the clipboard: {path}", "information")
