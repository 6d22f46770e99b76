"""The app's own keys: F-keys (priority, so the focused prompt never takes them) and the palette.

Never a key the prompt edits with (checked at start-up by :func:`artgen_tui.tui.keys.check_app_keys`);
every place that names one of these keys reads it from the live bindings and keymap.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding(key, action, label, id=f"app.{bid}", tooltip=tip, show=show, priority=prio)
    for key, action, label, bid, tip, show, prio in [
        ("f1", "help", "Help", "help", "Keys and commands", True, True),
        ("f2", "upload", "Upload", "upload", "Upload media", True, True),
        ("f3", "sessions", "Sessions", "sessions", "Your sessions", True, True),
        ("f4", "library", "Library", "library", "Your exported videos", True, True),
        ("f5", "credits", "Credits", "credits", "Refresh credits (offline: reconnect)", True, True),
        ("f6", "export", "Export", "export", "Render and download", True, True),
        ("f7", "preview", "Preview", "preview", "Quick 360p preview of the timeline", True, True),
        ("f8", "focus_timeline", "Timeline", "timeline", "Focus the timeline (again: hide it)", True, True),
        ("f9", "focus_jobs", "Exports", "jobs", "Focus the exports (again: hide them)", False, True),
        ("f10", "new_session", "New", "new_session", "New session", True, True),
        ("ctrl+l", "focus_prompt", "Prompt", "prompt", "Back to the prompt", False, False),
        ("escape", "cancel_turn", "Cancel", "cancel", "Cancel the reply in progress, else drop the newest queued message", False, False),
        ("ctrl+q", "quit", "Quit", "quit", "Quit artgen", True, True),
    ]
]  # fmt: skip
"""App actions: F-keys (priority, so the prompt never takes them) and the palette; never a
key the prompt edits with. F3/F4/F7 stay inert until their screens exist (``check_action``).
Textual's own set (Ctrl+Q, and Ctrl+C's "how to quit" hint: Ctrl+C copies in the prompt) is
not inherited, so the footer lists F1 first."""
