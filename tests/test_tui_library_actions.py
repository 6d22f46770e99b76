"""The Library's re-export (``e``) and open-its-session (``s``) in the app, driven with Pilot
against a real local backend: the spend guard, the journal, the exports row, the download and the
strip for a re-export; switching sessions, a lost one, and the bad cases."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from tui_helpers import local_backend, make_app, notices, settings_for, wait_ready, wait_until

from artgen_tui.api.models import Credits
from artgen_tui.config import Settings
from artgen_tui.core import conversation as conv
from artgen_tui.core import sidecar
from artgen_tui.core.history import Transcript
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.spend import SpendGuard
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.library_flow import NOT_CONNECTED
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.library import LibraryScreen
from artgen_tui.tui.screens.resolution import ResolutionScreen
from artgen_tui.tui.screens.spend_confirm import SpendConfirm
from artgen_tui.tui.widgets.strip import StripMessage

SIZE = (120, 40)
CITY = "generate a futuristic city at sunset, cinematic, 2 seconds"
OCEAN = "generate a calm ocean at dawn, 2 seconds"


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("ARTGEN_GRAPHICS", "halfblock")


@dataclass
class World:
    url: str
    out: Path
    journal: Path

    def settings(self, **overrides: Any) -> Settings:
        return settings_for(self.url, output_dir=self.out, **overrides)

    def app(self, **kwargs: Any) -> ArtgenApp:
        settings = kwargs.pop("settings", None) or self.settings()
        return make_app(self.url, settings=settings, journal_path=self.journal, **kwargs)

    def jobs(self) -> list[ExportJob]:
        return JobManager(Workspace(self.settings()), journal_path=self.journal).jobs()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with local_backend(tmp_path / "backend") as url:
        yield World(url, tmp_path / "videos", tmp_path / "jobs.json")


async def exported(world: World, prompt: str, name: str) -> tuple[str, Path]:
    """A new session with one generation, exported at 360p to ``name``: (session id, MP4)."""
    async with Workspace(world.settings()) as ws:
        await ws.ready(new=True)
        async for _ in conv.run_turn(ws, prompt):
            pass
        jobs = JobManager(ws, output_dir=world.out, journal_path=world.journal)
        job = await jobs.submit(resolution="360p", output_path=world.out / name)
        async for update in jobs.follow(job.id):
            job = update
        assert job.status == "downloaded", job.error
        return ws.session_id, world.out / name


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def open_library(pilot: Any, app: ArtgenApp, name: str) -> LibraryScreen:
    """F4, then the cursor on the result saved as ``name``."""
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen), 10, "the library")
    screen = app.screen
    assert isinstance(screen, LibraryScreen)
    index = [i.path.name for i in screen.items].index(name)
    for _ in range(index):
        await pilot.press("down")
    await wait_until(pilot, lambda: screen.current and screen.current.path.name == name, 5)
    return screen


def toasts(app: ArtgenApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_e_reexports_the_stored_draft_at_the_chosen_size_into_a_new_file(
    world: World,
) -> None:
    session, city = await exported(world, CITY, "city.mp4")
    before = digest(city)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None and app.ws.session_id == session
        timeline = app.timeline.state
        await open_library(pilot, app, "city.mp4")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ResolutionScreen), 5, "sizes")
        picker = app.screen
        assert isinstance(picker, ResolutionScreen)
        assert [label for label, _ in picker.options] == ["Same as before (360p)", "720p", "1080p"]
        await pilot.press("down", "enter")  # 720p
        await wait_until(pilot, lambda: not isinstance(app.screen, LibraryScreen), 5, "closed")

        def reexported() -> ExportJob | None:
            return next((j for j in world.jobs() if j.source == str(city)), None)

        await wait_until(
            pilot,
            lambda: (j := reexported()) is not None and j.status == "downloaded",
            60,
            "the re-export to download",
        )
        job = reexported()
        assert job is not None and job.path is not None and job.resolution == "720p"
        new = Path(job.path)
        assert new.parent == world.out and new != city and job.id in new.name
        await wait_until(
            pilot,
            lambda: any(m.path == new for m in app.chat.query(StripMessage)),
            30,
            "the strip in the chat",
        )
        await wait_until(pilot, lambda: job.id in app.jobs_panel._strips, 10, "the row's strip")
        assert any(f"Re-export {job.id} of city.mp4 (720p) started" in n for n in notices(app))
        assert any(f"saved to {new}" in n for n in notices(app))
        assert digest(city) == before, "the original is never replaced"
        data, original = sidecar.read(new), sidecar.read(city)
        assert data is not None and original is not None
        assert data["draft"] == original["draft"] and data["height"] == 720
        assert data["reexport_of"] == "city.mp4" and data["prompts"] == [CITY]
        assert app.timeline.state == timeline, "the session's timeline is untouched"


async def test_reexport_over_the_limit_asks_first(world: World, isolated_home: Path) -> None:
    _, city = await exported(world, CITY, "city.mp4")
    async with Workspace(world.settings()) as ws:
        guard = SpendGuard(ws.identity, history_path=isolated_home / "state" / "spend.json")
        for _ in range(3):
            guard.record("export", Credits(available=100), Credits(available=70))
    app = world.app(settings=world.settings(spend={"limit": 20}))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        for answer in ("n", "y"):
            await open_library(pilot, app, "city.mp4")
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, ResolutionScreen), 5)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "asked")
            asked = app.screen
            assert isinstance(asked, SpendConfirm)
            assert "re-export will cost about 30 credits" in asked.estimate.sentence
            assert "per-run limit of 20" in asked.estimate.sentence
            await pilot.press(answer)
            await wait_until(pilot, lambda: not isinstance(app.screen, SpendConfirm), 5)
            if answer == "n":
                await pilot.pause(0.3)
                assert [j for j in world.jobs() if j.source] == [], "nothing submitted"
        await wait_until(
            pilot, lambda: any(j.source == str(city) for j in world.jobs()), 20, "the re-export"
        )


async def test_a_result_without_a_draft_says_why_and_what_to_do(world: World) -> None:
    session, city = await exported(world, CITY, "city.mp4")
    data = sidecar.read(city)
    assert data is not None
    sidecar.write(city, {**data, "draft": None})
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        screen = await open_library(pilot, app, "city.mp4")
        await pilot.press("e")
        await pilot.pause()
        assert app.screen is screen, "no size asked for, the library stays"
        told = [t for t in toasts(app) if "city.mp4 has no stored draft" in t]
        assert told and f"Open its session ({session}: s in the Library" in told[0]
        assert [j for j in world.jobs() if j.source] == []


async def test_actions_before_connecting_say_so(world: World) -> None:
    await exported(world, CITY, "city.mp4")
    app = world.app(autoconnect=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_library(pilot, app, "city.mp4")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ResolutionScreen), 5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: NOT_CONNECTED in toasts(app), 5, "the warning")
        await pilot.press("s")
        await pilot.pause()
        assert toasts(app).count(NOT_CONNECTED) == 2
        assert isinstance(app.screen, LibraryScreen)


async def test_s_opens_the_session_the_result_came_from(world: World) -> None:
    city_session, _ = await exported(world, CITY, "city.mp4")
    ocean_session, _ = await exported(world, OCEAN, "ocean.mp4")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None and app.ws.session_id == ocean_session
        await open_library(pilot, app, "city.mp4")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.ws and app.ws.session_id == city_session, 20, "switch")
        assert not isinstance(app.screen, LibraryScreen)
        await wait_until(pilot, lambda: app.timeline.state is not None, 10, "its timeline")
        assert any("Opened" in n for n in notices(app))

        await open_library(pilot, app, "city.mp4")
        await pilot.press("s")
        await wait_until(pilot, lambda: any("Already in session" in t for t in toasts(app)), 5)
        assert not isinstance(app.screen, LibraryScreen)


async def test_s_on_a_session_the_server_lost_offers_a_new_one_with_its_transcript(
    world: World,
) -> None:
    _, city = await exported(world, CITY, "city.mp4")
    gone = "sess_gone0003"
    Workspace(world.settings()).sessions.touch(gone)
    Transcript(gone).append("user", "a red kite over dunes")
    data = sidecar.read(city)
    assert data is not None
    sidecar.write(city, {**data, "session_id": gone})
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None
        before = app.ws.session_id
        await open_library(pilot, app, "city.mp4")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the offer")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.ws and app.ws.session_id != before, 10, "new session")
        assert app.ws.sessions.require(app.ws.session_id).parent == gone


async def test_s_on_an_unknown_session_says_it_is_gone(world: World) -> None:
    _, city = await exported(world, CITY, "city.mp4")
    data = sidecar.read(city)
    assert data is not None
    sidecar.write(city, {**data, "session_id": "1234567890123456789"})
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.ws is not None
        before = app.ws.session_id
        await open_library(pilot, app, "city.mp4")
        await pilot.press("s")
        await wait_until(
            pilot,
            lambda: any("no session '1234567890123456789'" in n for n in notices(app)),
            10,
            "said gone",
        )
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.ws.session_id == before
