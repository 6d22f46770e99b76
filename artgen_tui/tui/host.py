"""What a flow may ask of the app it runs in: Textual's screen, toast and worker services.

Each flow states the rest of what it uses as its own protocol built on :class:`AppServices`
(``SessionHost``, ``QueueHost``, ``TurnHost``…), so none of them sees the whole app, and the app
module is the only one that knows them all. :class:`MainParts` names the main screen's widgets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from artgen_tui.tui.widgets.chat_log import ChatLog
    from artgen_tui.tui.widgets.prompt import PromptInput
    from artgen_tui.tui.widgets.status_bar import StatusBar
    from artgen_tui.tui.widgets.timeline_table import TimelineTable


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
    def call_after_refresh(
        self, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> bool: ...
    def run_worker(
        self,
        work: Coroutine[Any, Any, None],
        *,
        name: str | None = "",
        group: str = "default",
        exclusive: bool = False,
        exit_on_error: bool = True,
    ) -> Any: ...


class MainParts(Protocol):
    """The main screen's widgets a flow draws on, and the key bound to an action now."""

    @property
    def chat(self) -> ChatLog: ...
    @property
    def prompt(self) -> PromptInput: ...
    @property
    def status(self) -> StatusBar: ...
    @property
    def timeline(self) -> TimelineTable: ...
    def key_of(self, action: str) -> str: ...
