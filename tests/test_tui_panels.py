"""The file picker, the timeline table and the jobs panel, each hosted in a tiny app."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Static

from artgen_tui import cli
from artgen_tui.api.files import MAX_UPLOAD_BYTES
from artgen_tui.api.models import Credits, SessionState
from artgen_tui.core import timeline, uploads
from artgen_tui.core.jobs import ExportJob
from artgen_tui.tui.demo import DRAFT
from artgen_tui.tui.open_actions import CopyPathRequested, OpenRequested
from artgen_tui.tui.screens.file_picker import (
    FilePickerScreen,
    SelectedList,
    UploadChoice,
    UploadTree,
)
from artgen_tui.tui.widgets.jobs_panel import EMPTY_TEXT as NO_JOBS_TEMPLATE
from artgen_tui.tui.widgets.jobs_panel import JobsPanel
from artgen_tui.tui.widgets.status_bar import SESSION_SHOWN_FROM, SHORT_CREDITS_BELOW, StatusBar
from artgen_tui.tui.widgets.timeline_table import CHANGED_MARK, EMPTY_TEXT, TimelineTable

NO_JOBS_TEXT = NO_JOBS_TEMPLATE.format(key="F6")

PICKER_SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _steady_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations and no blinking cursor: snapshots must not depend on timing."""
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], tries: int = 100) -> None:
    """Poll the UI until ``predicate`` holds (the directory tree loads in a worker)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("the UI never reached the expected state")


# --- file picker ------------------------------------------------------------------------------


@pytest.fixture
def media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fixed folder under a fake home, so the picker shows ``~/media`` and no tmp path."""
    monkeypatch.setenv("HOME", str(tmp_path))
    root = tmp_path / "media"
    (root / "clips").mkdir(parents=True)
    (root / "clips" / "intro.mp4").write_bytes(b"\0" * 2048)
    (root / "clip.mp4").write_bytes(b"\0" * 5000)
    (root / "photo.png").write_bytes(b"\0" * 300)
    (root / "song.mp3").write_bytes(b"\0" * 1200)
    (root / "notes.txt").write_text("not a video")
    (root / ".hidden.mp4").write_bytes(b"\0" * 10)
    with (root / "huge.mov").open("wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: no disk used
    return root


_UNSET = object()


class PickerHost(App[None]):
    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start
        self.result: object = _UNSET

    def on_mount(self) -> None:
        self.push_screen(FilePickerScreen(self.start), self._done)

    def _done(self, choice: UploadChoice | None) -> None:
        self.result = choice


def tree_of(app: App[Any]) -> UploadTree:
    return app.screen.query_one(UploadTree)


def names(app: App[Any]) -> list[str]:
    return [str(n.data.path.name) for n in tree_of(app).root.children if n.data is not None]


def message_text(app: App[Any]) -> str:
    return str(app.screen.query_one("#picker-message", Static).content)


async def loaded(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilePickerScreen))
    await wait_for(pilot, lambda: len(tree_of(pilot.app).root.children) > 0)


async def press_on(pilot: Pilot[Any], name: str, key: str) -> None:
    """Put the tree cursor on the entry called ``name`` and press ``key``."""
    tree = tree_of(pilot.app)
    node = next(n for n in tree.root.children if n.data is not None and n.data.path.name == name)
    tree.focus()
    tree.cursor_line = node.line
    await pilot.press(key)
    await pilot.pause()


async def type_path(pilot: Pilot[Any], selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_picker_lists_folders_and_accepted_files_only(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        assert names(app) == ["clips", "clip.mp4", "huge.mov", "photo.png", "song.mp3"]
        assert str(tree_of(app).root.label) == "~/media"


async def test_picker_multi_select_returns_chosen_paths(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await press_on(pilot, "clip.mp4", "space")
        await press_on(pilot, "song.mp3", "space")
        await press_on(pilot, "photo.png", "enter")  # enter adds
        await press_on(pilot, "song.mp3", "space")  # space again removes
        screen = app.screen
        assert isinstance(screen, FilePickerScreen)
        assert screen.selected == [media / "clip.mp4", media / "photo.png"]
        total = str(screen.query_one("#picker-total", Static).content)
        assert total == "2 files · 5.2 KB"
        assert await pilot.click("#picker-upload")
        await wait_for(pilot, lambda: app.result is not _UNSET)
    assert app.result == UploadChoice(paths=[media / "clip.mp4", media / "photo.png"], urls=[])


async def test_picker_and_cli_give_one_reason_for_an_unreadable_file_and_a_folder(
    media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One refusal rule (core.uploads): the picker shows the very sentence ``artgen upload``
    prints, for a file that cannot be read and for a chosen file that became a folder."""
    loop = media / "loop.mp4"
    loop.symlink_to(loop)  # stat fails with a system error (and does for root too)
    photo = media / "photo.png"
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await press_on(pilot, "loop.mp4", "space")
        shown_loop = message_text(app)
        await press_on(pilot, "photo.png", "space")
        photo.unlink()
        photo.mkdir()
        assert await pilot.click("#picker-upload")
        await pilot.pause()
        shown_folder = message_text(app)
        assert app.result is _UNSET
    for path, shown, words in (
        (loop, shown_loop, "cannot be read"),
        (photo, shown_folder, "is a folder"),
    ):
        reason = uploads.refusal(path)
        assert reason is not None and words in reason and path.name in reason
        assert shown == f"✗ {reason}"
        capsys.readouterr()
        code = cli.main(["upload", str(path), "--api-url", "http://127.0.0.1:9", "--no-json"])
        err = capsys.readouterr().err
        assert code == 1 and reason in err, err


async def test_picker_refuses_wrong_type_and_oversized_files(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await type_path(pilot, "#picker-root", "notes.txt")
        assert "notes.txt: .txt files can't be uploaded" in message_text(app)
        await press_on(pilot, "huge.mov", "space")
        assert (
            "huge.mov is 209,715,201 bytes, over the 209,715,200 bytes (200 MB) limit"
            in message_text(app)
        )
        await press_on(pilot, "huge.mov", "enter")
        assert "(200 MB) limit" in message_text(app)
        await type_path(pilot, "#picker-root", str(media / "huge.mov"))
        assert "(200 MB) limit" in message_text(app)
        await type_path(pilot, "#picker-root", "~/media/missing.mp4")
        assert "No file or folder at ~/media/missing.mp4" in message_text(app)
        screen = app.screen
        assert isinstance(screen, FilePickerScreen)
        assert screen.selected == []
        # Nothing valid chosen: Upload explains instead of closing.
        assert await pilot.click("#picker-upload")
        await pilot.pause()
        assert "Nothing to upload yet" in message_text(app)
        assert app.result is _UNSET
        # A file typed into the path field is checked and added like a picked one.
        await type_path(pilot, "#picker-root", "clip.mp4")
        assert await pilot.click("#picker-upload")
        await wait_for(pilot, lambda: app.result is not _UNSET)
    assert app.result == UploadChoice(paths=[media / "clip.mp4"], urls=[])


async def test_picker_delete_removes_from_the_selected_list(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await press_on(pilot, "clip.mp4", "space")
        await press_on(pilot, "song.mp3", "space")
        screen = app.screen
        assert isinstance(screen, FilePickerScreen)
        listing = screen.query_one(SelectedList)
        listing.focus()
        listing.highlighted = 0
        await pilot.press("delete")
        await pilot.pause()
        assert screen.selected == [media / "song.mp3"]
        assert listing.option_count == 1
        assert "Removed clip.mp4" in message_text(app)


async def test_picker_path_field_jumps_to_another_folder(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await type_path(pilot, "#picker-root", "clips")
        await wait_for(pilot, lambda: names(app) == ["intro.mp4"])
        assert app.screen.query_one("#picker-root", Input).value == "~/media/clips"
        assert str(tree_of(app).root.label) == "~/media/clips"


async def test_picker_url_entry_returns_the_url(media: Path) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await type_path(pilot, "#picker-url", "ftp://example.com/a.mp4")
        assert "is not a web address" in message_text(app)
        assert app.result is _UNSET
        await type_path(pilot, "#picker-url", "https://example.com/a.mp4")
        await wait_for(pilot, lambda: app.result is not _UNSET)
    assert app.result == UploadChoice(paths=[], urls=["https://example.com/a.mp4"])


@pytest.mark.parametrize("focus", ["#picker-tree", "#picker-url"])
async def test_picker_escape_cancels(media: Path, focus: str) -> None:
    app = PickerHost(media)
    async with app.run_test(size=PICKER_SIZE) as pilot:
        await loaded(pilot)
        await press_on(pilot, "clip.mp4", "space")
        app.screen.query_one(focus).focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.result is not _UNSET)
    assert app.result is None


def test_snapshot_picker_refuses_file(snap_compare: Any, media: Path) -> None:
    """A selected clip, and notes.txt typed into the path field, refused with the reason."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await press_on(pilot, "clip.mp4", "space")
        await press_on(pilot, "huge.mov", "space")
        await type_path(pilot, "#picker-root", "notes.txt")

    assert snap_compare(PickerHost(media), terminal_size=PICKER_SIZE, run_before=run_before)


# --- timeline table ---------------------------------------------------------------------------


def state_of(draft: dict[str, Any] | None, **canvas: Any) -> SessionState:
    return SessionState.model_validate(
        {"session_id": "s1", "state": {"draft": draft, "canvas_config": canvas}}
    )


def edited() -> dict[str, Any]:
    """The draft after an edit: quieter music and a longer title."""
    draft = copy.deepcopy(DRAFT)
    draft["t"][1]["sg"][0]["volume"] = 0.3
    draft["t"][2]["sg"][0]["duration_ms"] = 4000
    return draft


class TableHost(App[None]):
    def compose(self) -> ComposeResult:
        yield TimelineTable()


def marked_keys(table: TimelineTable) -> set[str]:
    return {
        key for key in table.row_keys if str(table.get_cell(key, "type")).startswith(CHANGED_MARK)
    }


async def test_timeline_highlights_only_changed_rows() -> None:
    app = TableHost()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(TimelineTable)
        table.show_state(state_of(DRAFT))
        await pilot.pause()
        assert table.row_keys == ["seg:seg_1a2b", "seg:seg_7a8b", "seg:seg_9c0d"]
        assert marked_keys(table) == set() and table.changed_keys == frozenset()
        assert str(table.get_cell("seg:seg_7a8b", "volume")) == "60%"
        assert table.caption == "3 segments · 10 s · 16:9 1920×1080 24 fps"

        table.show_state(state_of(edited()), timeline.diff(state_of(DRAFT), state_of(edited())))
        await pilot.pause()
        assert table.changed_keys == {"seg:seg_7a8b", "seg:seg_9c0d"}
        assert marked_keys(table) == {"seg:seg_7a8b", "seg:seg_9c0d"}
        assert str(table.get_cell("seg:seg_7a8b", "volume")) == "30%"
        assert str(table.get_cell("seg:seg_9c0d", "end")) == "4s"

        # The same state again: the highlight is gone.
        table.show_state(state_of(edited()), timeline.diff(state_of(edited()), state_of(edited())))
        await pilot.pause()
        assert marked_keys(table) == set()


async def test_timeline_updates_cells_in_place_and_rebuilds_on_new_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = TableHost()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(TimelineTable)
        table.show_state(state_of(DRAFT))
        await pilot.pause()
        table.move_cursor(row=2)
        clears: list[bool] = []
        original_clear = table.clear

        def counting_clear(columns: bool = False) -> TimelineTable:
            clears.append(columns)
            return original_clear(columns)

        monkeypatch.setattr(table, "clear", counting_clear)
        table.show_state(state_of(edited()))
        assert clears == []  # same rows: cells updated in place

        grown = edited()
        grown["t"][0]["sg"].insert(
            0, {"id": "seg_new", "kind": "image", "start_ms": 0, "duration_ms": 2000}
        )
        old, new = state_of(edited()), state_of(grown)
        table.show_state(new, timeline.diff(old, new))
        await pilot.pause()
        assert clears == [False]
        assert table.row_keys[0] == "seg:seg_new"
        assert table.changed_keys == {"seg:seg_new"}
        assert marked_keys(table) == {"seg:seg_new"}
        # The cursor follows its row (the title), not its old position.
        assert table.row_keys[table.cursor_row] == "seg:seg_9c0d"


async def test_timeline_empty_state_and_malformed_segments() -> None:
    app = TableHost()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(TimelineTable)
        table.show_state(state_of(None))
        await pilot.pause()
        assert table.row_count == 0
        assert table.caption == "empty"
        assert EMPTY_TEXT in table.render_line(2).text

        weird = {
            "d": None,
            "t": [
                {"tt": 99, "sg": [{"start_ms": "abc", "duration_ms": None, "volume": "loud"}]},
                {"tt": 7, "sg": [{"id": 5, "text": {"nested": True}, "end": -3}, "junk", None]},
                "not a track",
                {"tt": 1, "sg": "nope"},
            ],
        }
        table.show_state(state_of(weird, width="wide"))
        await pilot.pause()
        assert table.row_count == 2
        assert EMPTY_TEXT not in table.render_line(2).text
        table.show_state(state_of(DRAFT))
        await pilot.pause()
        assert table.row_count == 3


async def test_timeline_fits_labels_to_the_width() -> None:
    app = TableHost()
    async with app.run_test(size=(62, 12)) as pilot:
        table = app.query_one(TimelineTable)
        table.show_state(state_of(DRAFT))
        await pilot.pause()
        label = str(table.get_cell("seg:seg_1a2b", "label"))
        assert label.startswith("futuristic") and label.endswith("…")
        assert table.max_scroll_x == 0
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        assert str(table.get_cell("seg:seg_1a2b", "label")) == "futuristic city at sunset"
        assert table.max_scroll_x == 0


def test_snapshot_timeline_changed_rows(snap_compare: Any) -> None:
    """After an edit the music and title rows carry the ● marker in the accent colour."""

    async def run_before(pilot: Pilot[Any]) -> None:
        table = pilot.app.query_one(TimelineTable)
        table.show_state(state_of(DRAFT))
        table.show_state(state_of(edited()), timeline.diff(state_of(DRAFT), state_of(edited())))
        table.move_cursor(row=0)
        await pilot.pause()

    assert snap_compare(TableHost(), terminal_size=(62, 9), run_before=run_before)


# --- jobs panel -------------------------------------------------------------------------------

NOW = 1_800_000_000.0


def job(job_id: str, status: str, **kw: Any) -> ExportJob:
    base: dict[str, Any] = {"session_id": "s1", "created_at": NOW - 42, "updated_at": NOW - 1}
    base.update(kw)
    return ExportJob(id=job_id, status=status, **base)  # type: ignore[arg-type]


class JobsHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield JobsPanel(clock=lambda: NOW)
        yield Footer()

    @on(JobsPanel.CopyUrlRequested)
    @on(JobsPanel.CancelRequested)
    @on(JobsPanel.RetryRequested)
    def _record(self, message: Message) -> None:
        self.requests.append(message)

    @on(OpenRequested)
    @on(CopyPathRequested)
    def _record_path(self, message: Message) -> None:
        self.requests.append(message)


def sample_jobs() -> list[ExportJob]:
    return [
        job("render_7f3a9c2e1b", "processing", progress=40),
        job(
            "render_58d2aa",
            "downloading",
            progress=100,
            created_at=NOW - 75,
            output_url="http://127.0.0.1:8765/renders/render_58d2aa.mp4",
            download_bytes=4 * 1024 * 1024,
            download_total=8 * 1024 * 1024,
        ),
        job(
            "render_0c41d9",
            "downloaded",
            progress=100,
            created_at=NOW - 200,
            updated_at=NOW - 130,
            output_url="http://127.0.0.1:8765/renders/render_0c41d9.mp4",
            path="/videos/urban-dreams-render_0c41d9.mp4",
        ),
    ]


async def _open_jobs(pilot: Pilot[Any], jobs: list[ExportJob]) -> JobsPanel:
    panel = pilot.app.query_one(JobsPanel)
    for item in jobs:
        panel.upsert(item)
    panel.focus()
    await pilot.pause()
    return panel


async def test_jobs_panel_empty_state_then_rows() -> None:
    app = JobsHost()
    async with app.run_test(size=(100, 14)) as pilot:
        panel = app.query_one(JobsPanel)
        empty = panel.query_one("#jobs-empty", Static)
        assert empty.display and str(empty.content) == NO_JOBS_TEXT
        running = job("render_1", "processing", progress=10)
        panel.upsert(running)
        await pilot.pause()
        assert not empty.display and panel.table.row_count == 1
        first, second = panel.row_text("render_1").split("\n")
        assert first.split() == ["1", "rendering", "━━──────────────────", "10%", "0:42"]
        assert second.strip() == "rendering the video…"
        # The panel keeps its own copy: a caller's later mutation shows only after upsert.
        running.progress = 70
        running.title = "Urban Dreams"
        assert "10%" in panel.row_text("render_1")
        panel.upsert(running)
        assert "70%" in panel.row_text("render_1")
        assert "Urban Dreams" in panel.row_text("render_1")
        assert panel.table.row_count == 1


async def test_jobs_panel_keys_post_requests_for_the_focused_job() -> None:
    app = JobsHost()
    async with app.run_test(size=(100, 14)) as pilot:
        jobs = [*sample_jobs(), job("render_bad", "download_failed", error="link expired")]
        panel = await _open_jobs(pilot, jobs)
        table = panel.table
        assert table.has_focus

        def requested() -> list[tuple[str, str]]:
            return [
                (type(m).__name__, getattr(m, "job_id", "") or str(getattr(m, "path", "")))
                for m in app.requests
            ]

        table.move_cursor(row=0)  # rendering, no URL yet: only cancel applies
        await pilot.press("c", "r", "x")
        await pilot.pause()
        assert requested() == [("CancelRequested", "render_7f3a9c2e1b")]

        app.requests.clear()
        table.move_cursor(row=2)  # saved: open, reveal, copy its path (no cancel)
        saved = panel.jobs[2].path
        await pilot.press("x", "o", "r", "c")
        await pilot.pause()
        assert requested() == [
            ("OpenRequested", saved),
            ("OpenRequested", saved),
            ("CopyPathRequested", saved),
        ]
        assert [getattr(m, "reveal", None) for m in app.requests[:2]] == [False, True]

        app.requests.clear()
        table.move_cursor(row=3)  # download failed: retry
        await pilot.press("c", "x", "r")
        await pilot.pause()
        assert requested() == [("RetryRequested", "render_bad")]


def test_snapshot_jobs_panel(snap_compare: Any) -> None:
    """A render at 40 %, a download at 50 %, a saved file and a failed download, at the width
    of the main screen's side pane; the footer shows the keys for the focused (rendering) job."""

    async def run_before(pilot: Pilot[Any]) -> None:
        failed = job("render_e91b07", "download_failed", progress=100, error="link expired")
        panel = await _open_jobs(pilot, [*sample_jobs(), failed])
        panel.table.move_cursor(row=0)
        await pilot.pause()

    assert snap_compare(JobsHost(), terminal_size=(62, 12), run_before=run_before)


async def test_jobs_panel_clips_long_paths_to_fit() -> None:
    app = JobsHost()
    async with app.run_test(size=(44, 12)) as pilot:
        panel = await _open_jobs(pilot, sample_jobs())
        await pilot.pause()
        first, second = panel.row_text("render_0c41d9").split("\n")
        assert first.split() == ["0c41d9", "✓", "saved", "100%", "1:10"]
        assert second.strip().startswith("→ …") and second.strip().endswith("0c41d9.mp4")
        assert panel.table.max_scroll_x == 0
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        assert "→ /videos/urban-dreams-render_0c41d9.mp4" in panel.row_text("render_0c41d9")
        assert panel.table.max_scroll_x == 0


async def test_timeline_state_given_before_mount_and_theme_change() -> None:
    class EarlyHost(App[None]):
        def compose(self) -> ComposeResult:
            table = TimelineTable()
            table.show_state(state_of(DRAFT))
            yield table

    app = EarlyHost()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(TimelineTable)
        await pilot.pause()
        assert table.row_count == 3
        table.show_state(state_of(edited()), timeline.diff(state_of(DRAFT), state_of(edited())))
        await pilot.pause()
        before = table.get_cell("seg:seg_7a8b", "label").spans
        app.theme = "nord"
        await pilot.pause()
        after = table.get_cell("seg:seg_7a8b", "label").spans
        assert before and after and before != after
        assert marked_keys(table) == {"seg:seg_7a8b", "seg:seg_9c0d"}


async def test_jobs_panel_recolours_on_theme_change() -> None:
    app = JobsHost()
    async with app.run_test(size=(100, 14)) as pilot:
        panel = await _open_jobs(pilot, sample_jobs())
        before = panel.table.get_cell("render_0c41d9", "job").spans
        app.theme = "gruvbox"
        await pilot.pause()
        await pilot.pause()
        after = panel.table.get_cell("render_0c41d9", "job").spans
        assert before != after


async def test_jobs_panel_elapsed_follows_the_injected_clock() -> None:
    now = [NOW]

    class ClockHost(App[None]):
        def compose(self) -> ComposeResult:
            yield JobsPanel(clock=lambda: now[0])

    app = ClockHost()
    async with app.run_test(size=(62, 12)) as pilot:
        panel = await _open_jobs(pilot, sample_jobs())
        assert panel.row_text("render_7f3a9c2e1b").split("\n")[0].endswith("0:42")
        now[0] += 60
        panel.refresh_elapsed()
        await pilot.pause()
        assert panel.row_text("render_7f3a9c2e1b").split("\n")[0].endswith("1:42")
        # A finished job keeps the time it took.
        assert panel.row_text("render_0c41d9").split("\n")[0].endswith("1:10")


async def test_tables_that_change_all_the_time_keep_few_renders() -> None:
    """Each progress tick bumps the table's update count, the key of its render caches: a long
    export drawn tick by tick must not keep every tick's rows, lines and cells."""
    from textual.geometry import Region

    from artgen_tui.tui.widgets.table_caches import CELLS_KEPT, LINES_KEPT, ROWS_KEPT

    app = JobsHost()
    async with app.run_test(size=(100, 14)) as pilot:
        panel = app.query_one(JobsPanel)
        panel.upsert(job("render_1", "processing", progress=0))
        await pilot.pause()
        table = panel.table
        for tick in range(1, ROWS_KEPT + 72):
            panel.upsert(job("render_1", "processing", progress=tick % 100))
            table.render_lines(Region(0, 0, table.size.width, table.size.height))  # a frame
        assert len(table._row_render_cache) == ROWS_KEPT  # each tick was drawn anew
        assert len(table._row_renderable_cache) <= ROWS_KEPT
        assert len(table._line_cache) <= LINES_KEPT
        assert len(table._cell_render_cache) <= CELLS_KEPT
        await pilot.pause()
        assert f"{(ROWS_KEPT + 71) % 100}%" in panel.row_text("render_1")


class StatusHost(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar(lambda: 0.0, id="status")


@pytest.mark.parametrize(
    ("width", "credits", "session"),
    [
        (120, "credits 390 available · 10 frozen · 400 total", True),
        (SHORT_CREDITS_BELOW, "credits 390 available · 10 frozen · 400 total", True),
        (SHORT_CREDITS_BELOW - 1, "credits 390 available", True),
        (SESSION_SHOWN_FROM - 1, "credits 390 available", False),
    ],
)
async def test_status_bar_keeps_the_connection_state_in_sight_when_narrow(
    width: int, credits: str, session: bool
) -> None:
    """The balance shortens (its whole sentence becomes its tooltip) and the session goes before
    the connection state is squeezed out; resizing back brings them back."""
    app = StatusHost()
    async with app.run_test(size=(width, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_connection("ready", "Ready")
        bar.set_session("a calm ocean at dawn", "86757666")
        bar.set_credits(Credits(available=390, frozen=10, total=400), 50)
        await pilot.pause()
        connection = bar.query_one("#status-connection")
        assert connection.size.width >= len("● Ready")
        assert str(bar.query_one("#status-credits", Static).render()) == credits
        shortened = credits.endswith("available")
        assert bar.query_one("#status-credits").tooltip == (
            "Credits: 390 available · 10 frozen · 400 total" if shortened else None
        )
        assert bar.query_one("#status-session").display is session
        await pilot.resize_terminal(120, 3)
        await pilot.pause()
        assert str(bar.query_one("#status-credits", Static).render()).endswith("400 total")
        assert bar.query_one("#status-session").display
