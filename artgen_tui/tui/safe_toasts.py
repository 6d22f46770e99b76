"""Every toast passes the sanitiser: its text may quote the server (a file name, an error)."""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel

from artgen_tui.api.untrusted import clean, clean_line


class SanitizedToasts(App[int]):
    """The app's base: :meth:`notify` cleans the message and title of control sequences."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast passes the sanitiser: its text may quote the server."""
        super().notify(
            clean(message),
            title=clean_line(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )
