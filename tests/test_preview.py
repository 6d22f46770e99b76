"""Frame strips, half-block pictures, graphics detection, open/reveal decisions, the preview intent."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from artgen_tui import cli_library
from artgen_tui.config import Settings
from artgen_tui.core import conversation as conv
from artgen_tui.core import imaging, opener, termimage
from artgen_tui.core.gui_phrases import find_actions
from artgen_tui.core.intents import route
from artgen_tui.core.jobs import JobManager
from artgen_tui.core.preview import PreviewReady, preview, previews_dir
from artgen_tui.core.workspace import Workspace

COLOURS = [(220, 30, 30), (30, 200, 40), (30, 40, 220), (240, 240, 240), (230, 200, 20)]
GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"


def make_segments_mp4(
    path: Path, colours: list[tuple[int, int, int]], frames_each: int = 12
) -> Path:
    """An H.264 MP4 at 12 fps: one solid-colour second per entry of ``colours``."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=12, options={"g": "6"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for colour in colours:
            pixels = np.zeros((48, 64, 3), dtype=np.uint8)
            pixels[:, :] = colour
            for _ in range(frames_each):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def mean_colour(image: Image.Image) -> tuple[int, int, int]:
    arr = np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(axis=0)
    return (int(arr[0]), int(arr[1]), int(arr[2]))


def close(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 24) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# --- frame strips ------------------------------------------------------------------------------


def test_strip_frames_show_each_segment_colour_in_order(tmp_path: Path) -> None:
    video = make_segments_mp4(tmp_path / "five.mp4", COLOURS)
    frames = imaging.extract_strip(video, count=5, width=32)
    assert len(frames) == 5
    for frame, colour in zip(frames, COLOURS, strict=True):
        assert frame.mode == "RGB" and frame.size == (32, 24)
        assert close(mean_colour(frame), colour), (mean_colour(frame), colour)


def test_strip_with_more_frames_than_segments_stays_in_order(tmp_path: Path) -> None:
    video = make_segments_mp4(tmp_path / "two.mp4", COLOURS[:2])
    frames = imaging.extract_strip(video, count=4, width=16)
    got = [mean_colour(f) for f in frames]
    assert [close(c, COLOURS[0]) for c in got] == [True, True, False, False]
    assert all(close(c, COLOURS[1]) for c in got[2:])


def test_probe_reports_size_and_duration(tmp_path: Path) -> None:
    info = imaging.probe_video(make_segments_mp4(tmp_path / "v.mp4", COLOURS[:3]))
    assert (info.width, info.height, info.resolution) == (64, 48, "64x48")
    assert info.duration_s is not None and abs(info.duration_s - 3.0) < 0.2
    assert info.fps == 12


def test_thumbnails_of_images_and_clips(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (200, 100), (10, 120, 250)).save(photo)
    thumb = imaging.thumbnail(photo, width=40)
    assert thumb.size == (40, 20) and close(mean_colour(thumb), (10, 120, 250), 2)

    clip = make_segments_mp4(tmp_path / "clip.mp4", COLOURS[:3])
    assert close(mean_colour(imaging.thumbnail(clip, 20, at="first")), COLOURS[0])
    assert close(mean_colour(imaging.thumbnail(clip, 20, at="middle")), COLOURS[1])


def test_broken_files_raise_media_error_not_a_crash(tmp_path: Path) -> None:
    good = make_segments_mp4(tmp_path / "good.mp4", COLOURS[:2]).read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good[: len(good) // 3])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    fake_png = tmp_path / "fake.png"
    fake_png.write_bytes(b"\x89PNG but not really")
    audio = tmp_path / "tone.m4a"
    with av.open(str(audio), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100, layout="mono")
        samples = np.zeros((1, 1024), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 44100
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    for path in (truncated, text, empty, tmp_path / "missing.mp4", audio):
        with pytest.raises(imaging.MediaError) as info:
            imaging.extract_strip(path)
        assert path.name in str(info.value)
    with pytest.raises(imaging.MediaError, match=r"fake\.png is not a readable image"):
        imaging.thumbnail(fake_png)
    with pytest.raises(imaging.MediaError, match="no video stream"):
        imaging.probe_video(audio)


# --- half-blocks -------------------------------------------------------------------------------


def ansi(text: object) -> str:
    console = Console(width=40, color_system="truecolor", force_terminal=True, legacy_windows=False)
    with console.capture() as capture:
        console.print(text, end="")
    return capture.get()


def test_halfblock_cells_are_top_pixel_on_bottom_pixel() -> None:
    image = Image.new("RGB", (3, 2))
    image.putdata([(255, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 255), (9, 9, 9)])
    text = termimage.halfblock(image)
    assert text.plain == "▀▀▀"
    assert ansi(text) == (
        "\x1b[38;2;255;0;0;48;2;0;0;255m▀▀\x1b[0m\x1b[38;2;0;255;0;48;2;9;9;9m▀\x1b[0m"
    )


def test_halfblock_odd_height_repeats_the_last_row_and_splits_rows() -> None:
    image = Image.new("RGB", (1, 3))
    image.putdata([(1, 2, 3), (4, 5, 6), (7, 8, 9)])
    text = termimage.halfblock(image)
    assert text.plain == "▀\n▀"
    assert ansi(text) == (
        "\x1b[38;2;1;2;3;48;2;4;5;6m▀\x1b[0m\n\x1b[38;2;7;8;9;48;2;7;8;9m▀\x1b[0m"
    )


def test_halfblock_strip_puts_frames_side_by_side() -> None:
    red = Image.new("RGB", (8, 4), (255, 0, 0))
    blue = Image.new("RGB", (8, 8), (0, 0, 255))
    text = termimage.halfblock_strip([red, blue], width=4, gap=2)
    assert text.plain.split("\n") == ["▀▀▀▀  ▀▀▀▀", "      ▀▀▀▀"]
    assert termimage.cell_size(blue, 4) == (4, 2)


@pytest.mark.parametrize(
    ("env", "library", "expected"),
    [
        ({"TERM": "xterm-kitty"}, True, "kitty"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, True, "kitty"),
        ({"TERM": "xterm-ghostty"}, True, "kitty"),
        ({"TERM": "foot"}, True, "sixel"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, True, "sixel"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, True, "sixel"),
        ({"TERM": "xterm-256color", "KONSOLE_VERSION": "230805"}, True, "sixel"),
        ({"TERM": "xterm-256color"}, True, "halfblock"),
        ({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "3"}, True, "halfblock"),
        ({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, True, "halfblock"),
        ({"TERM": "screen-256color", "TERM_PROGRAM": "WezTerm"}, True, "halfblock"),
        ({"TERM": "xterm-kitty"}, False, "halfblock"),
        ({"TERM": "foot", "ARTGEN_GRAPHICS": "halfblock"}, True, "halfblock"),
        ({"TERM": "xterm", "ARTGEN_GRAPHICS": "Sixel"}, True, "sixel"),
        ({"TERM": "xterm", "ARTGEN_GRAPHICS": "sixel"}, False, "halfblock"),
        ({}, True, "halfblock"),
    ],
)
def test_graphics_protocol_is_a_function_of_the_environment(
    env: dict[str, str], library: bool, expected: str
) -> None:
    assert termimage.graphics_protocol(env, library=library) == expected


def test_graphics_library_is_installed_for_kitty_and_sixel() -> None:
    assert termimage.have_graphics_library()
    assert termimage.graphics_protocol({"TERM": "xterm-kitty"}) == "kitty"


# --- open / reveal / copy ----------------------------------------------------------------------


def on_path(*names: str) -> opener.Which:
    return lambda name: f"/usr/bin/{name}" if name in names else None


DESKTOP = {"DISPLAY": ":0"}


def test_ssh_session_offers_to_copy_the_path() -> None:
    for var in ("SSH_CONNECTION", "SSH_TTY"):
        env = {**DESKTOP, var: "10.0.0.2 5555 10.0.0.1 22"}
        plan = opener.plan_open("/v/city.mp4", env=env, platform="linux", which=on_path("xdg-open"))
        assert plan.action == "copy" and plan.path == "/v/city.mp4" and plan.argv == ()
        assert "SSH session" in plan.reason
        reveal = opener.plan_open("/v/city.mp4", reveal=True, env=env, which=on_path("xdg-open"))
        assert reveal.action == "copy"


def test_platform_openers_and_reveal() -> None:
    linux = opener.plan_open("/v/a.mp4", env=DESKTOP, platform="linux", which=on_path("xdg-open"))
    assert linux.argv == ("xdg-open", "/v/a.mp4")
    folder = opener.plan_open(
        "/v/a.mp4", reveal=True, env=DESKTOP, platform="linux", which=on_path("xdg-open")
    )
    assert folder.argv == ("xdg-open", "/v")
    mac = opener.plan_open("/v/a.mp4", env={}, platform="darwin", which=on_path("open"))
    assert mac.argv == ("open", "/v/a.mp4")
    mac_reveal = opener.plan_open(
        "/v/a.mp4", reveal=True, env={}, platform="darwin", which=on_path("open")
    )
    assert mac_reveal.argv == ("open", "-R", "/v/a.mp4")
    win = opener.plan_open(r"C:\v\a.mp4", env={}, platform="win32", which=on_path("cmd"))
    assert win.argv == ("cmd", "/c", "start", "", r"C:\v\a.mp4")


def test_no_opener_or_no_display_offers_to_copy() -> None:
    missing = opener.plan_open("/v/a.mp4", env=DESKTOP, platform="linux", which=on_path())
    assert missing.action == "copy" and "No xdg-open" in missing.reason
    headless = opener.plan_open("/v/a.mp4", env={}, platform="linux", which=on_path("xdg-open"))
    assert headless.action == "copy" and "no desktop session" in headless.reason


def test_artgen_player_wins_even_over_ssh_and_is_checked() -> None:
    env = {"ARTGEN_PLAYER": "mpv --loop 'two words'", "SSH_TTY": "/dev/pts/1"}
    plan = opener.plan_open("/v/a.mp4", env=env, platform="linux", which=on_path("mpv"))
    assert plan.action == "run"
    assert plan.argv == ("mpv", "--loop", "two words", "/v/a.mp4")
    absent = opener.plan_open("/v/a.mp4", env=env, platform="linux", which=on_path())
    assert absent.action == "copy" and "mpv" in absent.reason
    broken = opener.plan_open("/v/a.mp4", env={"ARTGEN_PLAYER": "'unclosed"}, which=on_path())
    assert broken.action == "copy"


def test_run_plan_starts_the_player_with_the_path(tmp_path: Path) -> None:
    record = tmp_path / "argv.txt"
    player = tmp_path / "fake-player"
    player.write_text(
        f'#!{sys.executable}\nimport sys\nopen({str(record)!r}, "w").write("\\n".join(sys.argv[1:]))\n'
    )
    player.chmod(player.stat().st_mode | stat.S_IXUSR)
    video = tmp_path / "my video.mp4"
    env = {"ARTGEN_PLAYER": f"{player} --fullscreen", "PATH": os.environ.get("PATH", "")}
    plan = opener.plan_open(video, env=env)
    assert plan.argv == (str(player), "--fullscreen", str(video))
    result = opener.run_plan(plan)
    assert result.ok and "fake-player" in result.message
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)
    assert record.read_text().split("\n") == ["--fullscreen", str(video)]

    copy = opener.run_plan(opener.OpenPlan("copy", str(video), reason="Over SSH."))
    assert not copy.ok and copy.message == "Over SSH."
    gone = opener.run_plan(opener.OpenPlan("run", str(video), (str(tmp_path / "nope"), "x")))
    assert not gone.ok and "Could not start" in gone.message


def test_osc52_copies_the_path_and_passes_through_tmux() -> None:
    assert opener.osc52("/v/a.mp4", env={}) == "\x1b]52;c;L3YvYS5tcDQ=\x07"
    wrapped = opener.osc52("/v/a.mp4", env={"TMUX": "/tmp/tmux"})
    assert wrapped == "\x1bPtmux;\x1b\x1b]52;c;L3YvYS5tcDQ=\x07\x1b\\"


# --- the preview intent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["preview", "Preview!", "预览", "预览一下", "/preview", "preview the video please"]
)
def test_preview_words_route_to_the_preview_intent(text: str) -> None:
    assert route(text).kind == "preview"


@pytest.mark.parametrize(
    "text", ["a preview of a neon city at night", "render a preview", "preview and export"]
)
def test_prompts_mentioning_preview_stay_chat(text: str) -> None:
    assert route(text).kind == "chat"


def test_gui_phrase_preview_the_result() -> None:
    actions = find_actions("Start with a rough cut, preview the result, then refine.")
    assert [(a.kind, a.label) for a in actions] == [("preview", "Preview")]
    assert [a.kind for a in find_actions("You can preview it in the timeline.")] == [
        "focus_timeline"
    ]
    assert [a.kind for a in find_actions("请预览结果。")] == ["preview"]


# --- the quick draft preview, end to end -------------------------------------------------------


def settings_for(url: str, out: Path) -> Settings:
    return Settings(api_url=url, output_dir=out, render_poll_interval=0.05)


@pytest.mark.slow
async def test_preview_renders_small_into_the_cache_not_the_exports(
    local_backend: str, tmp_path: Path
) -> None:
    out = tmp_path / "videos"
    async with Workspace(settings_for(local_backend, out)) as ws:
        await ws.ready()
        async for _ in conv.run_turn(ws, GENERATE):
            pass
        updates = [u async for u in preview(ws, count=4, width=24)]
        ready = updates[-1]
        assert isinstance(ready, PreviewReady) and ready.error is None
        assert ready.path.parent == previews_dir() and ready.path.is_file()
        assert len(ready.frames) == 4 and all(f.width == 24 for f in ready.frames)
        assert imaging.probe_video(ready.path).height == 360
        assert JobManager(ws).jobs() == []
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_headless_preview_prints_the_path_or_the_strip(local_backend: str, tmp_path: Path) -> None:
    env = {**os.environ, "NEMO_API_URL": local_backend, "COLUMNS": "60"}
    base = [sys.executable, "-m", "artgen_tui"]
    chat = subprocess.run(
        [*base, "chat", GENERATE], capture_output=True, text=True, env=env, timeout=90, check=False
    )
    assert chat.returncode == 0, chat.stderr
    piped = subprocess.run(
        [*base, "chat", "preview", "--no-json"],
        capture_output=True, text=True, env=env, timeout=90, check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    path = Path(piped.stdout.strip())
    assert path.is_file() and path.parent == previews_dir()

    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*base, "preview", "--frames", "3", "--no-json"],
        stdout=slave, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=90) == 0
    os.close(master)
    screen = b"".join(chunks).decode("utf-8")
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in screen.splitlines()]
    rows = [line for line in plain if "▀" in line]
    width = cli_library.strip_columns(3, 60)
    assert width == 19
    assert rows and all(row == " ".join(["▀" * width] * 3) for row in rows), rows
    assert "\x1b[38;2;" in screen
