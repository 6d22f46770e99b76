"""Frame strips in the app: the quick draft preview, a downloaded export's strip, and the keys
that open, reveal or copy a result (half-blocks forced with ARTGEN_GRAPHICS for determinism)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    notices,
    send,
    settings_for,
    wait_ready,
    wait_until,
)

from artgen_tui.core import termimage
from artgen_tui.core.preview import previews_dir
from artgen_tui.tui.widgets.strip import (
    MAX_FRAME_COLUMNS,
    HalfblockStrip,
    StripMessage,
    frame_columns,
)

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"


@pytest.fixture(autouse=True)
def _halfblocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTGEN_GRAPHICS", "halfblock")
    for var in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "ARTGEN_PLAYER"):
        monkeypatch.delenv(var, raising=False)


def strips(app: Any) -> list[StripMessage]:
    return [m for m in app.chat.messages() if isinstance(m, StripMessage)]


def test_frame_columns_fill_the_width_up_to_a_bound() -> None:
    assert frame_columns(5, 100) == 19
    assert frame_columns(5, 200) == 24
    assert frame_columns(5, 9) == 1
    assert frame_columns(0, 80) == 0


@pytest.mark.slow
@pytest.mark.parametrize("how", ["预览", "/preview", "f7"])
async def test_quick_preview_shows_a_strip_without_touching_the_exports(
    tmp_path: Path, how: str
) -> None:
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=(110, 40)) as pilot:
            await wait_ready(pilot, app)
            assert app.graphics == "halfblock"
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            if how == "f7":
                app.chat.focus()
                await pilot.press("f7")
            else:
                await send(pilot, app, how)
            assert not app.turn_running
            await wait_until(pilot, lambda: strips(app), 60, "the preview strip")
            message = strips(app)[-1]
            assert message.path.parent == previews_dir() and message.path.is_file()
            assert len(message.frames) == 5
            await pilot.pause()
            strip = message.query_one(HalfblockStrip)
            rendered = strip.render()
            assert strip.size.height >= 2 and termimage.UPPER_HALF in rendered.plain
            assert not app.jobs_panel.has_jobs
            assert not any(n.startswith("Preview:") for n in notices(app))


async def test_preview_of_an_empty_timeline_says_what_to_do(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, "preview")
            await wait_until(
                pilot, lambda: any("Describe a video first" in n for n in notices(app)), 20
            )
            assert not strips(app) and not app.turn_running


@pytest.mark.slow
async def test_export_strip_in_chat_and_jobs_row_and_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from artgen_tui.core import sidecar

    out = tmp_path / "videos"
    with local_backend(tmp_path / "backend", export_cost=5) as url:
        app = make_app(url, settings=settings_for(url, output_dir=out))
        async with app.run_test(size=(120, 44)) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            await send(pilot, app, "export")
            await wait_until(pilot, lambda: strips(app), 90, "the export's strip")
            message = strips(app)[-1]
            assert message.path.parent == out and len(message.frames) == 5
            job = app.jobs_panel.jobs[-1]
            assert job.status == "downloaded"
            # Its sidecar, with what the export cost (the backend charges 5 an export).
            data = sidecar.read(message.path)
            assert data is not None and data["render_id"] == job.id
            assert data["credits_spent"] == 5 and data["prompts"] == [GENERATE]
            assert any(n.startswith("Cost: 5 credits") for n in notices(app))
            app.jobs_panel.focus()
            await pilot.pause()
            detail = app.jobs_panel.query_one("#jobs-strip")
            assert detail.display and termimage.UPPER_HALF in str(detail.render())

            # Over SSH nothing opens on the user's screen: say so and offer to copy.
            monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
            await pilot.press("o")
            await pilot.pause()
            plan = app.opener.last_plan
            assert plan is not None and plan.action == "copy" and "SSH" in plan.reason
            assert any("SSH" in str(n.message) for n in app._notifications)
            await pilot.press("c")
            await pilot.pause()
            assert app.clipboard == job.path

            # The chat's result entry has the same keys.
            message.focus()
            await pilot.press("c")
            await pilot.pause()
            assert app.clipboard == str(message.path)


async def test_player_command_opens_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`o` on a result starts $ARTGEN_PLAYER with the path (a script that records it)."""
    import stat
    import time

    video = tmp_path / "result.mp4"
    video.write_bytes(b"not decoded here")
    record = tmp_path / "opened.txt"
    player = tmp_path / "player.sh"
    player.write_text(f'#!/bin/sh\necho "$1" > {record}\n')
    player.chmod(player.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("ARTGEN_PLAYER", str(player))
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url, autoconnect=False)
        async with app.run_test(size=(100, 30)) as pilot:
            message = StripMessage(video, "A result", [])
            await app.chat.mount(message)
            await pilot.pause()
            message.focus()
            await pilot.pause()
            await pilot.press("o")
            deadline = time.monotonic() + 10
            while not record.exists() and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert record.read_text().strip() == str(video)


def _media_snap(snap_compare: Any, name: str) -> bool:
    import textual.constants
    from textual.widgets import Input

    from artgen_tui.tui.demo import demo_app
    from artgen_tui.tui.demo_media import MEDIA_SCENES

    scene, size = MEDIA_SCENES[name]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
        patch.setattr(Input, "_toggle_cursor", lambda self: None)
        return bool(snap_compare(demo_app(), terminal_size=size, run_before=scene))


def test_snapshot_preview_strip(snap_compare: Any) -> None:
    """The chat: 预览, then "Preview (360p draft) · 5 frames" over five half-block frames of a
    sunset turning to night side by side, the path with its o/r/c keys, and the cost line."""
    assert _media_snap(snap_compare, "preview")


async def test_a_selected_timeline_row_shows_its_uploaded_sources_thumbnail(
    tmp_path: Path,
) -> None:
    from PIL import Image
    from textual.widgets import Static

    photo = tmp_path / "sunrise.png"
    Image.new("RGB", (80, 45), (250, 160, 40)).save(photo)
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot, app)
            app.uploads.start([photo])
            await wait_until(pilot, lambda: app.timeline.row_count > 0, 30, "the upload's row")
            detail = app.main.query_one("#timeline-detail", Static)
            assert not detail.display  # only while a row is selected
            app.action_focus_timeline()
            await pilot.pause()
            row = app.timeline.highlighted_row
            assert row is not None and row.label == "sunrise.png"
            await wait_until(
                pilot, lambda: termimage.UPPER_HALF in str(detail.render()), 10, "the thumbnail"
            )
            assert str(detail.render()).startswith(f"{row.icon} sunrise.png")


def _cells(widget: Any) -> list[list[tuple[str, Any, Any]]]:
    """What ``widget`` draws: rows of (character, foreground, background) per cell."""
    rows = []
    for y in range(widget.size.height):
        row = []
        for segment in widget.render_line(y):
            style = segment.style
            for char in segment.text:
                fg = style.color.triplet if style and style.color else None
                bg = style.bgcolor.triplet if style and style.bgcolor else None
                row.append((char, tuple(fg) if fg else None, tuple(bg) if bg else None))
        rows.append(row)
    return rows


async def test_the_strip_draws_the_frames_decoded_from_an_mp4(tmp_path: Path) -> None:
    """Frames decoded from a real H.264 file (five one-second colours) and shown in the chat:
    every half-block cell is the top pixel on the bottom pixel of its frame, frame by frame."""
    from PIL import Image
    from test_preview import COLOURS, close, make_segments_mp4, mean_colour

    from artgen_tui.core import imaging
    from artgen_tui.tui.widgets.strip import GAP

    video = make_segments_mp4(tmp_path / "segments.mp4", COLOURS)
    frames = imaging.extract_strip(video, count=len(COLOURS))
    assert [close(mean_colour(f), c) for f, c in zip(frames, COLOURS, strict=True)] == [True] * 5
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url, autoconnect=False)
        async with app.run_test(size=(100, 30)) as pilot:
            message = await app.previews.show(video, "Segments", frames)
            await pilot.pause()
            strip = message.query_one(HalfblockStrip)
            # The chat keeps what half-blocks draw (a pixel per column), not the decoded size.
            assert max(f.width for f in strip.frames) <= MAX_FRAME_COLUMNS < frames[0].width
            columns = frame_columns(len(frames), strip.size.width)
            drawn = _cells(strip)
            assert columns >= 8 and len(drawn) == termimage.cell_size(frames[0], columns)[1]
            for n, frame in enumerate(frames):
                cols, rows = termimage.cell_size(frame, columns)
                pixels = frame.convert("RGB").resize((cols, rows * 2), Image.Resampling.BILINEAR)
                left = n * (columns + GAP)
                for y, row in enumerate(drawn):
                    for x in range(cols):
                        top, bottom = pixels.getpixel((x, 2 * y)), pixels.getpixel((x, 2 * y + 1))
                        assert row[left + x] == (termimage.UPPER_HALF, top, bottom), (n, x, y)
                    # and it is that segment's colour, not another frame's
                    assert close(row[left + cols // 2][1], COLOURS[n])


@pytest.mark.slow
async def test_a_preview_over_the_limit_asks_first(tmp_path: Path, isolated_home: Path) -> None:
    """A preview is priced like an export: over the ``[spend] limit`` the guard asks with the
    figures; no sends nothing to render, yes renders it."""
    from artgen_tui.api.models import Credits
    from artgen_tui.core.spend import SpendGuard
    from artgen_tui.tui.screens.spend_confirm import SpendConfirm

    data_dir = tmp_path / "backend"
    with local_backend(data_dir) as url:
        app = make_app(url, settings=settings_for(url, spend={"limit": 150}))
        async with app.run_test(size=(110, 40)) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            assert app.ws is not None
            # This account was once charged 200 for an export: a preview is priced at that.
            SpendGuard(app.ws.identity, history_path=isolated_home / "state" / "spend.json").record(
                "export", Credits(available=300), Credits(available=100)
            )
            for answer in ("n", "y"):
                await send(pilot, app, "/preview")
                await wait_until(pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "asked")
                asked = app.screen
                assert isinstance(asked, SpendConfirm)
                assert "This preview will cost about 200 credits" in asked.estimate.sentence
                assert "per-run limit of 150" in asked.estimate.sentence
                await pilot.press(answer)
                await wait_until(pilot, lambda: not isinstance(app.screen, SpendConfirm), 5)
                if answer == "n":
                    await pilot.pause(0.3)
                    assert not strips(app) and not list((data_dir / "renders").glob("*.json"))
            await wait_until(pilot, lambda: strips(app), 60, "the preview strip")
            assert len(list((data_dir / "renders").glob("*.json"))) == 1


async def test_thumbnails_kept_are_the_latest_few_hundred(tmp_path: Path) -> None:
    """Browsing a big folder keeps the most recent thumbnails, not one per file ever shown."""
    from PIL import Image

    from artgen_tui.tui.widgets import thumbnail

    thumbnail._cache.clear()
    files = []
    for n in range(thumbnail.THUMBS_KEPT + 20):
        path = tmp_path / f"p{n}.png"
        Image.new("RGB", (4, 2), (n % 256, 40, 90)).save(path)
        files.append(path)
    for path in files:
        assert await thumbnail.thumbnail_text(path) is not None
    assert len(thumbnail._cache) == thumbnail.THUMBS_KEPT
    again = await thumbnail.thumbnail_text(files[-1])
    assert again is await thumbnail.thumbnail_text(files[-1])  # the latest is still kept


async def test_a_strip_is_drawn_once_per_width() -> None:
    """Redrawing a strip (the chat scrolls, a reply streams below it) reuses its cells: every
    redraw of thousands of fresh colours used to be kept by the style caches (issue 9)."""
    from PIL import Image
    from textual.app import App, ComposeResult

    frames = [Image.new("RGB", (32, 18), (40 * n, 90, 200 - 30 * n)) for n in range(5)]

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield HalfblockStrip(frames)

    app = Host()
    async with app.run_test(size=(100, 12)) as pilot:
        strip = app.query_one(HalfblockStrip)
        first = strip.render()
        assert strip.render() is first
        await pilot.resize_terminal(50, 12)
        await pilot.pause()
        narrower = strip.render()
        assert narrower is not first and narrower.cell_len < first.cell_len
        assert strip.render() is narrower
