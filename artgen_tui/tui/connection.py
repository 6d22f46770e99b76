"""Connection and session in the app: what to say when connecting fails, the resumed
conversation, the project status and a fresh session. Each raises :class:`ApiError` for the
caller to show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from artgen_tui.api.errors import ApiError, TransportError
from artgen_tui.core.history import Transcript

# The client and the models load after the first frame (issue 9): imported where used.
if TYPE_CHECKING:
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.widgets.chat_log import ChatLog
    from artgen_tui.tui.widgets.status_bar import StatusBar
    from artgen_tui.tui.widgets.timeline_table import TimelineTable

RESTORED_MESSAGES = 30
"""How many transcript entries are shown when a session is resumed."""


def preload() -> None:
    """Import what the first reply needs (the Markdown widget and its parser) once the app is
    ready, on a worker thread, so neither the first frame nor the first reply waits for it."""
    import textual.widgets.markdown  # noqa: F401


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def connection_hint(exc: ApiError, api_url: str) -> str:
    """What to try after failing to connect to ``api_url``."""
    from artgen_tui.core.identities import is_embedded

    if not isinstance(exc, TransportError):
        return "Press F5 to retry."
    if is_embedded(api_url):
        return "Press F5 to retry; if it keeps failing, restart `artgen --local`."
    if is_loopback(api_url):
        return (
            f"Press F5 to retry. Is `artgen serve-local` running at {api_url}? "
            "Or run `artgen --local` to start one inside the app."
        )
    return "Press F5 to retry, or run `artgen --local` to work offline."


async def connection_failed(
    exc: ApiError,
    api_url: str,
    status: StatusBar,
    show_error: Callable[[str, str], Awaitable[None]],
) -> None:
    """Offline in the status bar with what to try, and the error in the chat."""
    hint = connection_hint(exc, api_url)
    status.set_connection("error", f"Offline · {hint}")
    await show_error("Could not connect", f"{exc.user_text()}\n{hint}")


async def restore_transcript(chat: ChatLog, session_id: str) -> None:
    """Replace the chat with the session's last messages (a marker says it was resumed)."""
    entries = Transcript(session_id).load(limit=RESTORED_MESSAGES)
    await chat.remove_children()
    if not entries:
        return
    for entry in entries:
        if entry.role == "user":
            await chat.add_user(entry.text)
        elif entry.role == "assistant":
            await chat.add_reply(entry.text)
        else:
            await chat.add_notice(entry.text, "info")
    await chat.add_notice("Resumed your last session.", "marker")


async def show_project_status(
    ws: Workspace, table: TimelineTable, say: Callable[[str, str], Awaitable[object]]
) -> None:
    """Fetch the state: the timeline shows it (what changed highlighted), the chat sums it up."""
    from artgen_tui.core import timeline

    state = await ws.state()
    shown = table.state
    table.show_state(state, timeline.diff(shown, state) if shown is not None else None)
    await say(timeline.summary(state), "info")


async def start_new_session(ws: Workspace, chat: ChatLog, table: TimelineTable) -> None:
    from artgen_tui.api.models import SessionState

    await ws.new_session()
    await chat.remove_children()
    table.show_state(SessionState())
    await chat.add_notice("Started a new session: an empty project.", "info")
