"""Uploads in the app: the picker's choice, ``/upload`` arguments or pasted paths, with the
progress bar, then each file's outcome in the chat and the timeline (refreshed once). The rules (what is refused, how items are parsed)
are :mod:`artgen_tui.core.uploads`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from artgen_tui.api.errors import ApiError
from artgen_tui.core import uploads
from artgen_tui.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from artgen_tui.api.models import SessionState
    from artgen_tui.core.timeline import TimelineDiff
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.widgets.upload_bar import UploadBar


@dataclass(frozen=True)
class UploadOutlets:
    bar: Callable[[], UploadBar]
    say: Callable[[str, str], Awaitable[object]]
    """Add a chat notice ``(text, kind)``."""
    show_state: Callable[[SessionState, TimelineDiff | None], None]
    show_error: Callable[[ApiError], Awaitable[None]]


async def upload_items(ws: Workspace, items: list[Path | str], out: UploadOutlets) -> bool:
    """Upload with progress; ``True`` when it worked (credits may have changed)."""

    bar = out.bar()
    bar.begin()
    try:
        outcome = await uploads.upload_each(ws, items, progress=bar.show)
    except ApiError as exc:
        await out.show_error(exc)
        return False
    finally:
        bar.end()
    await out.say(outcome.sentence(), "warning" if outcome.refused else "info")
    if outcome.state is not None:
        out.show_state(outcome.state, outcome.diff)
    return bool(outcome.files)


def offer_upload(
    app: App[Any], items: list[Path | str], upload: Callable[[list[Path | str]], object]
) -> None:
    """Pasted or dropped paths: ask before uploading them (they might be meant as text)."""
    names = ", ".join(Path(i).name if isinstance(i, Path) else i for i in items)
    what = "this file" if len(items) == 1 else f"these {len(items)} files"

    def answered(yes: bool | None) -> None:
        if yes:
            upload(items)

    app.push_screen(
        ConfirmScreen(f"Upload {what}: {names}?", title="Upload", yes="Upload", default_yes=True),
        answered,
    )
