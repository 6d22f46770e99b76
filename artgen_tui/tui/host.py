"""What a flow may ask of the app it runs in: Textual's screen, toast and worker services.

Each flow states the rest of what it uses as its own protocol built on :class:`AppServices`
(``SessionHost``, ``QueueHost``, ``TurnHost``…), so none of them sees the whole app, and the app
module is the only one that knows them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen


class AppServices(Protocol):
    def push_screen(
        self,
        screen: Screen[Any],
        callback: Callable[[Any], None] | Callable[[Any], Awaitable[None]] | None = None,
    ) -> object: ...
    async def push_screen_wait(self, screen: Screen[Any]) -> Any: ...
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...
    def call_later(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool: ...
    def run_worker(
        self,
        work: Coroutine[Any, Any, None],
        *,
        name: str | None = "",
        group: str = "default",
        exclusive: bool = False,
        exit_on_error: bool = True,
    ) -> Any: ...
