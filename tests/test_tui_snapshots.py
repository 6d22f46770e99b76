"""Snapshots of the app's main states (canned scenes: frozen clocks, fixed data, no network).

Each test says what a reviewer should see in the SVG.
"""

from __future__ import annotations

from typing import Any

import pytest
import textual.constants
from textual.widgets import Input, TextArea

from artgen_tui.tui.demo import SCENES, demo_app


@pytest.fixture(autouse=True)
def _steady_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations and no blinking cursor: snapshots must not depend on timing."""
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


def _snap(snap_compare: Any, name: str) -> bool:
    scene, size = SCENES[name]
    return bool(snap_compare(demo_app(), terminal_size=size, run_before=scene))


def test_snapshot_connecting(snap_compare: Any) -> None:
    """Status bar says "Connecting…"; no credits yet; empty chat, timeline and exports."""
    assert _snap(snap_compare, "connecting")


def test_snapshot_ready_empty(snap_compare: Any) -> None:
    """ "● Ready" and 500 available · 0 frozen · 500 total; the welcome (a greeting, three
    example prompts, a tip naming F2 and F1); the footer lists the F-keys; the prompt's
    placeholder names Enter, Ctrl+J and Esc."""
    assert _snap(snap_compare, "ready")


def test_snapshot_streamed_reply(snap_compare: Any) -> None:
    """A Markdown reply (bold, list) split around a dim "working: generate video" marker,
    brackets shown literally, action buttons under it, and the timeline filled."""
    assert _snap(snap_compare, "streamed-reply")


def test_snapshot_silent_close_diff(snap_compare: Any) -> None:
    """A silent edit: the diff sentence is the reply; changed timeline rows carry the ● mark."""
    assert _snap(snap_compare, "silent-close")


def test_snapshot_jobs_running_and_finished(snap_compare: Any) -> None:
    """Exports: one saved (path shown) and one rendering at 40 %."""
    assert _snap(snap_compare, "jobs")


def test_snapshot_out_of_credits(snap_compare: Any) -> None:
    """Credits shown in red at 0; the chat shows the registration link with ?bind=anon_3f9c2a."""
    assert _snap(snap_compare, "out-of-credits")


def test_snapshot_still_working(snap_compare: Any) -> None:
    """ "⏳ Still working… (2 min)" in the chat and the elapsed time (frozen at 0:00)."""
    assert _snap(snap_compare, "still-working")


def test_snapshot_help_screen(snap_compare: Any) -> None:
    """F1: the app's F-keys, the prompt's keys and the focused panels' keys, each with its
    description and keymap id; then the slash commands."""
    assert _snap(snap_compare, "help")


def test_snapshot_layout_80x24(snap_compare: Any) -> None:
    """At 80×24 the timeline and exports sit under the chat; everything stays readable."""
    assert _snap(snap_compare, "narrow-80x24")


def test_snapshot_long_reply_mid_stream(snap_compare: Any) -> None:
    """A long reply mid-stream: finished paragraphs (heading, list, code, quote) drawn by the
    fast renderer above the live Markdown tail, with no visible seam between them."""
    assert _snap(snap_compare, "long-reply")
