"""``artgen batch``: the file check, and real batches against a local backend over loopback."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from local_http import backend
from PIL import Image

from artgen_tui import cli
from artgen_tui.core import sidecar
from artgen_tui.core.batch_file import BatchFileError, load_batch

RED, BLUE, GREEN = (230, 20, 20), (20, 20, 230), (20, 200, 20)


def png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (96, 64), colour).save(path)
    return path


def mp4(path: Path, colour: tuple[int, int, int], frames: int = 18, fps: int = 12) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        pixels = np.full((64, 96, 3), colour, np.uint8)
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def media(tmp_path: Path) -> Path:
    """Two images and a clip with different instructions; returns the JSON-lines batch file."""
    folder = tmp_path / "media"
    folder.mkdir()
    png(folder / "red.png", RED)
    png(folder / "blue.png", BLUE)
    mp4(folder / "green.mp4", GREEN)
    lines = [
        {"file": "red.png", "prompt": 'add title "Red"', "output": "red.mp4"},
        {"file": "blue.png", "prompt": "add music", "output": "blue.mp4"},
        {"file": "green.mp4", "prompt": 'add title "Green"', "output": "green.mp4"},
    ]
    batch = folder / "items.jsonl"
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return batch


def run_batch(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMO_API_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "artgen_tui", "batch", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def summary(stdout: str) -> dict[str, Any]:
    (last,) = [e for e in events(stdout) if e["type"] == "summary"]
    return last


def renders(data_dir: Path) -> list[dict[str, Any]]:
    """Every render job the backend has accepted (it keeps one JSON file per render)."""
    return [json.loads(p.read_text()) for p in sorted((data_dir / "renders").glob("*.json"))]


def uploads(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "files").rglob("*") if p.is_file()]


def dominant(path: Path) -> tuple[str, float]:
    """The strongest colour channel of the middle frame, and the video's duration (s)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        duration = len(frames) / float(stream.average_rate or 1)
    mean = frames[len(frames) // 2].reshape(-1, 3).mean(axis=0)
    return "RGB"[int(np.argmax(mean))], duration


def check_outputs(out_dir: Path) -> None:
    """Each MP4 holds its own item only: its colour, and its length (images 4 s, the clip 1.5 s)."""
    red, blue, green = (dominant(out_dir / n) for n in ("red.mp4", "blue.mp4", "green.mp4"))
    assert (red[0], blue[0], green[0]) == ("R", "B", "G")
    assert red[1] == pytest.approx(4.0, abs=0.2) and blue[1] == pytest.approx(4.0, abs=0.2)
    assert green[1] == pytest.approx(1.5, abs=0.2)


# --- the file check ---------------------------------------------------------------------------


def test_every_bad_line_gets_one_message(tmp_path: Path) -> None:
    png(tmp_path / "ok.png", RED)
    bad = tmp_path / "items.jsonl"
    bad.write_text(
        '{"file": "ok.png", "prompt": "add music"}\n'
        "not json\n"
        '{"file": "missing.png", "prompt": "x"}\n'
        "\n"
        '{"url": "ftp://x/a.mp4", "output": "../a.mp4", "resolution": "4k"}\n'
        '{"file": "ok.png", "url": "https://x/a.png", "colour": 1}\n'
    )
    with pytest.raises(BatchFileError) as info:
        load_batch(bad)
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 5", "line 6"]
    assert "not valid JSON" in problems[0]
    assert "missing.png" in problems[1] and "no such file" in problems[1]
    for words in ("http://", "no instruction", "relative path", "360p, 720p, 1080p"):
        assert words in problems[2]
    assert "exactly one of" in problems[3] and "unknown key(s) colour" in problems[3]


def test_toml_items_and_the_shared_prompt(tmp_path: Path) -> None:
    png(tmp_path / "a.png", RED)
    toml = tmp_path / "items.toml"
    toml.write_text(
        '[[item]]\nfile = "a.png"\n\n'
        '[[item]]\nurl = "https://example.com/b.png"\nprompt = "add music"\nresolution = "720p"\n'
    )
    batch = load_batch(toml, 'add title "Shared"')
    first, second = batch.items
    assert (first.source, first.prompt, first.is_url) == (
        str(tmp_path / "a.png"),
        'add title "Shared"',
        False,
    )
    assert (second.is_url, second.prompt, second.resolution) == (True, "add music", "720p")
    toml.write_text('[[item]]\nfile = "a.png"\noutput = "x.mov"\n')
    with pytest.raises(BatchFileError) as info:
        load_batch(toml)
    (problem,) = info.value.problems
    assert problem.startswith("item 1:") and ".mp4" in problem and "no instruction" in problem


def test_an_invalid_file_sends_nothing(
    local_backend: str,
    backend_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    png(tmp_path / "ok.png", RED)
    batch = tmp_path / "items.jsonl"
    batch.write_text('{"file": "ok.png", "prompt": "add music"}\n{"file": "gone.png"}\n')
    monkeypatch.setenv("NEMO_API_URL", local_backend)
    assert cli.main(["batch", str(batch), "--no-json"]) == 1
    err = capsys.readouterr().err
    assert "1 problem; nothing was sent" in err and "line 2:" in err and "--prompt" in err
    assert list((backend_dir / "sessions").glob("*.json")) == []
    assert uploads(backend_dir) == []


# --- real batches -----------------------------------------------------------------------------


@pytest.mark.slow
def test_three_items_give_three_videos_each_of_its_own_item(
    local_backend: str, backend_dir: Path, tmp_path: Path
) -> None:
    batch, out = media(tmp_path), tmp_path / "out"
    done = run_batch(local_backend, str(batch), "--out-dir", str(out))
    assert done.returncode == 0, done.stderr
    result = summary(done.stdout)
    assert result["done"] == 3 and result["failed"] == [] and result["exit_code"] == 0
    assert sorted(result["outputs"]) == sorted(
        str(out / n) for n in ("blue.mp4", "green.mp4", "red.mp4")
    )
    assert result["credits"] == 30  # three edits at 10 credits each
    check_outputs(out)
    # One session per item, each rendered once; the stage changes were reported.
    jobs = renders(backend_dir)
    assert len(jobs) == 3 and len({j["session_id"] for j in jobs}) == 3
    stages = [e["stage"] for e in events(done.stdout) if e["type"] == "item" and e["index"] == 2]
    assert stages[0] == "waiting" and stages[-1] == "done"
    assert {"session", "upload", "turn", "export", "download"} <= set(stages)

    again = run_batch(local_backend, str(batch), "--out-dir", str(out))
    assert again.returncode == 0, again.stderr
    assert "already done; nothing to render" in again.stderr
    assert summary(again.stdout)["ran"] == 0
    assert len(renders(backend_dir)) == 3 and len(uploads(backend_dir)) == 3


@pytest.mark.slow
def test_a_killed_batch_resumes_without_uploading_or_rendering_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "backend"
    batch, out = media(tmp_path), tmp_path / "out"
    journals = Path(os.environ["ARTGEN_HOME"]) / "state" / "batches"

    def submitted() -> bool:
        for path in journals.glob("*.json"):
            with_render = [
                r for r in json.loads(path.read_text())["items"].values() if r["render_id"]
            ]
            if with_render:
                return True
        return False

    with backend(data_dir, stage_delay=0.3, silent_close_rate=0.0) as url:
        env = {**os.environ, "NEMO_API_URL": url}
        command = [sys.executable, "-m", "artgen_tui", "batch", str(batch), "--out-dir", str(out)]
        process = subprocess.Popen(  # one item at a time: the kill lands with one render made
            [*command, "--json", "--concurrency", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not submitted() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert submitted(), "no render was submitted in time"
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert len(renders(data_dir)) < 3  # it really stopped mid-way

        resumed = run_batch(url, str(batch), "--out-dir", str(out))
        assert resumed.returncode == 0, resumed.stderr
        assert summary(resumed.stdout)["done"] == 3
        check_outputs(out)
        jobs = renders(data_dir)
        assert len(jobs) == 3 and len({j["session_id"] for j in jobs}) == 3
        assert len(uploads(data_dir)) == 3


@pytest.mark.slow
def test_a_failed_item_is_reported_then_retried_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "backend"
    batch, out = media(tmp_path), tmp_path / "out"
    with backend(data_dir, faults="fail_render=1") as url:
        first = run_batch(url, str(batch), "--out-dir", str(out), "--concurrency", "1")
        assert first.returncode == 1, first.stderr
        result = summary(first.stdout)
        (failed,) = result["failed"]
        assert failed["index"] == 0 and "fail_render" in failed["error"]
        assert result["done"] == 2 and result["exit_code"] == 1
        assert "red.png failed" in first.stderr and "--retry-failed" in first.stderr
        (failed_render,) = [j for j in renders(data_dir) if j["status"] == "failed"]
        before = {j["id"] for j in renders(data_dir)}

        retry = run_batch(url, str(batch), "--out-dir", str(out), "--retry-failed")
        assert retry.returncode == 0, retry.stderr
        assert summary(retry.stdout)["ran"] == 1
        (new,) = [j for j in renders(data_dir) if j["id"] not in before]
        assert new["session_id"] == failed_render["session_id"]  # only the failed item rendered
        assert len(uploads(data_dir)) == 3  # the retried item was not uploaded again
        check_outputs(out)


def small_batch(folder: Path, items: list[dict[str, Any]]) -> Path:
    """Solid-colour PNGs and a JSON-lines file naming them (360p renders, to be quick)."""
    folder.mkdir()
    for item in items:
        png(folder / item["file"], item.pop("colour"))
    batch = folder / "items.jsonl"
    batch.write_text("".join(json.dumps({**i, "resolution": "360p"}) + "\n" for i in items))
    return batch


@pytest.mark.slow
def test_at_most_concurrency_items_are_in_flight_at_once(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Any]
) -> None:
    """Four items at --concurrency 2: the runner's own stage events never show a third item
    between its first step and its end, and two do run side by side."""
    colours = [RED, BLUE, GREEN, (200, 200, 20)]
    batch = small_batch(
        tmp_path / "media",
        [{"file": f"{n}.png", "colour": c, "prompt": "add music"} for n, c in enumerate(colours)],
    )
    args = ["batch", str(batch), "--concurrency", "2", "--out-dir", str(tmp_path / "out")]
    done = artgen(*args, "--json", url=local_backend)
    assert done.returncode == 0, done.stderr
    in_flight: set[int] = set()
    most = 0
    for event in events(done.stdout):
        if event["type"] != "item" or event["stage"] == "waiting":
            continue
        if event["stage"] in ("done", "failed"):
            in_flight.discard(event["index"])
        else:
            in_flight.add(event["index"])
            most = max(most, len(in_flight))
    assert most == 2
    assert summary(done.stdout)["done"] == 4


@pytest.mark.slow
def test_outputs_default_to_the_output_folder_with_sidecars_and_their_cost(
    tmp_path: Path, artgen: Callable[..., Any]
) -> None:
    """No --out-dir: the configured output folder, named by position and file unless the item
    says "output" (relative to that folder). Every output gets its sidecar, with what its export
    cost (this backend charges 5 an export), and the summary counts it."""
    batch = small_batch(
        tmp_path / "media",
        [
            {"file": "red.png", "colour": RED, "prompt": "add music"},
            {"file": "blue.png", "colour": BLUE, "prompt": "add music", "output": "b/blue.mp4"},
        ],
    )
    videos = tmp_path / "videos"
    config = tmp_path / "config.toml"
    config.write_text(f"output_dir = {json.dumps(str(videos))}\n")
    with backend(tmp_path / "backend", export_cost=5, silent_close_rate=0.0) as url:
        done = artgen("batch", str(batch), "--config", str(config), "--json", url=url)
    assert done.returncode == 0, done.stderr
    outputs = [videos / "01-red.mp4", videos / "b" / "blue.mp4"]
    assert sorted(summary(done.stdout)["outputs"]) == sorted(str(p) for p in outputs)
    assert summary(done.stdout)["credits"] == 2 * (10 + 5)
    for path, colour in zip(outputs, "RB", strict=True):
        assert dominant(path)[0] == colour
        data = sidecar.read(path)
        assert data is not None and data["sha256"] == sidecar.sha256_file(path)
        assert data["credits_spent"] == 5 and data["prompts"] == ["add music"]


def test_display_prints_one_line_per_stage_change_off_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from artgen_tui.cli import Output
    from artgen_tui.cli_batch import BatchDisplay
    from artgen_tui.core.batch import ItemUpdate

    display = BatchDisplay(Output(json_mode=True))
    updates: list[Callable[[], ItemUpdate]] = [
        lambda: ItemUpdate(0, "a.png", "waiting"),
        lambda: ItemUpdate(0, "a.png", "upload", 0.1),
        lambda: ItemUpdate(0, "a.png", "upload", 0.9),
        lambda: ItemUpdate(0, "a.png", "done", None, 10, "/out/a.mp4"),
    ]
    for make in updates:
        display.update(make())
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 2 and "upload" in lines[0] and "/out/a.mp4" in lines[1]
    stages = [json.loads(x)["stage"] for x in captured.out.splitlines()]
    assert stages == ["waiting", "upload", "done"]


def test_batch_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["batch", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for words in ("examples:", "artgen batch", "--retry-failed", "--concurrency", "[[item]]"):
        assert words in text


@pytest.mark.slow
def test_steps_done_but_not_journaled_are_found_on_the_server(
    local_backend: str,
    backend_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A kill can land between a step finishing and its journal entry: the next run asks the
    server (the file on the timeline, the draft moved on, the render in the export journal)
    instead of doing the step again."""
    folder = tmp_path / "media"
    folder.mkdir()
    png(folder / "red.png", RED)
    batch = folder / "one.jsonl"
    batch.write_text(json.dumps({"file": "red.png", "prompt": 'add title "Red"'}) + "\n")
    monkeypatch.setenv("NEMO_API_URL", local_backend)
    monkeypatch.setenv("ARTGEN_RENDER_POLL_INTERVAL", "0.05")
    args = ["batch", str(batch), "--out-dir", str(tmp_path / "out"), "--json"]
    assert cli.main(args) == 0
    (journal,) = (Path(os.environ["ARTGEN_HOME"]) / "state" / "batches").glob("*.json")
    full = json.loads(journal.read_text())
    (session,) = (backend_dir / "sessions").glob("*.json")

    def turns() -> int:
        return int(json.loads(session.read_text())["turns"])

    lost = [
        {"stage": "upload", "uploaded": False},  # uploaded, not journaled
        {"stage": "turn", "turn_sent": True, "turn_done": False, "draft_after_upload": "x"},
        {"stage": "export", "render_id": None},  # render submitted, id not journaled
    ]
    for changes in lost:
        record = {**full["items"]["0"], "status": "running", **changes}
        journal.write_text(json.dumps({**full, "items": {"0": record}}))
        capsys.readouterr()
        assert cli.main(args) == 0, (changes, capsys.readouterr().err)
        assert summary(capsys.readouterr().out)["done"] == 1
        assert (len(uploads(backend_dir)), turns(), len(renders(backend_dir))) == (1, 1, 1)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_display_redraws_the_table_in_place_on_a_terminal() -> None:
    from artgen_tui.cli import Output
    from artgen_tui.cli_batch import BatchDisplay
    from artgen_tui.core.batch import ItemUpdate

    err, ticks = _Terminal(), iter(range(100))
    display = BatchDisplay(
        Output(json_mode=False, out=io.StringIO(), err=err), clock=lambda: next(ticks) * 0.01
    )
    display.update(ItemUpdate(0, "a.png", "waiting"))
    display.update(ItemUpdate(1, "b.png", "waiting"))
    drawn = err.getvalue()
    display.update(ItemUpdate(0, "a.png", "upload", 0.5))  # a stage change: drawn at once
    redraw = err.getvalue()[len(drawn) :]
    assert redraw.startswith("\x1b[3F")  # back up over the header and both rows
    assert " 50%" in redraw and redraw.count("\n") == 3  # header and two rows, in place
    display.update(ItemUpdate(0, "a.png", "upload", 0.6))  # progress alone, 10 ms later: not yet
    assert err.getvalue().endswith(redraw)


def test_exit_codes() -> None:
    from artgen_tui.cli_batch import exit_code
    from artgen_tui.core.batch import BatchSummary, ItemUpdate

    done = ItemUpdate(0, "a", "done")
    transient = ItemUpdate(1, "b", "failed", error="timeout", transient=True)
    permanent = ItemUpdate(2, "c", "failed", error="refused")
    assert exit_code(BatchSummary([done], 1, 0)) == 0
    assert exit_code(BatchSummary([done, transient], 2, 0)) == 2
    assert exit_code(BatchSummary([done, transient, permanent], 3, 0)) == 1


def test_a_damaged_journal_entry_is_read_safely() -> None:
    from artgen_tui.core.batch_journal import ItemRecord

    record = ItemRecord.from_json(
        {
            "fingerprint": "f",
            "status": "exploded",
            "stage": "nowhere",
            "uploaded": "yes",
            "render_id": 5,
            "credits_spent": 10,
            "session_id": "s1",
        }
    )
    assert record is not None
    assert (record.status, record.stage, record.uploaded, record.render_id) == (
        "pending",
        "waiting",
        False,
        None,
    )
    assert (record.credits_spent, record.session_id) == (10, "s1")
    assert ItemRecord.from_json(["not", "a", "record"]) is None
