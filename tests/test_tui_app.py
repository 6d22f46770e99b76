"""The full app driven with Pilot against a real local backend (loopback HTTP, fast options)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import textual.constants
from loopback import free_port
from PIL import Image
from textual.app import App, ComposeResult
from textual.widgets import Button, Markdown, Static
from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    notices,
    replies,
    send,
    settings_for,
    users,
    wait_ready,
    wait_until,
)

from artgen_tui.core.workspace import Workspace
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.screens.confirm import ConfirmScreen
from artgen_tui.tui.screens.error import ErrorModal
from artgen_tui.tui.screens.file_picker import FilePickerScreen, UploadChoice
from artgen_tui.tui.screens.help import HelpScreen
from artgen_tui.tui.screens.spend_confirm import SpendConfirm
from artgen_tui.tui.widgets.chat_log import (
    ActionHint,
    ChatLog,
    Reply,
    SealedMarkdown,
    UserMessage,
)
from artgen_tui.tui.widgets.markdown_lite import LiteStyles
from artgen_tui.tui.widgets.markdown_lite import inline as lite_inline
from artgen_tui.tui.widgets.markdown_lite import render as lite_render

GENERATE = "generate a neon city at night, 2 seconds"
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def backend(tmp_path: Path) -> object:
    with local_backend(tmp_path / "backend") as url:
        yield url


def make_png(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 40, 120)).save(path)
    return path


def make_mp4(path: Path, frames: int = 12) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            pixels = np.full((48, 64, 3), (i * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


async def test_prompt_reply_timeline_export_download(backend: str, tmp_path: Path) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.status.connection_text == "Ready"
        await wait_until(pilot, lambda: app.status.credits is not None, 10, "credits")
        await send(pilot, app, GENERATE)
        assert app.prompt.value == ""
        await finish_turn(pilot, app)
        assert users(app) == [GENERATE]
        reply = "\n".join(replies(app))
        assert "city at night" in reply
        assert any(n.startswith("working: ") for n in notices(app))
        assert app.timeline.row_count >= 3
        assert app.timeline.changed_keys
        # The reply says "click Export": a button under it runs the export.
        hint = app.chat.query_one(ActionHint)
        button = next(b for b in hint.query(Button) if b.name == "export")
        button.press()
        await wait_until(
            pilot,
            lambda: any(j.status == "downloaded" for j in app.jobs_panel.jobs),
            120,
            "the export to download",
        )
        job = app.jobs_panel.jobs[0]
        assert job.path is not None
        video = Path(job.path)
        assert video.is_file() and video.stat().st_size > 1000
        with av.open(str(video)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
        await wait_until(pilot, lambda: any("saved to" in n for n in notices(app)), 5)
        assert any(str(video) in n for n in notices(app))
        await pilot.press("f9", "c")  # on a saved export, c copies the file's path
        assert app.clipboard == job.path
        assert app.status.credits is not None and app.status.credits.available == 400


async def test_jobs_panel_cancel_and_retry_keys(backend: str) -> None:
    app = make_app(backend, export_resolution="720p")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "generate a neon city at night, 20 seconds")
        await finish_turn(pilot, app)
        await pilot.press("f6")
        await wait_until(pilot, lambda: len(app.jobs_panel.jobs) == 1, 20, "the export")
        await pilot.press("f9")
        assert app.jobs_panel.has_focus_within
        await pilot.press("x")
        await wait_until(
            pilot, lambda: app.jobs_panel.jobs[0].status == "cancelled", 20, "the cancel"
        )
        await pilot.press("r")  # a cancelled export is exported again
        await wait_until(pilot, lambda: len(app.jobs_panel.jobs) == 2, 20, "the retry")
        second = app.jobs_panel.jobs[1]
        assert second.id != app.jobs_panel.jobs[0].id
        # Said in the chat, in the words `artgen jobs retry` uses (core.jobs.retry_notice).
        await wait_until(
            pilot, lambda: any("cannot be re-run as it was" in n for n in notices(app)), 10
        )
        jobs = app.jobs
        assert jobs is not None
        await jobs.cancel(second.id)


async def test_upload_png_and_mp4_with_slash_command(backend: str, tmp_path: Path) -> None:
    png = make_png(tmp_path / "photo.png")
    mp4 = make_mp4(tmp_path / "clip.mp4")
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, f"/upload {png} {mp4}")
        await wait_until(pilot, lambda: any("Uploaded" in n for n in notices(app)), 30)
        sentence = next(n for n in notices(app) if "Uploaded" in n)
        assert "photo.png" in sentence and "clip.mp4" in sentence
        assert replies(app) == []  # a local action: no agent turn
        await wait_until(pilot, lambda: app.timeline.row_count >= 2, 10, "timeline rows")
        assert not app.main.query_one("#upload-row").display


async def test_upload_from_picker_and_refused_file(backend: str, tmp_path: Path) -> None:
    png = make_png(tmp_path / "pic.png")
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5)
        picker = app.screen
        assert isinstance(picker, FilePickerScreen)
        picker.dismiss(UploadChoice(paths=[png]))
        await wait_until(pilot, lambda: any("Uploaded pic.png" in n for n in notices(app)), 30)
        bad = tmp_path / "notes.txt"
        bad.write_text("hello")
        await send(pilot, app, f"/upload {bad}")
        await wait_until(pilot, lambda: any("can't be uploaded" in n for n in notices(app)), 10)


async def test_chinese_keywords_run_local_actions(backend: str) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "积分")
        await wait_until(pilot, lambda: any(n.startswith("Credits:") for n in notices(app)), 10)
        assert "500 available" in next(n for n in notices(app) if n.startswith("Credits:"))
        await send(pilot, app, "状态")
        await wait_until(pilot, lambda: any("timeline is empty" in n for n in notices(app)), 10)
        await send(pilot, app, "导出")
        await wait_until(pilot, lambda: any("nothing to export" in n for n in notices(app)), 10)
        await send(pilot, app, "余额")
        await wait_until(
            pilot, lambda: len([n for n in notices(app) if n.startswith("Credits:")]) == 2, 10
        )
        await send(pilot, app, "上传")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilePickerScreen), 5)
        assert users(app) == ["积分", "状态", "导出", "余额", "上传"]
        assert replies(app) == []  # none of them started an agent turn


async def test_status_prints_summary_and_refreshes_timeline(backend: str) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, GENERATE)
        await finish_turn(pilot, app)
        await send(pilot, app, "show tracks")
        await wait_until(pilot, lambda: any("Video" in n and " s" in n for n in notices(app)), 10)
        summary = notices(app)[-1]
        assert "city at night" in summary.lower()
        assert app.timeline.row_count >= 3


async def test_silent_close_shows_diff_sentence_and_highlights_rows(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", silent_close_rate=1.0) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            await send(pilot, app, 'add title "Neon Nights"')
            await finish_turn(pilot, app)
            sentence = replies(app)[-1]
            assert sentence.startswith("Timeline updated:") and "Neon Nights" in sentence
            changed = app.timeline.changed_keys
            assert changed and changed <= set(app.timeline.row_keys)
            labels = {str(app.timeline.get_cell(key, "label")) for key in changed}
            assert "Neon Nights" in labels  # the new title row is the highlighted one


async def test_escape_cancels_turn_and_restores_prompt(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", stage_delay=5.0, heartbeat_interval=0.2) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, GENERATE)
            await wait_until(pilot, lambda: app.turn_running, 5)
            await wait_until(pilot, lambda: app.status.elapsed is not None, 5)
            assert app.prompt.value == ""
            await pilot.press("escape")
            assert not app.turn_running  # at once: a new message can be sent right away
            await pilot.pause()
            assert app.prompt.value == GENERATE
            assert users(app) == []
            assert replies(app) == []
            await wait_until(
                pilot, lambda: any("may still finish on the server" in n for n in notices(app)), 5
            )
            assert app.status.connection_text == "Ready"
            assert app.status.elapsed is None
            # Esc in the middle of a long streamed reply (sending during the watch asks first).
            await send(pilot, app, "/bench-stream 100000")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await pilot.pause()
            await wait_until(
                pilot, lambda: any(isinstance(m, Reply) for m in app.chat.messages()), 20
            )
            await pilot.press("escape")
            assert not app.turn_running
            await pilot.pause(0.3)
            assert app.prompt.value == "/bench-stream 100000"
            assert replies(app) == []
            assert not isinstance(app.screen, ErrorModal)


async def test_restart_resumes_journaled_export_and_transcript(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend") as url:
        first = make_app(url)
        async with first.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, first)
            await send(pilot, first, GENERATE)
            await finish_turn(pilot, first)
            jobs = first.jobs
            assert jobs is not None
            # Submit through core directly and quit before following it: a journaled job.
            job = await jobs.submit(resolution="360p")
            assert job.status in ("pending", "processing")
        second = make_app(url)
        async with second.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, second)
            assert users(second) == [GENERATE]  # the transcript came back
            assert any("Resumed" in n for n in notices(second))
            await wait_until(pilot, lambda: any("Resuming 1" in n for n in notices(second)), 10)
            await wait_until(
                pilot,
                lambda: any(
                    j.id == job.id and j.status == "downloaded" for j in second.jobs_panel.jobs
                ),
                120,
                "the resumed export to download",
            )
            # The new-session key: the session has content, so it asks first.
            await pilot.press(second.key_of("new_session"))
            await wait_until(pilot, lambda: isinstance(second.screen, ConfirmScreen), 5)
            await pilot.press("y")
            await wait_until(pilot, lambda: any("new session" in n for n in notices(second)), 10)
            assert users(second) == []
            assert second.timeline.row_count == 0


async def test_low_credits_warning_and_refresh_key(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", credits=150) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_ready(pilot, app)
            await wait_until(pilot, lambda: app.status.credits is not None, 10)
            credits_label = app.status.query_one("#status-credits")
            assert not credits_label.has_class("-low")
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            await pilot.press("f5")
            await wait_until(pilot, lambda: any(n.startswith("Credits:") for n in notices(app)), 10)
            assert "50 available" in notices(app)[-1]
            assert credits_label.has_class("-low")
            assert any("Credits are low" in n.message for n in app._notifications)


async def test_out_of_credits_shows_registration_link(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", credits=50) as url:
        app = make_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, app)
            # The balance is asked for once "Ready" is on screen; the guard compares with it.
            await wait_until(pilot, lambda: app.status.credits is not None, 10, "the balance")
            await send(pilot, app, GENERATE)
            # 100 estimated over 50 available: the spend guard asks first; send it anyway.
            await wait_until(pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "question")
            await pilot.press("y")
            await finish_turn(pilot, app)
            assert app.ws is not None
            uid = app.ws.user_id
            assert uid
            errors = [n for n in notices(app) if "register" in n.lower()]
            assert errors and f"?bind={uid}" in errors[0]
            assert app.status.query_one("#status-credits").has_class("-empty")


async def test_connection_failure_offers_retry_and_local_hint(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = ArtgenApp(settings_for(closed, request_timeout=2))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.status.connection == "error", 30)
        assert "F5" in app.status.connection_text
        assert "artgen --local" in app.status.connection_text
        assert f"artgen serve-local` running at {closed}" in app.status.connection_text
        assert not app.ready
        await send(pilot, app, "hello")
        assert app.prompt.value == "hello"  # kept: nothing was sent
        if isinstance(app.screen, ErrorModal):
            await pilot.press("escape")
        failures = [n for n in notices(app) if "F5" in n]
        assert len(failures) == 1
        await pilot.press("f5")
        await wait_until(pilot, lambda: len([n for n in notices(app) if "F5" in n]) == 2, 30)


async def test_keymap_remap_palette_and_help(backend: str) -> None:
    app = ArtgenApp(settings_for(backend, keymap={"app.export": "f12"}, theme="textual-light"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.theme == "textual-light"  # from settings.theme
        await pilot.press("f12")
        await wait_until(pilot, lambda: any("nothing to export" in n for n in notices(app)), 10)
        titles = [title for title, _, _ in palette_entries(app)]
        assert {"Upload media", "Export video", "Refresh credits", "New session"} <= set(titles)
        system = [c.title for c in app.get_system_commands(app.screen)]
        assert set(titles) <= set(system)
        # Hints name the remapped key, not the default one.
        helps = {title: help_text for title, help_text, _ in palette_entries(app)}
        assert helps["Export video"].endswith("(F12)")
        assert helps["Upload media"].endswith("(F2, /upload)")
        empty = app.jobs_panel.query_one("#jobs-empty", Static).render()
        assert "press F12 or type" in str(empty)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen), 5)


async def test_copy_message_and_error_modal(backend: str) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await send(pilot, app, "hello there")
        await finish_turn(pilot, app)
        reply = app.chat.query(Reply).last()
        reply.focus()
        await pilot.press("c")
        assert app.clipboard == reply.text and reply.text
        user = app.chat.query(UserMessage).last()
        user.focus()
        await pilot.press("c")
        assert app.clipboard == "hello there"
        await pilot.press("o", "k")  # typing on a focused message goes to the prompt
        assert app.prompt.has_focus and app.prompt.value == "ok"
        await app.errors.error("Export failed", "line\n" * 5 + "[red]not markup[/red]")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), 5)
        await pilot.press("c")
        assert "[red]not markup[/red]" in app.clipboard
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ErrorModal), 5)


async def test_layout_narrow_and_side_toggle(backend: str) -> None:
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        assert app.main.has_class("-narrow")
        side = app.main.query_one("#side")
        assert side.region.y > app.chat.region.y  # below the chat
        app.action_toggle_side()  # the palette's "Toggle side panel"
        await pilot.pause()
        assert not side.display
        await pilot.press("f8")
        assert side.display and app.timeline.has_focus
        await pilot.press("f8")  # again: the timeline hides, the prompt has focus
        assert not app.timeline.display and app.prompt.has_focus
        await pilot.press("f8")
        assert app.timeline.display and app.timeline.has_focus
        await pilot.press("f9")  # no exports yet: shown, with a hint
        assert app.jobs_panel.display
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert not app.main.has_class("-narrow")
        assert side.region.x > app.chat.region.x  # beside the chat


async def test_a_short_terminal_keeps_the_prompt_and_some_chat(backend: str) -> None:
    """40×12 (a phone's SSH client): the side area gives up rows so the prompt and the chat
    stay on screen; at 24 rows it keeps its 9."""
    app = make_app(backend)
    async with app.run_test(size=(40, 12)) as pilot:
        await wait_ready(pilot, app)
        side, prompt = app.main.query_one("#side"), app.prompt
        assert prompt.region.height >= 3 and prompt.region.bottom <= side.region.y
        assert app.chat.region.height >= 2
        assert 0 < side.region.height <= 4
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert side.region.height == 9


async def test_worker_errors_never_crash(backend: str) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        ws = app.ws
        assert isinstance(ws, Workspace)

        async def broken() -> None:
            raise RuntimeError("boom")

        ws.credits = broken  # type: ignore[method-assign,assignment]
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), 5)
        assert "boom" in app.screen.query_one("#error-text").render().plain  # type: ignore[union-attr]
        assert app.is_running


# --- chat log internals: streaming segments, bounded widgets, the fast renderer ---------------


class ChatHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog()


def bench_text(n: int) -> str:
    from artgen_tui.local.agent import bench_chunks

    return "".join(bench_chunks(n))


async def test_long_reply_streams_into_bounded_segments() -> None:
    from artgen_tui.local.agent import bench_chunks

    app = ChatHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        reply = await log.add_reply()
        chunks = list(bench_chunks(1500))
        for i, chunk in enumerate(chunks):
            reply.write(chunk)
            if i % 100 == 0:
                await pilot.pause()
                live = reply.query(Markdown)
                assert len(live) <= 1
                if live:  # the live Markdown only ever holds a short tail
                    assert len(live.first().source) <= 2 * Reply.SEGMENT_CHARS
        await reply.finish()
        await pilot.pause()
        assert reply.text == "".join(chunks)
        assert not reply.streaming
        sealed = reply.query_one(SealedMarkdown)
        assert sealed.source == reply.text  # everything shown, nothing twice
        assert len(reply.children) <= 2
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y  # followed the bottom


async def test_short_reply_ends_with_one_full_markdown_update() -> None:
    app = ChatHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        reply = await log.add_reply()
        for chunk in ["# Ti", "tle\n\n", "Some **bo", "ld** and ```", "code``` [x](y)"]:
            reply.write(chunk)
            await pilot.pause(0.02)
        await reply.finish()
        await pilot.pause()
        markdown = reply.query_one(Markdown)
        assert markdown.source == "# Title\n\nSome **bold** and ```code``` [x](y)"
        assert not reply.query(SealedMarkdown)


async def test_old_messages_collapse_and_scrolled_up_user_is_not_moved() -> None:
    app = ChatHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.MAX_LIVE = 5
        for i in range(8):
            await log.add_user(f"message {i}")
            await log.add_reply(f"**reply {i}**\n\n- a\n- b")
        await pilot.pause()
        collapsed = [m for m in log.messages() if m.has_class("-collapsed")]
        assert len(collapsed) == 11
        assert not log.messages()[-1].has_class("-collapsed")
        first_reply = next(m for m in log.messages() if isinstance(m, Reply))
        assert first_reply.query_one(SealedMarkdown).source == "**reply 0**\n\n- a\n- b"
        log.scroll_to(y=0, animate=False)
        await pilot.pause()
        reply = await log.add_reply()
        reply.write("new text\n\n" * 50)
        await reply.finish()
        await pilot.pause()
        assert log.scroll_y == 0  # the user scrolled up: the log did not jump to the bottom


def test_markdown_lite_wraps_within_width_and_keeps_structure() -> None:
    styles = LiteStyles()
    text = bench_text(800) + "\n\n> a quoted line\n\n---\n\n| a | b |\n\n1. first\n2. second\n"
    text += "\n\n" + "ünïcödé 中文字符 " * 20 + "\n\nx" * 3
    for width in (20, 53, 120):
        lines = lite_render(text, width, styles)
        plain = ["".join(s.text for s in line) for line in lines]
        assert all(sum(s.cell_length for s in line) <= width for line in lines)
        assert any(p.startswith("• first item 0") for p in plain)
        assert any(p.startswith("1. first") for p in plain)
        assert any(p.startswith("▌ a quoted line") for p in plain)
        assert any(p.strip().startswith("def step_0(x):") for p in plain)
        assert "**" not in "".join(plain) and "`" not in "".join(plain)
    words = [w for w in inline_plain("a [red]b[/red] **c** `d` [e](http://x)")]
    assert words == ["a [red]b[/red] ", "c", " ", "d", " ", "e"]


def inline_plain(text: str) -> list[str]:
    return [t for t, _ in lite_inline(text, LiteStyles())]


def test_collector_policy_defers_full_collections_during_a_turn() -> None:
    import gc

    from artgen_tui.tui.gc_policy import CollectorPolicy

    before = gc.get_threshold()
    policy = CollectorPolicy()
    try:
        policy.turn_started()
        assert gc.get_threshold()[:2] == before[:2]
        assert gc.get_threshold()[2] > 1000  # no full collections while streaming
        policy.turn_started()  # nested starts keep the original thresholds
        policy.turn_finished()
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() > 0
        policy.idle_collect()
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
