"""The Library screen: every result across sessions with its thumbnail and actions."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import textual.constants
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static
from tui_helpers import local_backend, make_app, settings_for, wait_until

from artgen_tui.core import sidecar, termimage
from artgen_tui.core.library import Library, LibraryItem
from artgen_tui.core.sessions import short_id
from artgen_tui.tui.screens.library import NO_SESSION, LibraryScreen, row
from artgen_tui.tui.screens.resolution import ResolutionScreen
from artgen_tui.tui.widgets.strip import HalfblockStrip

COLOURS = [(220, 30, 30), (30, 200, 40), (30, 40, 220), (240, 240, 240), (230, 200, 20)]
T0 = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("ARTGEN_GRAPHICS", "halfblock")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def make_mp4(path: Path, colours: list[tuple[int, int, int]]) -> Path:
    """A small MPEG-4 Part 2 video (bit-stable across runs), one second per colour at 8 fps."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for colour in colours:
            pixels = np.zeros((36, 64, 3), dtype=np.uint8)
            pixels[:, :] = colour
            for _ in range(8):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def results(folder: Path) -> Library:
    folder.mkdir(parents=True, exist_ok=True)
    a = make_mp4(folder / "city.mp4", COLOURS)
    b = make_mp4(folder / "ocean.mp4", COLOURS[2:])
    old = make_mp4(folder / "old.mp4", COLOURS[:1])
    for mp4, title, session, at, draft in [
        (a, "a futuristic city at sunset", "ses_city01", T0, {"d": 5000}),
        (b, "a calm ocean at dawn", "ses_ocean2", T0 - 3600, None),
    ]:
        data = sidecar.build(
            mp4, session_id=session, render_id=f"r_{mp4.stem}", title=None, resolution=None,
            created_at=at, prompts=[title], draft=draft,
        )  # fmt: skip
        sidecar.write(mp4, data)
    os.utime(old, (T0 - 86400, T0 - 86400))
    journal = folder.parent / "jobs.json"
    journal.write_text(
        json.dumps({"jobs": [{"id": "r_old", "status": "downloaded", "path": str(old)}]})
    )
    return Library([folder], journal_path=journal)


class LibraryApp(App[None]):
    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library

    def compose(self) -> ComposeResult:
        yield Static("")

    def on_mount(self) -> None:
        self.push_screen(LibraryScreen(self.library))


def thumb_text(app: App[Any]) -> str:
    return str(app.screen.query_one("#library-thumb", Static).render())


async def test_library_lists_every_result_newest_first_with_its_thumbnail(tmp_path: Path) -> None:
    app = LibraryApp(results(tmp_path / "videos"))
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: termimage.UPPER_HALF in thumb_text(app), 10, "thumb")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == [
            "a futuristic city at sunset",
            "a calm ocean at dawn",
            "old",
        ]
        assert rows[0][1:3] == ["2027-01-15 08:00", "0:05"] and rows[0][4] == "city01"
        assert rows[2][2] == "—" and rows[2][4] == "—"

        await pilot.press("p")
        await wait_until(pilot, lambda: screen.query(HalfblockStrip), 10, "the strip")
        assert len(screen.query_one(HalfblockStrip).frames) == 5

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ResolutionScreen), 5, "sizes")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, 5, "the library again")
        await pilot.press("down", "down", "e")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("old.mp4 has no sidecar" in m for m in messages)
        await pilot.press("s")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert NO_SESSION.format(name="old.mp4") in messages


async def test_f4_opens_the_library_from_the_app_and_c_copies_a_path(tmp_path: Path) -> None:
    out = tmp_path / "videos"
    results(out)
    with local_backend(tmp_path / "backend") as url:
        app = make_app(
            url,
            settings=settings_for(url, output_dir=out),
            autoconnect=False,
            journal_path=tmp_path / "jobs.json",
        )
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.press("f4")
            await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen), 5, "library")
            await pilot.press("c")
            await pilot.pause()
            assert app.clipboard == str(out / "city.mp4")
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, LibraryScreen)


def test_a_result_names_its_session_as_everywhere_else() -> None:
    """The short id the status bar and the Sessions list show, not a longer cut of the id."""
    session = "8675766670361234"
    made = LibraryItem(path=Path("a.mp4"), title="t", created_at=T0, size=1, session_id=session)
    assert row(made)[-1] == short_id(session) == "86757666"
    unknown = LibraryItem(path=Path("b.mp4"), title="t", created_at=T0, size=1)
    assert row(unknown)[-1] == "—"


def test_snapshot_library(snap_compare: Any, tmp_path: Path) -> None:
    """Three results, newest first (title, date, length, size, session); the city's thumbnail
    and details on the right; its 5-frame strip (red, green, blue, white, yellow) below."""
    library = results(tmp_path / "videos")

    async def ready(pilot: Any) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: termimage.UPPER_HALF in thumb_text(app), 10, "thumb")
        await pilot.press("p")
        await wait_until(pilot, lambda: app.screen.query(HalfblockStrip), 10, "the strip")
        await pilot.pause()

    assert snap_compare(LibraryApp(library), terminal_size=(110, 30), run_before=ready)
