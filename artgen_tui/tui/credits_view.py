"""Credits on screen: the status bar's balance and a one-time warning when it runs low."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from artgen_tui.api.errors import ApiError
from artgen_tui.core.credits import credits_sentence, low_credits_warning

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)


class CreditsView:
    """Shows each balance; warns once when it drops low (again only after it recovered)."""

    def __init__(
        self, status: Callable[[], StatusBar], warn: Callable[[str], object], low_threshold: int
    ) -> None:
        self._status = status
        self._warn = warn
        self._threshold = low_threshold
        self._warned = False
        self.last: Credits | None = None

    async def fetch(
        self,
        ws: Workspace,
        say: Callable[[str, str], Awaitable[object]] | None,
        show_error: Callable[[ApiError], Awaitable[None]],
    ) -> None:
        """Refresh the balance; with ``say`` (the user asked) also in the chat, errors shown."""
        try:
            credits = await ws.credits()
        except ApiError as exc:
            log.info("balance refresh failed: %s", exc)
            if say is not None:
                await show_error(exc)
            return
        self.show(credits)
        if say is not None:
            await say(f"Credits: {credits_sentence(credits)}.", "info")

    def show(self, credits: Credits) -> None:
        self.last = credits
        self._status().set_credits(credits, self._threshold)
        warning = low_credits_warning(credits.available, self._threshold)
        if warning is not None and not self._warned:
            self._warned = True
            self._warn(warning)
        elif warning is None:
            self._warned = False
