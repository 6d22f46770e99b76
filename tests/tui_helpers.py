"""Shared pieces for the TUI tests: a real local backend with chosen options, settings, waits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from artgen_tui.config import Settings
from artgen_tui.core.workspace import register_local_backend
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.widgets.chat_log import ChatMessage, Notice, Reply, UserMessage

FAST = {"stage_delay": 0.0, "heartbeat_interval": 0.05, "silent_close_rate": 0.3, "seed": 7}


@contextmanager
def local_backend(data_dir: Path, **options: Any) -> Iterator[str]:
    """A real local backend (loopback HTTP, own thread) with fast defaults; yields its URL."""
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import LocalBackend

    with LocalBackend(data_dir, options=LocalOptions(**{**FAST, **options})) as backend:
        register_local_backend(backend.url, data_dir)
        yield backend.url


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_url": url,
        "render_poll_interval": 0.1,
        "theme": "textual-dark",
        **overrides,
    }
    return Settings(**values)


def make_app(url: str, **kwargs: Any) -> ArtgenApp:
    settings = kwargs.pop("settings", None) or settings_for(url)
    kwargs.setdefault("export_resolution", "360p")
    return ArtgenApp(settings, **kwargs)


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    """Poll ``predicate`` between UI pauses; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot[Any], app: ArtgenApp) -> None:
    await wait_until(pilot, lambda: app.ready, 30, "the app to connect")


async def send(pilot: Pilot[Any], app: ArtgenApp, text: str) -> None:
    """Type ``text`` into the prompt and press Enter."""
    app.prompt.focus()
    app.prompt.value = text
    await pilot.press("enter")
    await pilot.pause()


async def finish_turn(pilot: Pilot[Any], app: ArtgenApp, timeout: float = 60.0) -> None:
    await wait_until(pilot, lambda: not app.turn_running, timeout, "the turn to finish")
    await wait_until(
        pilot,
        lambda: not any(isinstance(m, Reply) and m.streaming for m in app.chat.messages()),
        10,
        "the reply to finish rendering",
    )


def texts(app: ArtgenApp, kind: type[ChatMessage] = ChatMessage) -> list[str]:
    return [m.text for m in app.chat.messages() if isinstance(m, kind)]


def notices(app: ArtgenApp) -> list[str]:
    return texts(app, Notice)


def replies(app: ArtgenApp) -> list[str]:
    return texts(app, Reply)


def users(app: ArtgenApp) -> list[str]:
    return texts(app, UserMessage)
