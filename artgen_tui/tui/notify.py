"""Finished work rings the terminal: the app's side of :mod:`artgen_tui.core.notify`.

The rule (which events, given focus and ``[notify]``) is core's :func:`should_notify`; this module
knows the app's focus (``App.app_focus``, kept from the terminal's focus reports), turns export
status changes and long turns into events, writes the bell and OSC sequence through the driver and
runs the command hook in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App

from artgen_tui.core.notify import NotifyEvent, run_hook, should_notify, terminal_sequence

if TYPE_CHECKING:
    from artgen_tui.config import NotifySettings
    from artgen_tui.core.jobs import ExportJob

FINAL = frozenset({"downloaded", "failed", "cancelled", "download_failed"})
"""Export statuses that end a job (core.jobs.FINAL; kept here so the first frame does not load
the client). ``tests/test_notify.py`` checks they match."""


TurnOutcome = Literal["done", "failed", "silent"]

TURN_FAILED = "The reply failed (the chat says why)."


def driver_writer(app: App[Any]) -> Callable[[str], None]:
    """Write raw text to the terminal (not in headless runs, which have none)."""

    def write(text: str) -> None:
        if not app.is_headless and app._driver is not None:
            app._driver.write(text)

    return write


class Notifier:
    """``write`` receives the terminal sequence (the driver by default; tests capture it)."""

    def __init__(
        self,
        app: App[Any],
        settings: NotifySettings,
        clock: Callable[[], float],
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.app, self.settings, self.clock = app, settings, clock
        self.write = write or driver_writer(app)
        self._job_status: dict[str, str] = {}
        self._turn_started: float | None = None
        self.sent: list[NotifyEvent] = []

    def turn_started(self) -> None:
        self._turn_started = self.clock()

    def turn_ended(self, outcome: TurnOutcome) -> None:
        """A turn ended: ``done`` with its reply, ``failed``, or ``silent`` (cancelled with Esc,
        or not sent: the user did that, and knows)."""
        started, self._turn_started = self._turn_started, None
        if started is None or outcome == "silent":
            return
        elapsed = self.clock() - started
        if outcome == "done":
            self.fire(NotifyEvent("turn_done", "artgen", "The reply is ready.", elapsed))
        else:
            self.fire(NotifyEvent("turn_failed", "artgen", TURN_FAILED, elapsed))

    def job_changed(self, job: ExportJob) -> None:
        """An export's status changed: notify when it has just ended (once per ending)."""
        before = self._job_status.get(job.id)
        self._job_status[job.id] = job.status
        if job.status == before or job.status not in FINAL or job.status == "cancelled":
            return
        if before is None and job.status in FINAL:
            return  # Seen first as already over (a restored journal): nothing just happened.
        if job.status == "downloaded":
            where = f": {job.path}" if job.path else "."
            self.fire(NotifyEvent("export_done", "artgen", f"Export {job.id} is ready{where}"))
        else:
            why = f": {job.error}" if job.error else "."
            self.fire(NotifyEvent("export_failed", "artgen", f"Export {job.id} {job.status}{why}"))

    def batch_ended(self, done: int, total: int) -> None:
        """A batch run from the app ended (whatever became of its items)."""
        failed = total - done
        more = f", {failed} failed" if failed else ""
        self.fire(
            NotifyEvent("batch_done", "artgen", f"Batch finished: {done} of {total} done{more}.")
        )

    def fire(self, event: NotifyEvent) -> None:
        if not should_notify(event, focused=self.app.app_focus, settings=self.settings):
            return
        self.sent.append(event)
        self.write(terminal_sequence(event))
        if self.settings.command:
            self.app.run_worker(
                run_hook(self.settings.command, event, self.settings.command_timeout),
                group="notify",
                exit_on_error=False,
            )
