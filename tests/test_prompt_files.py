"""Files from the prompt: pasted or dragged paths, ``upload PATH…``, and per-file outcomes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from PIL import Image
from textual import events
from textual.message import Message
from tui_helpers import local_backend, make_app, notices, wait_until

from artgen_tui.config import load_settings
from artgen_tui.core import uploads
from artgen_tui.core.intents import route
from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.widgets.timeline_table import TimelineTable

SIZE = (120, 40)


@pytest.mark.parametrize(
    ("text", "args", "offer"),
    [
        ("/tmp/a.png", ["/tmp/a.png"], True),
        ("'/tmp/my photo.png'", ["/tmp/my photo.png"], True),
        ('"/tmp/my photo.png" /tmp/b.mp4', ["/tmp/my photo.png", "/tmp/b.mp4"], True),
        ("/tmp/my\\ photo.png", ["/tmp/my photo.png"], True),
        ("file:///tmp/my%20clip.mp4", ["/tmp/my clip.mp4"], True),
        ("~/Movies/clip.mov", ["~/Movies/clip.mov"], True),
        ('/upload "my photo.png"', ["my photo.png"], False),
        ("upload a.mp4 b.wav", ["a.mp4", "b.wav"], False),
        ("Upload 'my clip.mp4'", ["my clip.mp4"], False),
        ("上传 a.mp4 b.wav", ["a.mp4", "b.wav"], False),
        ("上传a.mp4", ["a.mp4"], False),
        ("upload https://example.com/a.mp4", ["https://example.com/a.mp4"], False),
    ],
)
def test_paths_and_upload_words_are_uploads(text: str, args: list[str], offer: bool) -> None:
    intent = route(text)
    assert (intent.kind, intent.args, intent.offer) == ("upload", args, offer)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/export", "export"),
        ("/bench-stream 5", "chat"),
        ("/nope", "help"),
        ("upload a photo of a cat", "chat"),
        ("upload", "upload"),
        ("make ~/x.png brighter", "chat"),
        ("a city at /night", "chat"),
    ],
)
def test_commands_and_prose_are_not_paths(text: str, kind: str) -> None:
    intent = route(text)
    assert intent.kind == kind and not intent.offer and (kind != "upload" or not intent.args)


def test_an_unquoted_pasted_path_with_spaces_is_an_upload_offer(tmp_path: Path) -> None:
    photo, song, clip = _images(tmp_path / "x", ["my photo.png", "a b c.png", "clip.png"])
    cases = [
        (str(photo), [photo]),
        (f"  {photo} \n", [photo]),
        (f"{photo} {song} {clip}", [photo, song, clip]),
        (f"{photo}\n{song}", [photo, song]),
        (f"upload {photo} {clip}", [photo, clip]),
    ]
    for text, files in cases:
        intent = route(text)
        assert intent.kind == "upload" and intent.args == [str(f) for f in files], text
        assert intent.offer == (not text.startswith("upload")), text
    missing = route(f"{tmp_path}/x/no such.png")
    assert (missing.kind, missing.error) == (
        "help",
        f"No file {tmp_path}/x/no such.png here; nothing was sent.",
    )
    assert route(f"{photo} and more words").kind != "upload"
    (tmp_path / "my folder").mkdir()
    assert route(str(tmp_path / "my folder")).kind != "upload", "a folder is not a file"


def _images(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        Image.new("RGB", (64, 48), (40 * i, 90, 200)).save(path, format="PNG")
        paths.append(path)
    return paths


async def test_a_batch_with_a_bad_file_uploads_the_others_and_reports_each(
    tmp_path: Path,
) -> None:
    one, two, three = _images(tmp_path / "in", ["one.png", "two.png", "three.png"])
    bad = tmp_path / "in" / "notes.txt"
    bad.write_text("not media")
    with local_backend(tmp_path / "backend") as url:
        async with Workspace(load_settings(api_url=url)) as ws:
            await ws.ready()
            outcome = await uploads.upload_each(ws, [one, bad, two, three, two])
    assert [(r.name, r.status) for r in outcome.results] == [
        ("one.png", "done"),
        ("notes.txt", "refused"),
        ("two.png", "done"),
        ("three.png", "done"),
        ("two.png", "skipped"),
    ]
    assert outcome.refused[0].reason and outcome.results[-1].reason == "listed twice"
    assert outcome.state is not None and len(outcome.state.state.video_infos) == 3
    assert outcome.sentence().startswith("Uploaded 3 of 5.")
    assert "  notes.txt: refused (" in outcome.sentence()


async def test_pasting_a_quoted_path_with_spaces_offers_and_uploads_it(tmp_path: Path) -> None:
    (photo,) = _images(tmp_path / "drop", ["my photo.png"])
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            app.prompt.focus()
            app.prompt.post_message(events.Paste(shlex.quote(str(photo))))
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await wait_until(
                pilot, lambda: any("my photo.png" in n for n in notices(app)), 30, "the upload"
            )
            assert not any(n.startswith("Unknown command") for n in notices(app))
            assert any(n.startswith("Uploaded my photo.png.") for n in notices(app))
            assert app.timeline.row_count == 1


async def test_pasting_an_unquoted_path_with_spaces_offers_and_uploads_it(
    tmp_path: Path,
) -> None:
    (photo,) = _images(tmp_path / "drop", ["my holiday photo.png"])
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            app.prompt.focus()
            app.prompt.post_message(events.Paste(str(photo)))
            await pilot.pause()
            assert app.prompt.value == str(photo)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await wait_until(
                pilot, lambda: any("my holiday photo.png" in n for n in notices(app)), 30, "upload"
            )
            assert not any(n.startswith("Unknown command") for n in notices(app))
            assert any(n.startswith("Uploaded my holiday photo.png.") for n in notices(app))
            assert app.timeline.row_count == 1


async def test_four_files_from_the_prompt_one_bad_three_uploaded_four_outcomes(
    tmp_path: Path,
) -> None:
    paths = _images(tmp_path / "in", ["a.png", "b c.png", "d.png"])
    bad = tmp_path / "in" / "broken.txt"
    bad.write_text("x")
    items = [paths[0], bad, *paths[1:]]
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        shown: list[Message] = []
        async with app.run_test(size=SIZE, message_hook=shown.append) as pilot:
            await wait_until(pilot, lambda: app.ready, 30, "connect")
            await pilot.pause(0.3)
            shown.clear()
            await app.submit("upload " + " ".join(shlex.quote(str(p)) for p in items))
            await wait_until(
                pilot, lambda: any(n.startswith("Uploaded 3 of 4.") for n in notices(app)), 30
            )
            await pilot.pause(0.2)
            report = next(n for n in notices(app) if n.startswith("Uploaded 3 of 4."))
            lines = report.splitlines()[1:]
            assert [line.split(":")[0].strip() for line in lines] == [
                "a.png",
                "broken.txt",
                "b c.png",
                "d.png",
            ]
            assert "broken.txt: refused (" in report
            assert app.timeline.row_count == 3
            timeline_draws = {id(m) for m in shown if isinstance(m, TimelineTable.Shown)}
            assert len(timeline_draws) == 1, "the timeline is refreshed once, at the end"
