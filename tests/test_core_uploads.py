"""Upload validation and streamed uploads with progress against a real local backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from artgen_tui.config import load_settings
from artgen_tui.core import uploads
from artgen_tui.core.workspace import Workspace


def test_validate_accepts_media_and_reports_kind_and_size(tmp_path: Path) -> None:
    photo = tmp_path / "Photo.JPG"
    photo.write_bytes(b"\xff\xd8" + b"0" * 2046)
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3" + b"0" * 100)
    items = uploads.validate([photo, str(song)])
    assert [(i.path.name, i.kind, i.size) for i in items] == [
        ("Photo.JPG", "image", 2048),
        ("song.mp3", "audio", 103),
    ]
    assert items[0].size_text == "2.0 KB"


def test_validate_refuses_the_whole_batch_naming_every_problem(tmp_path: Path) -> None:
    good = tmp_path / "clip.mp4"
    good.write_bytes(b"0")
    text = tmp_path / "notes.txt"
    text.write_text("x")
    folder = tmp_path / "shots.png"
    folder.mkdir()
    big = tmp_path / "huge.mov"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024 + 1)  # sparse: no real disk use
    with pytest.raises(uploads.UploadRefused) as info:
        uploads.validate([good, text, tmp_path / "gone.webm", folder, big])
    problems = info.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("notes.txt: .txt files can't be uploaded. Use MP4")
    assert "gone.webm" in problems[1]
    assert "folder" in problems[2]
    assert "huge.mov" in problems[3] and "200 MB" in problems[3]
    assert "Nothing was uploaded" in info.value.user_text()
    assert not info.value.transient


def test_one_refusal_rule_names_the_file_for_every_unusable_path(tmp_path: Path) -> None:
    """A system error (a symlink loop) reads like the rules' own refusals, and validate says
    exactly what refusal says."""
    loop = tmp_path / "loop.mp4"
    loop.symlink_to(loop)
    folder = tmp_path / "shots.png"
    folder.mkdir()
    cases = {
        loop: f"{loop}: cannot be read (too many levels of symbolic links).",
        folder: f"{folder}: is a folder; pick files inside it.",
        tmp_path / "gone.webm": f"{tmp_path / 'gone.webm'}: no such file.",
        "ftp://example.com/a.mp4": "ftp://example.com/a.mp4: only http(s) URLs can be uploaded.",
    }
    for item, reason in cases.items():
        assert uploads.refusal(item) == reason
        with pytest.raises(uploads.UploadRefused) as info:
            uploads.validate([item])
        assert info.value.problems == [reason]
    good = tmp_path / "clip.mp4"
    good.write_bytes(b"0")
    assert uploads.refusal(good) is None
    checked = uploads.check_file(str(good))
    assert isinstance(checked, uploads.ValidatedFile) and checked.size == 1


async def test_upload_streams_with_progress_and_refreshes_state(
    local_backend: str, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    Image.effect_noise((400, 300), 80).convert("RGB").save(photo)
    seen: list[uploads.UploadProgress] = []
    async with Workspace(load_settings(api_url=local_backend)) as ws:
        await ws.ready()
        outcome = await uploads.upload(ws, [photo], seen.append)
        assert ws.last_state is outcome.state
    assert [f.filename for f in outcome.files] == ["photo.png"]
    assert outcome.files[0].width == 400 and outcome.files[0].height == 300
    size = photo.stat().st_size
    assert seen[0].done_bytes == 0 and seen[-1].done_bytes == seen[-1].total_bytes
    assert seen[-1].fraction == 1.0
    assert all(p.name == "photo.png" and p.count == 1 for p in seen)
    done = [p.done_bytes for p in seen]
    assert done == sorted(done)
    assert seen[-1].total_bytes is not None and seen[-1].total_bytes >= size
    assert outcome.state is not None and len(outcome.state.state.video_infos) == 1
    assert outcome.sentence().startswith("Uploaded photo.png.")


async def test_upload_refuses_before_sending_anything(local_backend: str, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(photo)
    async with Workspace(load_settings(api_url=local_backend)) as ws:
        await ws.ready()
        with pytest.raises(uploads.UploadRefused):
            await uploads.upload(ws, [photo, tmp_path / "missing.png"])
        state = await ws.state()
        assert state.state.video_infos == []
        with pytest.raises(uploads.UploadRefused):
            await uploads.upload(ws, [])
