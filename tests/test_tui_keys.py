"""The key scheme: app actions on F-keys and the palette, never a key the prompt edits with;
``[keymap]`` by plain, quoted and dotted ids, unknown ids refused with the valid ones listed;
every hint follows a remap; the theme picked in the app is saved."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import textual.constants
from textual.binding import Binding
from textual.widgets import Button, Static

from artgen_tui.cli import main
from artgen_tui.config import Settings, load_settings, save_top_level_value
from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.tui import demo, demo_media
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.commands import palette_entries
from artgen_tui.tui.editor import NO_SUSPEND
from artgen_tui.tui.keys import (
    KeymapError,
    binding_ids,
    key_display,
    own_bindings,
    resolve_keymap,
)
from artgen_tui.tui.screens.file_picker import FilePickerScreen
from artgen_tui.tui.screens.help import HelpScreen
from artgen_tui.tui.theme_save import THEME_SAVE_DELAY
from artgen_tui.tui.widgets.prompt import PromptInput

SIZE = (120, 40)
EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


def app_with(**settings: Any) -> ArtgenApp:
    values: dict[str, Any] = {"api_url": "http://127.0.0.1:9", "theme": "textual-dark"}
    return ArtgenApp(Settings(**{**values, **settings}), autoconnect=False)


def app_bindings() -> list[Binding]:
    return own_bindings(ArtgenApp)


def implemented(app: ArtgenApp) -> list[Binding]:
    return [b for b in app_bindings() if hasattr(app, f"action_{b.action}")]


def prompt_keys() -> set[str]:
    """Every key the prompt handles itself: its bindings and Enter."""
    return PromptInput.editing_keys()


# --- the rule ----------------------------------------------------------------------------------


def test_no_app_key_is_a_prompt_editing_key() -> None:
    taken = prompt_keys()
    readline = {f"ctrl+{c}" for c in "abefkuwyhd"} | {"alt+b", "alt+f", "ctrl+r", "ctrl+j"}
    assert readline <= taken  # the prompt really handles the shell's keys
    for binding in app_bindings():
        keys = set(binding.key.split(","))
        # Esc cancels a reply; the prompt only uses it inside a reverse search.
        assert not (keys - {"escape"}) & taken, binding
        assert not any(len(k) == 1 for k in keys), binding


async def test_each_app_action_runs_from_its_key_and_from_the_palette() -> None:
    app = app_with()
    ran: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bindings = [b for b in implemented(app) if b.action != "quit"]
        assert {b.key for b in bindings} >= {"f1", "f2", "f5", "f6", "f8", "f9", "f10"}
        for binding in bindings:
            setattr(app, f"action_{binding.action}", lambda a=binding.action: ran.append(a))
        app.connect = lambda **_: None  # type: ignore[method-assign,assignment]  # no server here
        for binding in bindings:
            app.prompt.focus()
            await pilot.press(binding.key)
            await pilot.pause()
            assert ran[-1:] == [binding.action], binding
        ran.clear()
        for _title, _help, callback in palette_entries(app):
            callback()
        palette_only = {"cancel_turn", "focus_prompt"}  # Esc and Ctrl+L act where they are
        assert {b.action for b in bindings} - palette_only <= set(ran)
        # The palette itself, as a user opens it.
        ran.clear()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export video")
        await pilot.pause(0.5)
        await pilot.press("enter")
        for _ in range(40):
            if ran:
                break
            await pilot.pause(0.05)
        assert ran == ["export"]


async def test_f_keys_reach_the_real_screens() -> None:
    app = app_with()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.set_ready()
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, FilePickerScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("f8")
        assert app.timeline.has_focus
        await pilot.press("ctrl+l")
        assert app.prompt.has_focus
        await pilot.press("f6")  # no session yet: said so, nothing started
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Not connected yet."]


# --- the keymap --------------------------------------------------------------------------------


def test_keymap_takes_plain_quoted_and_dotted_ids(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[keymap]\nexport = "f12"\n"app.upload" = "f11,ctrl+g"\n'
        'app.help = "f3"\n"prompt.newline" = "ctrl+o"\n',
        "utf-8",
    )
    settings = load_settings(config)
    assert settings.keymap == {
        "export": "f12",
        "app.upload": "f11,ctrl+g",
        "app.help": "f3",
        "prompt.newline": "ctrl+o",
    }
    assert resolve_keymap(settings.keymap, binding_ids()) == {
        "app.export": "f12",
        "app.upload": "f11,ctrl+g",
        "app.help": "f3",
        "prompt.newline": "ctrl+o",
    }


def test_an_unknown_id_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(KeymapError) as caught:
        app_with(keymap={"expor": "f6", "export": "f12"})
    message = str(caught.value)
    assert "'expor'" in message and "\n" not in message
    for valid in ("export", "upload", "new_session", "prompt.newline", "prompt.search"):
        assert valid in message


def test_a_remap_onto_a_prompt_key_is_refused() -> None:
    with pytest.raises(KeymapError, match=r"ctrl\+a for both app\.export and the prompt's Start"):
        app_with(keymap={"export": "ctrl+a"})
    with pytest.raises(KeymapError, match=r"x \(app\.upload\) is a typed character"):
        app_with(keymap={"upload": "f11,x"})
    app_with(keymap={"prompt.newline": "ctrl+o", "export": "f12"})  # fine


def test_a_prompt_remap_onto_an_app_key_is_refused_naming_both() -> None:
    with pytest.raises(KeymapError) as caught:
        app_with(keymap={"prompt.search": "f6"})
    message = str(caught.value)
    assert "f6 for both app.export and prompt.search" in message and "\n" not in message
    with pytest.raises(KeymapError, match=r"ctrl\+l for both app\.prompt and prompt\.editor"):
        app_with(keymap={"prompt.editor": "ctrl+l"})
    # Both remapped onto one new key; and the key a remap frees is free for the other side.
    with pytest.raises(KeymapError, match=r"ctrl\+s for both app\.export and prompt\.search"):
        app_with(keymap={"prompt.search": "ctrl+s", "export": "ctrl+s"})
    app_with(keymap={"prompt.search": "f6", "export": "f12"})
    app_with(keymap={"prompt.search": "ctrl+s", "export": "ctrl+r"})


def test_an_unknown_id_stops_artgen_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nrefresh_credits = "ctrl+r"\n', "utf-8")
    assert main(["--config", str(config)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("artgen: [keymap]: unknown binding id")
    assert "'refresh_credits'" in err[0] and "credits" in err[0]


async def test_after_a_remap_every_hint_names_the_new_key() -> None:
    app = app_with(keymap={"export": "f12", "app.timeline": "f11", "prompt.newline": "ctrl+o"})
    async with app.run_test(size=SIZE) as pilot:
        await demo.scene_streamed_reply(pilot)
        await pilot.press("f12")  # the new key works, the old one does not
        await pilot.pause()
        helps = {title: text for title, text, _ in palette_entries(app)}
        assert helps["Export video"].endswith("(F12)")
        assert helps["Focus timeline"].endswith("(F11)")
        labels = [str(b.label) for b in app.chat.query(Button)]
        assert any("F12" in label for label in labels), labels
        assert not any("F6" in label for label in labels), labels
        assert "Ctrl+O new line" in app.prompt.placeholder
        assert "press F12" in str(app.jobs_panel.query_one("#jobs-empty", Static).render())
        await pilot.press("f1")
        await pilot.pause()
        keys = str(app.screen.query_one("#help-keys-0", Static).render())
        assert re.search(r"F12\s+Render and download\s+app\.export", keys), keys
        assert not re.search(r"F6\s", keys)
        prompt_keys_text = str(app.screen.query_one("#help-keys-1", Static).render())
        assert re.search(r"Ctrl\+O\s+New line\s+prompt\.newline", prompt_keys_text)


async def test_a_frame_strip_names_its_keys_as_remapped() -> None:
    app = app_with(keymap={"result.open": "enter", "result.copy": "y"})
    async with app.run_test(size=SIZE) as pilot:
        await demo_media.scene_preview(pilot)
        hint = str(app.chat.query_one(".strip-hint", Static).render())
        assert "focus it: Enter open · r reveal · y copy path" in hint, hint


async def test_remapped_prompt_keys_work_and_every_hint_names_them() -> None:
    history = PromptHistory()
    for text in ("a neon city at night", "credits", "add neon rain"):
        history.add(text)
    remaps = {"prompt.search": "ctrl+s", "prompt.editor": "ctrl+g", "prompt.newline": "ctrl+o"}
    app = ArtgenApp(
        Settings(api_url="http://127.0.0.1:9", theme="textual-dark", keymap=remaps),
        autoconnect=False,
        prompt_history=history,
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        prompt = app.prompt
        prompt.focus()
        await pilot.press("ctrl+s", *"neon")
        assert prompt.text == "add neon rain"
        assert str(prompt.border_subtitle).startswith("Ctrl+S older")
        await pilot.press("ctrl+s")  # the remapped key steps to an older match
        assert prompt.text == "a neon city at night" and prompt.search is not None
        await pilot.press("escape")
        assert prompt.text == "" and prompt.search is None
        await pilot.press("a", "ctrl+o", "b")
        assert prompt.text == "a\nb"
        await pilot.press("ctrl+g")
        assert str(prompt.border_subtitle) == "Ctrl+G: press Ctrl+E to edit in $EDITOR"
        await pilot.press("ctrl+e")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert said == [NO_SUSPEND.format(newline="Ctrl+O")] and "Ctrl+O adds a line" in said[0]
        await pilot.press("f1")
        await pilot.pause()
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Ctrl+S: type to search, Ctrl+S again for older" in shown
        assert "Ctrl+G then Ctrl+E opens the text" in shown
        assert "Ctrl+R" not in shown and "Ctrl+X" not in shown
        prompt_rows = str(app.screen.query_one("#help-keys-1", Static).render())
        assert re.search(r"Ctrl\+S\s+Search history\s+prompt\.search", prompt_rows)
        assert re.search(r"Ctrl\+G\s+Edit in \$EDITOR.*prompt\.editor", prompt_rows)


# --- every id listed ---------------------------------------------------------------------------


def example_keymap() -> dict[str, str]:
    """The commented-out ``[keymap]`` lines of config.example.toml, as TOML."""
    text = EXAMPLE.read_text("utf-8")
    block = text.split("# [keymap]\n", 1)[1].split("\n\n", 1)[0]
    lines = [ln.removeprefix("# ") for ln in block.splitlines() if re.match(r'# "?[\w.]+"? = ', ln)]
    return tomllib.loads("\n".join(lines))


def test_config_example_lists_every_binding_id_with_its_default_key() -> None:
    listed = example_keymap()
    resolved = resolve_keymap(listed, binding_ids())
    assert sorted(resolved) == sorted(binding_ids())
    defaults = {}
    from artgen_tui.tui.keys import artgen_classes

    for cls in artgen_classes():
        for binding in own_bindings(cls):
            if binding.id:
                defaults[binding.id] = binding.key
    assert resolved == {i: defaults[i] for i in resolved}


async def test_help_lists_every_binding_id_in_force() -> None:
    app = app_with()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        spaces = "|".join({i.split(".")[0] for i in binding_ids()})
        listed = set(re.findall(rf"\b(?:{spaces})\.[a-z_]+\b", shown))
        inert = {f"app.{b.id.split('.')[1]}" for b in app_bindings() if b not in implemented(app)}
        assert listed == set(binding_ids()) - inert


# --- the theme ---------------------------------------------------------------------------------


def test_save_top_level_value_keeps_comments_and_tables(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '# my settings\nlanguage = "en"  # mine\n\n[keymap]\nexport = "f12"\n', "utf-8"
    )
    save_top_level_value("theme", "nord", config)
    text = config.read_text("utf-8")
    assert text.startswith('# my settings\nlanguage = "en"  # mine\n\ntheme = "nord"\n[keymap]')
    save_top_level_value("theme", "gruvbox", config)
    assert tomllib.loads(config.read_text("utf-8")) == {
        "language": "en",
        "theme": "gruvbox",
        "keymap": {"export": "f12"},
    }
    assert "# my settings" in config.read_text("utf-8")


async def test_the_theme_picked_in_the_app_is_saved(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# chosen in the app\ntheme = "textual-dark"\n', "utf-8")
    app = ArtgenApp(load_settings(config, api_url="http://127.0.0.1:9"), autoconnect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for name in ("gruvbox", "dracula", "nord"):  # the picker previews as the user moves
            app.theme = name
            await pilot.pause()
        assert "textual-dark" in config.read_text("utf-8")  # not yet: the choice may go on
        await pilot.pause(THEME_SAVE_DELAY + 0.3)
        assert config.read_text("utf-8") == '# chosen in the app\ntheme = "nord"\n'
        app.theme = "textual-light"
    # Quitting right after a change still keeps it.
    assert config.read_text("utf-8") == '# chosen in the app\ntheme = "textual-light"\n'
    assert load_settings(config).theme == "textual-light"


def test_readme_key_table_matches_the_live_bindings() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    table = readme.split("## Keys\n", 1)[1].split("\n\n", 2)[1]
    rows = [r.split("|")[1:-1] for r in table.splitlines()[2:]]
    by_id = {b.id: b for b in app_bindings()}
    checked = 0
    for key, _what, plain in rows:
        plain = plain.strip().strip("`")
        if plain:
            binding = by_id[f"app.{plain}"]
            assert key.strip() == key_display(binding.key.split(",")[0]), (key, binding)
            checked += 1
    app = app_with()
    assert checked == len([b for b in implemented(app)])
    assert "Ctrl+P" in table and key_display(ArtgenApp.COMMAND_PALETTE_BINDING) == "Ctrl+P"


def test_a_theme_line_that_cannot_be_edited_in_place_falls_back_to_a_rewrite(
    tmp_path: Path,
) -> None:
    """A multi-line string cannot be replaced line by line: the file is rewritten with every
    setting kept, comments lost (what tomli-w can do)."""
    config = tmp_path / "config.toml"
    config.write_text('# gone after\ntheme = """textual-dark\n"""\nlanguage = "en"\n', "utf-8")
    save_top_level_value("theme", "nord", config)
    assert tomllib.loads(config.read_text("utf-8")) == {"theme": "nord", "language": "en"}
    assert "#" not in config.read_text("utf-8")
