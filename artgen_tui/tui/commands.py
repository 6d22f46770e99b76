"""Command palette entries (Ctrl+P): every app action, with the key that runs it now.

The keys come from the app's bindings with the user's keymap applied (:mod:`artgen_tui.tui.keys`),
so a remapped key is the one the palette names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from artgen_tui.tui.keys import hint, key_display


class _Actions(Protocol):
    def action_upload(self) -> None: ...
    def action_export(self) -> None: ...
    def action_preview(self) -> None: ...
    def action_library(self) -> None: ...
    def action_credits(self) -> None: ...
    def action_new_session(self) -> None: ...
    def action_sessions(self) -> None: ...
    def action_focus_timeline(self) -> None: ...
    def action_focus_jobs(self) -> None: ...
    def action_toggle_side(self) -> None: ...
    def action_copy_last(self) -> None: ...
    def action_cancel_turn(self) -> None: ...
    def action_reconnect(self) -> None: ...
    def action_help(self) -> None: ...
    def action_edit_prompt(self) -> None: ...
    @property
    def is_headless(self) -> bool: ...
    def action_status(self) -> object: ...
    def key_of(self, action: str) -> str: ...


def palette_entries(app: _Actions) -> list[tuple[str, str, Callable[[], object]]]:
    """(title, help, callback) for each action; titles are unique so searches are stable."""
    k = app.key_of
    return [
        (
            "Upload media",
            "Pick files or paste URLs to upload" + hint(k("upload"), "/upload"),
            app.action_upload,
        ),
        (
            "Export video",
            "Render the timeline and download the MP4" + hint(k("export")),
            app.action_export,
        ),
        (
            "Quick preview",
            "Render a 360p draft and show its frames" + hint(k("preview"), "/preview"),
            app.action_preview,
        ),
        (
            "Library",
            "Every result across sessions" + hint(k("library"), "/library"),
            app.action_library,
        ),
        (
            "Refresh credits",
            "Available · frozen · total; offline: reconnect" + hint(k("credits")),
            app.action_credits,
        ),
        (
            "Show project status",
            "Summary of the timeline in the chat" + hint("", "/status"),
            app.action_status,
        ),
        (
            "New session",
            "Start a fresh, empty project" + hint(k("new_session")),
            app.action_new_session,
        ),
        (
            "Sessions",
            "List, search, open, rename and export sessions" + hint(k("sessions"), "/sessions"),
            app.action_sessions,
        ),
        (
            "Focus timeline",
            "Move to the timeline table" + hint(k("focus_timeline")),
            app.action_focus_timeline,
        ),
        (
            "Focus exports",
            "Move to the export jobs" + hint(k("focus_jobs")),
            app.action_focus_jobs,
        ),
        (
            "Toggle side panel",
            "Show or hide timeline and exports" + hint(k("toggle_side")),
            app.action_toggle_side,
        ),
        (
            "Copy last reply",
            "Copy the agent's last reply to the clipboard" + hint(k("copy_last")),
            app.action_copy_last,
        ),
        (
            "Cancel reply",
            "Stop the reply in progress" + hint(k("cancel_turn")),
            app.action_cancel_turn,
        ),
        (
            "Reconnect",
            "Retry connecting to the service" + hint(k("credits")),
            app.action_reconnect,
        ),
        ("Keys and commands", "Help screen" + hint(k("help")), app.action_help),
        *editor_entry(app),
    ]


def editor_entry(app: _Actions) -> list[tuple[str, str, Callable[[], object]]]:
    """Editing the prompt in $VISUAL/$EDITOR needs a terminal to hand over: not headless."""
    if app.is_headless:
        return []
    prefix = key_display(app.key_of("editor_prefix"))
    keys = f"{prefix} Ctrl+E" if prefix else ""
    return [
        (
            "Edit prompt in $EDITOR",
            "Open the prompt's text in $VISUAL or $EDITOR" + hint("", keys),
            app.action_edit_prompt,
        )
    ]
