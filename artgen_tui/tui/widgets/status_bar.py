"""The one-line status bar: connection state, the session, credits (with the estimate of what is
about to be sent and the run's spending) and the running turn's elapsed time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from artgen_tui.api.untrusted import clean_line
from artgen_tui.core.credits import credit_level, credits_sentence

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits
    from artgen_tui.core.spend import Estimate

ConnectionState = Literal["connecting", "ready", "error", "busy"]

_ICONS: dict[ConnectionState, str] = {
    "connecting": "◌",
    "ready": "●",
    "busy": "◉",
    "error": "✗",
}


def _show(part: Static, content: Content) -> None:
    """Show new text in a part. The screen is laid out again only when the part's width changes:
    every layout walks every widget of the screen, and the elapsed time changes every second."""
    width = part.styles.width
    if width is not None and not width.is_auto:
        part.update(content, layout=False)  # its width is set by the bar, not by its text
        return
    shown = part.content
    width_changed = not isinstance(shown, Content) or shown.cell_length != content.cell_length
    part.update(content, layout=width_changed)


SHORT_CREDITS_BELOW = 80
"""Narrower than this, the bar shows the balance as ``credits 390 available`` (the whole sentence
is its tooltip), so the connection state keeps its room."""
SESSION_SHOWN_FROM = 48
"""Narrower than this, the bar leaves the session out (the Sessions list names it)."""


def format_elapsed(seconds: float) -> str:
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    return f"{minutes}:{secs:02d}"


class StatusBar(Horizontal):
    """Shows what the app is doing. ``clock`` is injectable so screenshots are deterministic."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text;
        & > Static { width: auto; padding: 0 1; }
        #status-connection { width: 1fr; min-width: 9; }
        &.-error #status-connection { color: $error; text-style: bold; }
        &.-connecting #status-connection { color: $text-muted; }
        #status-credits.-low { color: $warning; text-style: bold; }
        #status-credits.-empty { color: $error; text-style: bold; }
        #status-elapsed { color: $accent; }
        #status-session { color: $text-muted; max-width: 25%; }
        #status-estimate { color: $text-muted; }
        #status-estimate.-over { color: $warning; text-style: bold; }
        #status-spent { color: $text-muted; }
    }
    """

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._started: float | None = None
        self._timer: Timer | None = None
        self.connection: ConnectionState = "connecting"
        self.connection_text = "Connecting…"
        self._connection_shown: tuple[ConnectionState, str] | None = None
        self.credits: Credits | None = None
        self._threshold = 0
        self.session_label = ""
        self.estimate: Estimate | None = None
        self.session_spent = 0

    def compose(self) -> ComposeResult:
        yield Static(Content(f"◌ {clean_line(self.connection_text, 200)}"), id="status-connection")
        yield Static(Content(""), id="status-elapsed")
        session = Static(Content(self.session_label), id="status-session")
        session.display = bool(self.session_label)
        yield session
        estimate = Static(Content(""), id="status-estimate")
        spent = Static(Content(""), id="status-spent")
        estimate.display = spent.display = False
        yield estimate
        yield Static(Content("credits —"), id="status-credits")
        yield spent

    def on_mount(self) -> None:
        self.set_connection(self.connection, self.connection_text)
        if self.credits is not None:
            self.set_credits(self.credits, self._threshold)
        self._show_session()

    def on_resize(self) -> None:
        """What the width decides (:data:`SHORT_CREDITS_BELOW`, :data:`SESSION_SHOWN_FROM`)."""
        if self.credits is not None:
            self.set_credits(self.credits, self._threshold)
        self._show_session()

    @property
    def _narrow(self) -> bool:
        return 0 < self.size.width < SHORT_CREDITS_BELOW

    def set_session(self, title: str, short_id: str) -> None:
        """Show which session is current: its short id, then its title (cut to fit; on a
        narrow terminal the end of the title goes first)."""
        cut = title if len(title) <= 24 else title[:23] + "…"
        self.session_label = f"{short_id} · {cut}" if short_id else cut
        self._show_session()

    def _show_session(self) -> None:
        if self.is_mounted:
            label = self.query_one("#status-session", Static)
            _show(label, Content(self.session_label))
            label.display = (
                bool(self.session_label) and not 0 < self.size.width < SESSION_SHOWN_FROM
            )

    def set_connection(self, state: ConnectionState, text: str) -> None:
        self.connection, self.connection_text = state, text
        if not self.is_mounted or self._connection_shown == (state, text):
            return  # the same line again (connecting, as at startup) lays out nothing again
        self._connection_shown = (state, text)
        for name in ("connecting", "ready", "error", "busy"):
            self.set_class(name == state, f"-{name}")
        label = self.query_one("#status-connection", Static)
        _show(label, Content(f"{_ICONS[state]} {clean_line(text, 200)}"))

    def set_credits(self, credits: Credits, low_threshold: int) -> None:
        self.credits, self._threshold = credits, low_threshold
        if not self.is_mounted:
            return
        widget = self.query_one("#status-credits", Static)
        _show(widget, Content(f"credits {credits_sentence(credits, short=self._narrow)}"))
        widget.tooltip = f"Credits: {credits_sentence(credits)}" if self._narrow else None
        level = credit_level(credits.available, low_threshold)
        widget.set_class(level == "low", "-low")
        widget.set_class(level == "empty", "-empty")

    def set_estimate(self, estimate: Estimate | None) -> None:
        """``≈ 10 cr`` beside the balance for what the prompt would send (nothing when free)."""
        self.estimate = estimate
        if not self.is_mounted:
            return
        widget = self.query_one("#status-estimate", Static)
        shown = estimate is not None and (estimate.credits > 0 or estimate.needs_confirmation)
        _show(widget, Content(f"≈ {estimate.credits} cr" if shown and estimate else ""))
        widget.display = shown
        widget.set_class(bool(estimate and estimate.needs_confirmation), "-over")

    def set_session_total(self, spent: int) -> None:
        """Credits spent in this run."""
        self.session_spent = spent
        if self.is_mounted:
            widget = self.query_one("#status-spent", Static)
            _show(widget, Content(f"spent {spent}"))
            widget.display = True

    def mark_out_of_credits(self) -> None:
        """The service refused work for lack of credits: show the balance as empty."""
        self.query_one("#status-credits", Static).add_class("-empty")

    @property
    def elapsed(self) -> float | None:
        return None if self._started is None else self._clock() - self._started

    def start_timer(self) -> None:
        self._started = self._clock()
        self._show_elapsed()
        if self._timer is None:
            self._timer = self.set_interval(1.0, self._show_elapsed)
        else:
            self._timer.resume()

    def stop_timer(self) -> None:
        self._started = None
        if self._timer is not None:
            self._timer.pause()
        _show(self.query_one("#status-elapsed", Static), Content(""))

    def _show_elapsed(self) -> None:
        elapsed = self.elapsed
        if elapsed is not None:
            text = f"⏱ {format_elapsed(elapsed)}"
            _show(self.query_one("#status-elapsed", Static), Content(text))
