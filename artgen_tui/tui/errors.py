"""Errors in the app: in the chat, and in a copyable modal when they are long or unexpected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.worker import Worker

from artgen_tui.api.errors import ApiError, InsufficientCredits

if TYPE_CHECKING:
    from artgen_tui.tui.screens.error import ErrorModal
    from artgen_tui.tui.widgets.chat_log import ChatLog
    from artgen_tui.tui.widgets.status_bar import StatusBar

LONG_ERROR = 240
"""Errors longer than this (or multi-line) also open the copyable error modal."""


class ErrorView:
    def __init__(
        self,
        chat: Callable[[], ChatLog],
        status: Callable[[], StatusBar],
        open_modal: Callable[[ErrorModal], object],
    ) -> None:
        self._chat, self._status, self._open = chat, status, open_modal

    async def shown(self, work: Awaitable[object]) -> bool:
        """Await ``work``; an :class:`ApiError` is shown instead (``False``)."""
        try:
            await work
        except ApiError as exc:
            await self.api_error(exc)
            return False
        return True

    async def api_error(self, exc: ApiError) -> None:
        if isinstance(exc, InsufficientCredits):
            await self._chat().add_notice(exc.user_text(), "error")
            self._status().mark_out_of_credits()
            return
        await self.error("Something went wrong", exc.user_text())

    async def error(self, title: str, text: str) -> None:
        """In the chat; long or multi-line text also opens the copyable modal."""
        await self._chat().add_notice(text, "error")
        if len(text) > LONG_ERROR or text.count("\n") > 2:
            self._open(_modal(title, text))

    def worker_failed(self, worker: Worker[object]) -> None:
        """Last line of defence: an unexpected exception in a worker becomes an error modal."""
        error = worker.error
        detail = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        self._open(_modal(f"Unexpected error in {worker.name or 'task'}", detail))


def _modal(title: str, text: str) -> ErrorModal:
    """The error modal (its module loads with the first error, not with the first frame)."""
    from artgen_tui.tui.screens.error import ErrorModal

    return ErrorModal(title, text)
