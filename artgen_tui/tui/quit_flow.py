"""Ctrl+Q: quitting never loses work silently.

A running batch asks first (its finished videos are kept; running it again finishes the rest);
running exports say they resume next time, or can be cancelled on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from artgen_tui.tui.host import AppServices
from artgen_tui.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from artgen_tui.core.jobs import JobManager
    from artgen_tui.tui.exports import ExportFlow
    from artgen_tui.tui.screens.quit import QuitAnswer

BATCH_QUESTION = (
    "A batch is still running. Its finished videos are kept, and running the same batch again "
    "(the same files, or `artgen batch` on its file) finishes the rest without redoing them. "
    "Quit now?"
)


class QuitHost(AppServices, Protocol):
    jobs: JobManager | None
    exports: ExportFlow

    @property
    def screen(self) -> Screen[Any]: ...
    @property
    def workers(self) -> Iterable[Worker[Any]]: ...
    def exit(self) -> None: ...


def quit_or_ask(app: QuitHost) -> None:
    """Quit at once when nothing runs; otherwise ask (a second Ctrl+Q on the question quits)."""
    running = app.jobs.resumable() if app.jobs is not None else []
    batch = [w for w in app.workers if w.group == "batch" and w.is_running]
    if batch and not isinstance(app.screen, ConfirmScreen):
        app.push_screen(
            ConfirmScreen(BATCH_QUESTION, title="Quit?", yes="Quit", no="Stay"),
            lambda yes: app.exit() if yes else None,
        )
        return
    if not running:
        app.exit()
        return
    from artgen_tui.tui.screens.quit import QuitScreen  # with the first question

    if isinstance(app.screen, QuitScreen):
        app.exit()
        return

    async def answered(answer: QuitAnswer | None) -> None:
        if answer == "cancel":
            for job in running:
                await app.exports.cancel(job.id)
        if answer in ("quit", "cancel"):
            app.exit()

    app.push_screen(QuitScreen(len(running)), answered)
