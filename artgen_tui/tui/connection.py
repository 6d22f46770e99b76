"""Connection and session in the app: what to say when connecting fails, the resumed
conversation, the project status, a fresh session and switching sessions. Each raises
:class:`ApiError` for the caller to show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from artgen_tui.api.errors import ApiError, TransportError
from artgen_tui.core.sessions import SessionIndex, restored_lines, short_id

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


def connection_hint(exc: ApiError, api_url: str, retry_key: str = "F5") -> str:
    """What to try after failing to connect to ``api_url`` (``retry_key``: the key in force)."""
    from artgen_tui.core.identities import is_embedded

    retry = f"Press {retry_key} to retry"
    if not isinstance(exc, TransportError):
        return f"{retry}."
    if is_embedded(api_url):
        return f"{retry}; if it keeps failing, restart `artgen --local`."
    if is_loopback(api_url):
        return (
            f"{retry}. Is `artgen serve-local` running at {api_url}? "
            "Or run `artgen --local` to start one inside the app."
        )
    return f"{retry}, or run `artgen --local` to work offline."


async def connection_failed(
    exc: ApiError,
    api_url: str,
    status: StatusBar,
    show_error: Callable[[str, str], Awaitable[None]],
    retry_key: str = "F5",
) -> None:
    """Offline in the status bar with what to try, and the error in the chat."""
    hint = connection_hint(exc, api_url, retry_key)
    status.set_connection("error", f"Offline · {hint}")
    await show_error("Could not connect", f"{exc.user_text()}\n{hint}")


async def restore_transcript(
    chat: ChatLog, index: SessionIndex, session_id: str, marker: str = "Resumed your last session."
) -> None:
    """Replace the chat with the session's last turns (how each ended, what it cost, the videos
    saved) and a marker saying it was resumed."""
    await chat.remove_children()
    shown = False
    for kind, text in restored_lines(index, session_id, RESTORED_MESSAGES):
        shown = True
        if kind == "user":
            await chat.add_user(text)
        elif kind == "assistant":
            await chat.add_reply(text)
        else:
            await chat.add_notice(text, "info")
    if shown:
        await chat.add_notice(marker, "marker")


def session_label(ws: Workspace) -> tuple[str, str]:
    """(title, short id) of the current session, for the status bar."""
    return ws.sessions.title(ws.session_id), short_id(ws.session_id)


def has_content(ws: Workspace) -> bool:
    """Whether the current session has prompts or a timeline (a new session then asks first)."""
    if any(e.role == "user" for e in ws.sessions.entries(ws.session_id)):
        return True
    from artgen_tui.core import timeline

    return ws.last_state is not None and bool(timeline.rows(ws.last_state.draft))


async def switch_session(
    ws: Workspace, session_id: str, chat: ChatLog, table: TimelineTable
) -> None:
    """Open another session: its transcript and timeline come back. Raises
    :class:`~artgen_tui.core.workspace.SessionGone` (nothing changed) if the server lost it."""
    from artgen_tui.api.models import SessionState

    await ws.open_session(session_id)
    title, short = session_label(ws)
    await restore_transcript(chat, ws.sessions, ws.session_id, f"Opened {title} ({short}).")
    table.show_state(ws.last_state or SessionState())


async def continue_session(ws: Workspace, old_id: str, chat: ChatLog, table: TimelineTable) -> None:
    """A new session that shows ``old_id``'s transcript for reference (the server lost it)."""
    from artgen_tui.api.models import SessionState

    await ws.new_session(parent=old_id)
    await restore_transcript(
        chat, ws.sessions, ws.session_id, "A new session: the project above is not on the server."
    )
    table.show_state(SessionState())


async def show_project_status(
    ws: Workspace, table: TimelineTable, say: Callable[[str, str], Awaitable[object]]
) -> None:
    """Fetch the state: the timeline shows it (what changed highlighted), the chat sums it up."""
    from artgen_tui.core import timeline

    state = await ws.state()
    table.show_state(state, timeline.since_shown(table.state, state))
    await say(timeline.summary(state), "info")


async def start_new_session(ws: Workspace, chat: ChatLog, table: TimelineTable) -> None:
    from artgen_tui.api.models import SessionState

    await ws.new_session()
    await chat.remove_children()
    table.show_state(SessionState())
    await chat.add_notice("Started a new session: an empty project.", "info")
