"""The prompt: shell editing keys, several lines, paste, history across runs, reverse search,
the external editor, paging the chat, and the welcome's examples."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual import events, on
from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from artgen_tui.api.files import ACCEPTED_EXTENSIONS
from artgen_tui.config import Settings
from artgen_tui.core.prompt_history import PromptHistory, default_path
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.editor import NO_SUSPEND, edit_text, editor_command
from artgen_tui.tui.screens.file_picker import FilePickerScreen
from artgen_tui.tui.screens.main import MainScreen
from artgen_tui.tui.welcome import EXAMPLES, Welcome, greet
from artgen_tui.tui.widgets.prompt import PromptInput

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


class PromptHost(App[None]):
    """The prompt alone; what it sends is recorded."""

    def __init__(self, history: PromptHistory | None = None) -> None:
        super().__init__()
        self.history = history or PromptHistory()
        self.sent: list[str] = []
        self.pages: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("chat", id="chat")
        yield PromptInput(self.history, id="prompt")

    @on(PromptInput.Submitted)
    def _sent(self, event: PromptInput.Submitted) -> None:
        self.sent.append(event.value)

    @on(PromptInput.PageRequested)
    def _page(self, event: PromptInput.PageRequested) -> None:
        self.pages.append(event.step)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)


def ready_app(**settings: Any) -> ArtgenApp:
    """A disconnected app marked ready: an app key pressed by mistake would show a notice or
    open a screen, which the tests look for."""
    return ArtgenApp(
        Settings(api_url="http://127.0.0.1:9", theme="textual-dark", **settings),
        autoconnect=False,
    )


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[" " if c == " " else c for c in text])


# --- shell editing keys ------------------------------------------------------------------------


async def test_shell_editing_keys_edit_the_text_and_start_nothing() -> None:
    app = ready_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.set_ready()
        prompt = app.prompt
        assert prompt.has_focus
        await type_text(pilot, "make a big video")
        await pilot.press("ctrl+a")
        assert prompt.cursor_location == (0, 0)
        await pilot.press("ctrl+e")
        assert prompt.cursor_location == (0, len("make a big video"))
        await pilot.press("ctrl+w")  # kill the word before
        assert prompt.text == "make a big "
        await pilot.press("ctrl+y")  # yank it back
        assert prompt.text == "make a big video"
        await pilot.press("ctrl+b", "ctrl+b", "ctrl+h")  # back two, delete back one
        assert prompt.text == "make a big vieo"
        await pilot.press("ctrl+f", "ctrl+d")  # forward one, delete forward
        assert prompt.text == "make a big vie"
        await pilot.press("alt+b", "alt+b")
        assert prompt.cursor_location == (0, len("make a "))
        await pilot.press("alt+f")
        assert prompt.cursor_location == (0, len("make a big"))
        await pilot.press("ctrl+k")  # kill to the end
        assert prompt.text == "make a big"
        await pilot.press("ctrl+u")  # kill to the start
        assert prompt.text == ""
        await pilot.press("ctrl+y")
        assert prompt.text == "make a big"
        await pilot.press("ctrl+a", "ctrl+k", "ctrl+e", "ctrl+u", "ctrl+w")
        # Nothing else happened: no picker, no export, no notice, no message sent.
        assert isinstance(app.screen, MainScreen)
        assert not app._notifications
        assert not app.jobs_panel.has_jobs
        assert app.chat.messages() == []


async def test_enter_sends_newline_keys_add_lines_and_paste_keeps_every_line() -> None:
    app = PromptHost()
    async with app.run_test(size=(80, 30)) as pilot:
        prompt = app.prompt
        prompt.focus()
        await type_text(pilot, "first")
        await pilot.press("ctrl+j")
        await type_text(pilot, "second")
        await pilot.press("shift+enter")
        assert prompt.text == "first\nsecond\n"
        app.post_message(events.Paste("pasted one\r\npasted two\rpasted three\n\nlast"))
        await pilot.pause()
        prompt.post_message(events.Paste("pasted one\r\npasted two\rpasted three\n\nlast"))
        await pilot.pause()
        assert prompt.text.endswith("pasted one\npasted two\npasted three\n\nlast")
        assert prompt.text.count("pasted one") == 2  # the app forwards a paste to the focus
        await pilot.press("enter")
        assert len(app.sent) == 1 and app.sent[0].startswith("first\nsecond\npasted one\n")
        assert app.sent[0].endswith("\n\nlast")


async def test_the_box_grows_to_eight_lines_then_scrolls() -> None:
    app = PromptHost()
    async with app.run_test(size=(80, 30)) as pilot:
        prompt = app.prompt
        prompt.focus()
        await pilot.pause()
        one = prompt.outer_size.height
        prompt.value = "a\nb\nc"
        await pilot.pause()
        assert prompt.outer_size.height == one + 2
        prompt.value = "\n".join(str(n) for n in range(30))
        await pilot.pause()
        assert prompt.outer_size.height == 10  # 8 lines and the border
        assert prompt.max_scroll_y > 0


async def test_page_keys_scroll_the_chat_from_the_prompt() -> None:
    app = PromptHost()
    async with app.run_test(size=(80, 30)) as pilot:
        app.prompt.focus()
        await pilot.press("pageup", "pagedown")
        assert app.pages == [-1, 1]
    big = ready_app()
    async with big.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for n in range(60):
            await big.chat.add_notice(f"line {n}", "info")
        big.chat.scroll_end(animate=False)
        await pilot.pause()
        bottom = big.chat.scroll_y
        assert bottom > 0 and big.prompt.has_focus
        await pilot.press("pageup")
        await pilot.pause()
        assert big.chat.scroll_y < bottom
        assert big.prompt.has_focus


# --- history -----------------------------------------------------------------------------------


def test_history_is_bounded_private_and_skips_repeats(tmp_path: Path) -> None:
    path = tmp_path / "state" / "prompt_history.json"
    history = PromptHistory(path, limit=3)
    for text in ["one", "two", "two", "three", "four"]:
        history.add(text)
    assert history.entries == ["two", "three", "four"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PromptHistory(path, limit=3).entries == ["two", "three", "four"]
    path.write_text("{not json", "utf-8")
    assert PromptHistory(path).entries == []
    again = PromptHistory(path)
    assert again.search("o") is None  # nothing to find
    again.add("a neon city")
    again.add("credits")
    again.add("another NEON sign")
    assert again.search("neon") == 2
    assert again.search("neon", before=2) == 0
    assert again.search("neon", before=0) is None
    assert again.search("") is None


async def test_history_survives_a_restart() -> None:
    first = ready_app()
    async with first.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first.set_ready()
        for text in ["a neon city\nat night", "credits"]:
            first.prompt.value = text
            await pilot.press("enter")
            await pilot.pause()
    assert default_path().exists()
    second = ready_app()
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompt = second.prompt
        await type_text(pilot, "draft")
        await pilot.press("up")
        assert prompt.text == "credits"
        await pilot.press("up")
        assert prompt.text == "a neon city\nat night"
        assert prompt.cursor_location == (1, len("at night"))
        await pilot.press("up")  # on the second line: up moves the cursor first
        assert prompt.text == "a neon city\nat night" and prompt.cursor_location[0] == 0
        await pilot.press("down", "down")  # last line: the next entry
        assert prompt.text == "credits"
        await pilot.press("down")
        assert prompt.text == "draft"  # back to what was being typed


async def test_ctrl_r_finds_an_old_prompt() -> None:
    history = PromptHistory()
    for text in ["a neon city at night", "credits", "add neon rain", "export"]:
        history.add(text)
    app = PromptHost(history)
    async with app.run_test(size=(80, 30)) as pilot:
        prompt = app.prompt
        prompt.focus()
        await type_text(pilot, "unsent")
        await pilot.press("ctrl+r")
        await type_text(pilot, "neon")
        assert prompt.text == "add neon rain"
        assert "neon" in str(prompt.border_title)
        await pilot.press("ctrl+r")  # again: older
        assert prompt.text == "a neon city at night"
        await pilot.press("ctrl+r")  # nothing older: stays, says it failed
        assert prompt.text == "a neon city at night"
        assert "failing" in str(prompt.border_title)
        await pilot.press("enter")  # accept: the text stays to edit, nothing is sent
        assert prompt.text == "a neon city at night" and app.sent == []
        assert prompt.search is None and not prompt.border_title
        await pilot.press("enter")
        assert app.sent == ["a neon city at night"]
        # Esc cancels: the text from before the search comes back.
        prompt.value = "half typed"
        await pilot.press("ctrl+r", "c", "r", "e")
        assert prompt.text == "credits"
        await pilot.press("escape")
        assert prompt.text == "half typed" and prompt.search is None
        # Another key ends the search and acts on the text found (as in a shell).
        await pilot.press("ctrl+r", "e", "x", "p", "ctrl+a")
        assert prompt.text == "export" and prompt.cursor_location == (0, 0)


# --- the external editor -----------------------------------------------------------------------


def fake_editor(tmp_path: Path, body: str, code: int = 0) -> list[str]:
    script = tmp_path / "fake-editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "old = open(path, encoding='utf-8').read()\n"
        f"open(path, 'w', encoding='utf-8').write({body!r}.replace('OLD', old.strip()))\n"
        f"sys.exit({code})\n",
        "utf-8",
    )
    return [sys.executable, str(script)]


def test_edit_text_runs_the_editor_on_a_private_file(tmp_path: Path) -> None:
    command = fake_editor(tmp_path, "OLD\nand a second line\n")
    assert edit_text("a neon city", command, directory=tmp_path) == "a neon city\nand a second line"
    assert [p.name for p in tmp_path.iterdir()] == ["fake-editor.py"]  # the temp file is gone
    failing = fake_editor(tmp_path, "ignored", code=3)
    assert edit_text("keep me", failing, directory=tmp_path) is None
    assert edit_text("x", [str(tmp_path / "no-such-editor")], directory=tmp_path) is None


def test_editor_command_prefers_visual_then_editor() -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"EDITOR": "nano -w"}) == ["nano", "-w"]
    fallback = editor_command({})
    assert fallback is None or os.path.basename(fallback[0]) == "vi"


async def test_ctrl_x_ctrl_e_under_pilot_says_the_editor_needs_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EDITOR", " ".join(fake_editor(tmp_path, "changed")))
    app = ready_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await type_text(pilot, "keep")
        await pilot.press("ctrl+x", "ctrl+e")
        await pilot.pause()
        assert app.prompt.text == "keep"
        assert [n.message for n in app._notifications] == [NO_SUSPEND.format(newline="Ctrl+J")]
        titles = [
            title
            for title, _, _ in __import__(
                "artgen_tui.tui.commands", fromlist=["palette_entries"]
            ).palette_entries(app)
        ]
        assert "Edit prompt in $EDITOR" not in titles  # hidden where it cannot work
        # Ctrl+X then another key: the prefix is dropped and the key acts as usual.
        await pilot.press("ctrl+x", "ctrl+a")
        assert app.prompt.cursor_location == (0, 0)


# --- welcome and the picker's rules ------------------------------------------------------------


async def test_welcome_examples_fill_the_prompt() -> None:
    app = ready_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await greet(app.chat, app.key_of)
        await pilot.pause()
        welcome = app.chat.query_one(Welcome)
        buttons = list(welcome.query(Button))
        assert [b.name for b in buttons] == list(EXAMPLES)
        assert "F2" in str(welcome.query_one(".welcome-tip", Static).render())
        assert await pilot.click(buttons[1])
        await pilot.pause()
        assert app.prompt.text == EXAMPLES[1] and app.prompt.has_focus
        buttons[2].focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.prompt.text == EXAMPLES[2]
        await greet(app.chat, app.key_of)  # only once
        assert len(app.chat.query(Welcome)) == 1
        assert app.chat.messages() == []  # not a chat message


async def test_picker_shows_the_accepted_formats_and_the_size_limit(tmp_path: Path) -> None:
    app = ready_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(FilePickerScreen(tmp_path))
        await pilot.pause()
        line = str(app.screen.query_one("#picker-formats", Static).render())
        assert all(ext in line for ext in ACCEPTED_EXTENSIONS)
        assert "up to 200 MB a file" in line
