"""One video per file from the picker: instructions, the batch priced as a whole, then a live
table fed by the real BatchRunner against the local backend; the picker's thumbnails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual.widgets import DataTable, Input, Static
from tui_helpers import local_backend, make_app, settings_for, wait_ready, wait_until

from artgen_tui.core import termimage
from artgen_tui.tui.screens.batch import BatchScreen, BatchSetup
from artgen_tui.tui.screens.file_picker import FilePickerScreen, UploadTree
from artgen_tui.tui.screens.spend_confirm import SpendConfirm


@pytest.fixture
def pictures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.new("RGB", (64, 36), (220, 30, 30)).save(folder / "red.png")
    Image.new("RGB", (64, 36), (30, 40, 220)).save(folder / "blue.png")
    monkeypatch.chdir(folder)
    return folder


async def open_picker(pilot: Any, app: Any) -> FilePickerScreen:
    app.action_upload()
    await wait_until(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5, "the picker")
    screen = app.screen
    await wait_until(pilot, lambda: screen.query(UploadTree), 5, "the tree")
    tree = screen.query_one(UploadTree)
    await wait_until(pilot, lambda: len(tree.root.children) >= 2, 5, "the files")
    return screen  # type: ignore[no-any-return]


def cells(screen: BatchScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.slow
async def test_one_video_per_file_runs_a_priced_batch_with_a_live_table(
    tmp_path: Path, pictures: Path
) -> None:
    out = tmp_path / "videos"
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url, settings=settings_for(url, output_dir=out))
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot, app)
            picker = await open_picker(pilot, app)
            picker.add_path(pictures / "blue.png")
            picker.add_path(pictures / "red.png")
            picker.action_one_video_per_file()
            await wait_until(pilot, lambda: isinstance(app.screen, BatchSetup), 5, "the setup")
            setup = app.screen
            setup.query_one("#batch-shared", Input).value = 'add title "Hello"'
            setup.query_one("#batch-item-1", Input).value = "add music"
            setup.action_run()
            await wait_until(pilot, lambda: isinstance(app.screen, BatchScreen), 5, "the batch")
            screen = app.screen
            assert isinstance(screen, BatchScreen)
            await wait_until(pilot, lambda: screen.estimate is not None, 10, "the estimate")
            assert screen.estimate is not None
            assert screen.estimate.what == "batch of 2 items"
            assert screen.estimate.credits == 2 * 10  # two edits; exports are free here
            await wait_until(pilot, lambda: screen.summary is not None, 120, "the batch to end")
            rows = cells(screen)
            assert [r[0] for r in rows] == ["blue.png", "red.png"]
            assert all(r[1] == "done" and r[2] == "100%" for r in rows), rows
            assert all(Path(r[4]).is_file() and Path(r[4]).parent == out for r in rows)
            summary = str(screen.query_one("#batch-summary", Static).render())
            assert summary.startswith("2 of 2 done")
            prompts = [line for line in screen.batch_path.read_text().splitlines()]
            assert 'add title \\"Hello\\"' in prompts[0] and "add music" in prompts[1]


async def test_a_batch_over_the_limit_asks_and_no_runs_nothing(
    tmp_path: Path, pictures: Path
) -> None:
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url, settings=settings_for(url, spend={"limit": 5}))
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot, app)
            picker = await open_picker(pilot, app)
            picker.add_path(pictures / "red.png")
            picker.action_one_video_per_file()
            await wait_until(pilot, lambda: isinstance(app.screen, BatchSetup), 5, "the setup")
            setup = app.screen
            setup.action_run()
            assert "has no instruction" in str(setup.query_one("#batch-setup-message").render())
            setup.query_one("#batch-shared", Input).value = "add music"
            setup.action_run()
            await wait_until(pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "question")
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, BatchScreen), 5, "the table")
            screen = app.screen
            assert isinstance(screen, BatchScreen)
            await wait_until(
                pilot,
                lambda: "Not run" in str(screen.query_one("#batch-summary", Static).render()),
                5,
            )
            assert [r[1] for r in cells(screen)] == ["waiting"]


@pytest.mark.slow
async def test_failed_items_are_listed_with_their_reason_and_retried_alone(
    tmp_path: Path, pictures: Path
) -> None:
    """The first render fails (the backend's fail_render fault): the summary names the item and
    why, and the retry key (remapped here, so its name must come from the live bindings) runs
    that item alone, priced first, to done; nothing else is uploaded or rendered again."""
    import json

    from artgen_tui.tui.keys import key_display

    data_dir = tmp_path / "backend"

    def renders() -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted((data_dir / "renders").glob("*.json"))]

    def summary_text(screen: BatchScreen) -> str:
        return str(screen.query_one("#batch-summary", Static).render())

    with local_backend(data_dir, faults="fail_render=1") as url:
        settings = settings_for(
            url,
            output_dir=tmp_path / "videos",
            batch={"concurrency": 1},
            keymap={"batch.retry_failed": "f9"},
        )
        app = make_app(url, settings=settings)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot, app)
            picker = await open_picker(pilot, app)
            picker.add_path(pictures / "blue.png")
            picker.add_path(pictures / "red.png")
            picker.action_one_video_per_file()
            await wait_until(pilot, lambda: isinstance(app.screen, BatchSetup), 5, "the setup")
            app.screen.query_one("#batch-shared", Input).value = "add music"
            app.screen.action_run()
            await wait_until(pilot, lambda: isinstance(app.screen, BatchScreen), 5, "the batch")
            screen = app.screen
            assert isinstance(screen, BatchScreen)
            assert not screen.check_action("retry_failed", ())  # nothing failed yet
            await wait_until(pilot, lambda: screen.summary is not None, 120, "the batch to end")
            assert [r[1].split(":")[0] for r in cells(screen)] == ["failed", "done"]
            text = summary_text(screen)
            assert text.startswith("1 of 2 done")
            assert "[1] blue.png failed: export" in text and "fail_render" in text
            assert f"Press {key_display('f9')} to run it again alone" in text
            assert screen.check_action("retry_failed", ())
            (failed,) = [r for r in renders() if r["status"] == "failed"]
            before = {r["id"] for r in renders()}
            uploads = len([p for p in (data_dir / "files").rglob("*") if p.is_file()])

            await pilot.press("f9")
            await wait_until(
                pilot,
                lambda: summary_text(screen).startswith("2 of 2 done"),
                120,
                "the retry to end",
            )
            assert screen.estimate is not None
            assert screen.estimate.what == "retry of 1 failed item"
            assert [r[1] for r in cells(screen)] == ["done", "done"]
            assert all(Path(r[4]).is_file() for r in cells(screen))
            (new,) = [r for r in renders() if r["id"] not in before]
            assert new["session_id"] == failed["session_id"]  # the failed item, alone
            assert len([p for p in (data_dir / "files").rglob("*") if p.is_file()]) == uploads
            assert "Press" not in summary_text(screen)
            assert not screen.check_action("retry_failed", ())


async def test_picker_shows_a_thumbnail_of_an_image(tmp_path: Path, pictures: Path) -> None:
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot, app)
            picker = await open_picker(pilot, app)
            tree = picker.query_one(UploadTree)
            node = next(n for n in tree.root.children if n.data and n.data.path.name == "red.png")
            tree.focus()
            tree.cursor_line = node.line
            thumb = picker.query_one("#picker-thumb", Static)
            await wait_until(pilot, lambda: thumb.display, 10, "the thumbnail")
            rendered = thumb.render()
            assert termimage.UPPER_HALF in str(rendered)


def test_snapshot_batch_screen(snap_compare: Any) -> None:
    """Batch: the estimate line (40 credits, 400 available) over a table of four items —
    done with its output path, exporting at 40 %, uploading at 75 %, waiting."""
    import textual.constants

    from artgen_tui.tui.demo import demo_app
    from artgen_tui.tui.demo_media import MEDIA_SCENES

    scene, size = MEDIA_SCENES["batch"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
        assert snap_compare(demo_app(), terminal_size=size, run_before=scene)
