"""The theme picked in the app (palette → Theme) is kept in the config file it was loaded from.

The picker previews each theme the user moves over, so the file is written a moment after the
last change (:data:`THEME_SAVE_DELAY`), and at once when the app quits.
:func:`artgen_tui.config_file.save_top_level_value` edits just the ``theme`` line, keeping comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from textual.app import App
from textual.timer import Timer

from artgen_tui.config_file import save_top_level_value

THEME_SAVE_DELAY = 1.0
"""Seconds after the last theme change before it is written."""


class ThemeSettings(Protocol):
    """The settings' theme and file (the validated settings, or the first frame's)."""

    theme: str

    @property
    def source_path(self) -> Path | None: ...


class ThemeSaver:
    def __init__(self, app: App[Any], settings: ThemeSettings) -> None:
        self.app = app
        self.settings = settings
        self._timer: Timer | None = None

    def apply(self, palette_key: str) -> None:
        """Use the configured theme (an unknown name says so and keeps the default), then
        follow the app's theme."""
        if self.settings.theme in self.app.available_themes:
            self.app.theme = self.settings.theme
        else:
            self.app.notify(
                f"Unknown theme {self.settings.theme!r}; using the default. "
                f"Pick one with {palette_key} → Theme.",
                severity="warning",
                markup=False,
            )
        self.watch()

    def watch(self) -> None:
        """Start following the app's theme (after the configured one is applied)."""
        self.app.theme_changed_signal.subscribe(self.app, lambda _theme: self._changed())

    def _changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(THEME_SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write the current theme if it differs from the file's (no file: nothing to do)."""
        name, path = self.app.theme, self.settings.source_path
        if path is None or name == self.settings.theme:
            return
        try:
            save_top_level_value("theme", name, path)
        except (OSError, ValueError) as exc:
            self.app.notify(f"Theme not saved to {path}: {exc}", severity="warning", markup=False)
            return
        self.settings.theme = name
