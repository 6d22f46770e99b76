"""Command palette entries (Ctrl+P): every app action, with the key that also runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class _Actions(Protocol):
    def action_upload(self) -> None: ...
    def action_export(self) -> None: ...
    def action_credits(self) -> None: ...
    def action_new_session(self) -> None: ...
    def action_focus_timeline(self) -> None: ...
    def action_focus_jobs(self) -> None: ...
    def action_toggle_side(self) -> None: ...
    def action_copy_last(self) -> None: ...
    def action_cancel_turn(self) -> None: ...
    def action_reconnect(self) -> None: ...
    def action_help(self) -> None: ...
    def show_status(self) -> object: ...


def palette_entries(app: _Actions) -> list[tuple[str, str, Callable[[], object]]]:
    """(title, help, callback) for each action; titles are unique so searches are stable."""
    return [
        ("Upload media", "Pick files or paste URLs to upload (Ctrl+U, /upload)", app.action_upload),
        ("Export video", "Render the timeline and download the MP4 (Ctrl+E)", app.action_export),
        ("Refresh credits", "Available · frozen · total (Ctrl+R)", app.action_credits),
        ("Show project status", "Summary of the timeline in the chat (/status)", app.show_status),
        ("New session", "Start a fresh, empty project (Ctrl+N)", app.action_new_session),
        ("Focus timeline", "Move to the timeline table (Ctrl+T)", app.action_focus_timeline),
        ("Focus exports", "Move to the export jobs (Ctrl+O)", app.action_focus_jobs),
        ("Toggle side panel", "Show or hide timeline and exports (Ctrl+B)", app.action_toggle_side),
        (
            "Copy last reply",
            "Copy the agent's last reply to the clipboard (Ctrl+Y)",
            app.action_copy_last,
        ),
        ("Cancel reply", "Stop the reply in progress (Esc)", app.action_cancel_turn),
        ("Reconnect", "Retry connecting to the service (F5)", app.action_reconnect),
        ("Keys and commands", "Help screen (F1)", app.action_help),
    ]
