"""The app against a hostile server: what it draws never carries a control sequence.

Pilot tests read what the app would put on the terminal (every widget's rendered lines and the
exported screenshot); the tmux test runs the real app in a real terminal and reads the pane with
``capture-pane -e`` and the pane title (an OSC 2 in a reply would rename it "pwned").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileProxy, hostile, raw_controls, unframed_server
from PIL import Image
from textual.geometry import Region
from textual.widget import Widget
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

from artgen_tui.config import NetworkSettings
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.widgets.chat_log import Notice, Reply
from artgen_tui.tui.widgets.timeline_table import TimelineTable

SIZE = (120, 40)


def drawn(app: ArtgenApp | Widget) -> str:
    """Every line every visible widget renders, as the terminal would receive its text (of one
    widget and its children, when given one)."""
    parts: list[str] = []
    if not isinstance(app, ArtgenApp):
        widgets = [app, *app.walk_children()]
        for widget in widgets:
            width, height = widget.size
            if width and height:
                strips = widget.render_lines(Region(0, 0, width, height))
                parts.extend(seg.text for strip in strips for seg in strip)
        return "".join(parts)
    for screen in app.screen_stack:
        for widget in screen.walk_children():
            width, height = widget.size
            if not width or not height:
                continue
            strips = widget.render_lines(Region(0, 0, width, height))
            parts.extend(seg.text for strip in strips for seg in strip)
    parts.append(app.export_screenshot())
    return "".join(parts)


def assert_clean(app: ArtgenApp) -> str:
    text = drawn(app)
    assert not raw_controls(text), raw_controls(text)
    assert "pwned" not in text or "]2;pwned" not in text
    return text


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[HostileProxy]:
    with local_backend(tmp_path / "backend") as upstream, hostile(upstream) as running:
        yield running


async def test_escapes_in_replies_markers_timeline_and_errors_are_not_drawn(
    proxy: HostileProxy,
) -> None:
    proxy.set_modes("escapes")
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, 'add title "Hello"')
        await finish_turn(pilot, app)
        await pilot.pause(0.2)
        replies = [m for m in app.chat.messages() if isinstance(m, Reply)]
        assert replies and replies[-1].text.strip(), "no reply was drawn"
        assert not raw_controls(replies[-1].text)
        markers = [m.text for m in app.chat.messages() if isinstance(m, Notice)]
        assert all(not raw_controls(m) for m in markers)
        table = app.query_one(TimelineTable)
        await wait_until(pilot, lambda: table.row_count > 0, 20, "timeline rows")
        assert_clean(app)


async def test_a_30_mb_message_and_deep_nesting_show_a_short_clean_error(
    proxy: HostileProxy,
) -> None:
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        for mode in ("huge-message", "nesting", "html-sse", "cut-sse"):
            proxy.set_modes(mode)
            await send(pilot, app, "make it longer")
            await finish_turn(pilot, app)
            await pilot.pause(0.2)
            text = assert_clean(app)
            assert len(text) < 2_000_000
            notices = " ".join(m.text for m in app.chat.messages() if isinstance(m, Notice))
            assert "Unexpected error" not in notices, notices
            assert all(len(m.text) < 10_000 for m in app.chat.messages())
            titles = [getattr(s, "error_title", "") for s in app.screen_stack]
            assert not any("Unexpected" in t for t in titles), titles
            while len(app.screen_stack) > 1:
                app.pop_screen()
                await pilot.pause()


async def test_absurd_numbers_and_negative_credits_are_drawn_clamped(
    proxy: HostileProxy,
) -> None:
    app = make_app(proxy.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, 'add title "Hello"')
        await finish_turn(pilot, app)
        proxy.set_modes("numbers", "negative-credits")
        await send(pilot, app, "make it longer")
        await finish_turn(pilot, app)
        await pilot.pause(0.2)
        text = assert_clean(app)
        assert "credits -" not in text and "inf" not in text.lower().split("infinity")[0]


# --- slow, endless, wrong and ambiguous answers -------------------------------------------------

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"

SMALL = NetworkSettings(
    request_deadline=2,
    stream_idle=2,
    stream_event_idle=3,
    turn_deadline=6,
    min_download_rate=20000,
    download_window=2,
    render_wait=4,
    recovery_delays=[0, 0.3],
    settle_recheck=0,
)
"""Deadlines a test can wait out, as ``hostile_cli.SMALL_DEADLINES`` for the CLI."""


def hostile_app(proxy: HostileProxy, tmp_path: Path, **network: Any) -> ArtgenApp:
    settings = settings_for(
        proxy.url,
        network=SMALL.model_copy(update=network),
        output_dir=tmp_path / "out",
        request_timeout=20,
    )
    return make_app(proxy.url, settings=settings)


def no_unexpected_error(app: ArtgenApp) -> None:
    said = " ".join(notices(app))
    assert "Unexpected error" not in said, said
    titles = [str(getattr(s, "error_title", "")) for s in app.screen_stack]
    assert not any("Unexpected" in t for t in titles), titles


async def make_timeline(pilot: Any, app: ArtgenApp, proxy: HostileProxy) -> None:
    """A generated clip on the timeline, made while the server still behaves."""
    modes = proxy.modes
    proxy.set_modes()
    await send(pilot, app, GENERATE)
    await finish_turn(pilot, app)
    await wait_until(pilot, lambda: app.timeline.row_count > 0, 20, "timeline rows")
    proxy.modes = modes


def rendered(data_dir: Path) -> dict[str, bytes]:
    """Every finished render the backend holds: its id → the MP4's bytes."""
    return {
        p.stem: p.read_bytes()
        for p in sorted((data_dir / "renders").glob("*.mp4"))
        if not p.name.endswith(".part")
    }


def renders(data_dir: Path) -> list[Path]:
    found = (data_dir / "renders").glob("*.json")
    return sorted(p for p in found if p.name.count(".") == 1)


async def export_once(pilot: Any, app: ArtgenApp, *, ends: str, timeout: float = 60) -> Any:
    """Start an export from the app and wait until it ``ends``: ``"finished"`` (a final status)
    or ``"said"`` (an error in the chat); returns the new job (``None`` if none was made)."""
    before = {j.id for j in app.jobs_panel.jobs}
    errors = len([n for n in notices(app) if n])
    app.action_export()

    def new_job() -> Any:
        return next((j for j in app.jobs_panel.jobs if j.id not in before), None)

    if ends == "finished":
        await wait_until(
            pilot, lambda: (job := new_job()) is not None and job.finished, timeout, "the export"
        )
    else:
        await wait_until(pilot, lambda: len(notices(app)) > errors + 1, timeout, "a message")
    await pilot.pause(0.2)
    return new_job()


@pytest.fixture
def backend_proxy(tmp_path: Path) -> Iterator[tuple[HostileProxy, Path]]:
    data_dir = tmp_path / "backend"
    with local_backend(data_dir, silent_close_rate=0.0) as upstream, hostile(upstream) as running:
        yield running, data_dir


async def test_drips_keep_alives_and_a_huge_retry_after_end_each_turn_clearly(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path
) -> None:
    proxy, _ = backend_proxy
    app = hostile_app(proxy, tmp_path)
    said = {  # mode: (what is typed, what the chat must say)
        "drip_sse": ("make it longer", "Connection dropped, checking…"),
        "keepalive_drip": (
            "make it longer",
            "The reply stream stalled: nothing but keep-alives came for 3 s.",
        ),
        "heartbeat_forever": (
            "make it longer",
            "The reply stream stalled: the reply went on for more than 6 s.",
        ),
        "drip_json": ("credits", "did not arrive within 2 s"),
        "huge_retry_after": ("make it longer", "asked to wait 3 h"),
    }
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        for mode, (typed, words) in said.items():
            proxy.set_modes(mode)
            started = time.monotonic()
            await send(pilot, app, typed)
            await finish_turn(pilot, app, timeout=40)
            await wait_until(
                pilot,
                lambda w=words: any(w in n for n in notices(app)),
                15,
                f"{mode}: {words!r} in {notices(app)[-6:]}",
            )
            assert time.monotonic() - started < 40, mode
            assert_clean(app)
            no_unexpected_error(app)
            assert not app.turn_running
            while len(app.screen_stack) > 1:
                app.pop_screen()
                await pilot.pause()


@pytest.mark.parametrize("mode", ["render_forever", "render_unknown", "render_null"])
async def test_an_endless_render_exported_from_the_app_ends_saying_it_goes_on(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path, mode: str
) -> None:
    proxy, data_dir = backend_proxy
    app = hostile_app(proxy, tmp_path, render_wait=3)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        proxy.set_modes(mode)
        started = time.monotonic()
        job = await export_once(pilot, app, ends="said", timeout=30)
        await wait_until(
            pilot,
            lambda: any("the render goes on on the server" in n for n in notices(app)),
            15,
            "the render wait to end",
        )
        assert time.monotonic() - started < 30
        assert job is not None and not job.finished
        assert len(renders(data_dir)) == 1
        assert_clean(app)
        no_unexpected_error(app)


async def test_wrong_cut_and_ambiguous_answers_never_leave_a_wrong_video(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path
) -> None:
    proxy, data_dir = backend_proxy
    app = hostile_app(proxy, tmp_path, render_wait=120)
    saved = ("cut_download", "cut_unframed", "cut_unframed_no_range", "deep-segment",
             "submit_cut", "submit_5xx", "submit_garbage")  # fmt: skip
    refused = {
        "html_video": "instead of the video",
        "html_labelled_video": "not a video",
        "drip_download": "bytes/s",
        "cut_unframed_no_range+html_proxy_download": "instead of the video",
    }
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        for mode in saved:
            proxy.set_modes(mode)
            count = len(renders(data_dir))
            job = await export_once(pilot, app, ends="finished")
            assert job.status == "downloaded", (mode, job)
            assert len(renders(data_dir)) == count + 1, mode  # one render per export
            assert Path(job.path).read_bytes() == rendered(data_dir)[job.id], mode
            assert_clean(app)
            no_unexpected_error(app)
        for modes, words in refused.items():
            proxy.set_modes(*modes.split("+"))
            job = await export_once(pilot, app, ends="finished")
            assert job.status == "download_failed", (modes, job)
            assert words in (job.error or ""), (modes, job.error)
            assert not Path(job.path).exists(), modes
            part = Path(job.path + ".part")
            assert not part.exists() or rendered(data_dir)[job.id].startswith(part.read_bytes())
            assert_clean(app)
            no_unexpected_error(app)
    assert unframed_server(ranges=True).cut and unframed_server(ranges=False).cut


async def test_compact_keys_fill_the_table_with_labels_volumes_and_track_names(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path
) -> None:
    from artgen_tui.core.timeline import rows

    proxy, _ = backend_proxy
    app = hostile_app(proxy, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        await send(pilot, app, "add music")
        await finish_turn(pilot, app)
        state = app.timeline.state
        assert state is not None
        labels = [r.label for r in rows(state.draft)]
        assert all(labels) and len(labels) >= 2, labels
        proxy.set_modes("compact-keys")
        await send(pilot, app, "/status")
        await wait_until(
            pilot, lambda: "Main cut" in drawn(app.timeline), 15, "the compact state in the table"
        )
        table = drawn(app.timeline)
        for label in labels:
            assert label[:15] in table, (label, table)  # cells are clipped to the column
        assert "🎵 Score" in table and "60%" in table and "🔤 Captions" in table, table
        assert_clean(app)


async def test_an_export_into_an_unusable_folder_is_refused_before_submitting(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path
) -> None:
    proxy, data_dir = backend_proxy
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = settings_for(proxy.url, output_dir=blocker / "videos")
    app = make_app(proxy.url, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        app.action_export()
        await wait_until(
            pilot, lambda: any("Output folder:" in n for n in notices(app)), 10, "the refusal"
        )
        await pilot.pause(0.5)
        assert not app.jobs_panel.jobs
        assert renders(data_dir) == []
        assert not (tmp_path / "a-file").is_dir()


async def test_escapes_in_upload_names_and_export_answers_are_not_drawn(
    backend_proxy: tuple[HostileProxy, Path], tmp_path: Path
) -> None:
    proxy, _ = backend_proxy
    app = hostile_app(proxy, tmp_path)
    picture = tmp_path / "pic.png"
    Image.new("RGB", (8, 8), "red").save(picture)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await make_timeline(pilot, app, proxy)
        proxy.set_modes("escapes")
        said = len(notices(app))
        app.uploads.start([picture])
        await wait_until(pilot, lambda: len(notices(app)) > said, 20, "the upload to be told")
        assert any("pic.png" in n for n in notices(app)[said:]), notices(app)[said:]
        assert_clean(app)
        job = await export_once(pilot, app, ends="said", timeout=30)
        assert job is not None
        await pilot.press(app.key_of("focus_jobs"))
        await pilot.pause(0.3)
        assert_clean(app)
        no_unexpected_error(app)


# --- a real terminal ----------------------------------------------------------------------------


def _tmux(socket: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, *args], env=env, capture_output=True, text=True, timeout=20
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_escapes_in_a_real_terminal_leave_the_pane_and_its_title_alone(
    proxy: HostileProxy, tmp_path: Path
) -> None:
    proxy.set_modes("escapes")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TEXTUAL_THEME")}
    env.update(
        ARTGEN_HOME=str(tmp_path / "home"),
        NEMO_API_URL=proxy.url,
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    socket = f"artgen-hostile-{os.getpid()}"
    run: Any = lambda *args: _tmux(socket, env, *args)  # noqa: E731
    run(
        "new-session",
        "-d",
        "-s",
        "artgen",
        "-x",
        "120",
        "-y",
        "40",
        f"{sys.executable} -m artgen_tui",
    )
    try:
        run("set-option", "-t", "artgen", "allow-rename", "on")
        run("set-option", "-t", "artgen", "set-clipboard", "on")
        deadline = time.monotonic() + 60
        while "Ready" not in run("capture-pane", "-p", "-t", "artgen"):
            assert time.monotonic() < deadline, run("capture-pane", "-p", "-t", "artgen")
            time.sleep(0.2)
        run("send-keys", "-t", "artgen", "-l", 'add title "Hello"')
        run("send-keys", "-t", "artgen", "Enter")
        deadline = time.monotonic() + 90
        while "Hello" not in run("capture-pane", "-p", "-t", "artgen"):
            assert time.monotonic() < deadline, run("capture-pane", "-p", "-t", "artgen")
            time.sleep(0.2)
        time.sleep(2)
        title = run("display-message", "-p", "-t", "artgen", "#{pane_title}")
        assert "pwned" not in title, title
        assert run("show-buffer").strip() != "pwned", "OSC 52 wrote the clipboard"
        screen = run("capture-pane", "-e", "-p", "-t", "artgen")
        assert "]2;" not in screen and "]52;" not in screen and "pwned" not in screen, screen
        assert "\x1b[?1049h" not in screen and "\x1bP" not in screen
    finally:
        run("kill-server")
