"""F1: every key (with the user's remaps and its keymap id) and every slash command."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from artgen_tui.core.intents import SLASH_COMMANDS
from artgen_tui.tui.keys import (
    KeyRow,
    artgen_classes,
    binding_rows,
    bound_key,
    key_display,
    load_every_screen,
    own_bindings,
    shell_keys,
)
from artgen_tui.tui.widgets.prompt import PromptInput

TYPED_WORDS = (
    "Typed on their own, these run locally too: export · 导出 · download, credits · 积分 · "
    "balance · 余额, status · 状态 · show tracks, upload · 上传. Anything else goes to the agent."
)

REMAP = (
    "Remap any key in config.toml under [keymap]: the app's keys by plain id "
    '(export = "f6"), the others by quoted full id ("prompt.newline" = "ctrl+j"). '
    "Several keys: a comma-separated list."
)


def key_rows(rows: list[KeyRow]) -> str:
    width = max((len(r.key) for r in rows), default=0)
    what = max((len(r.what) for r in rows), default=0)
    return "\n".join(f"  {r.key.ljust(width)}  {r.what.ljust(what)}  {r.id}".rstrip() for r in rows)


def slash_rows() -> str:
    width = max(len(c.usage) for c in SLASH_COMMANDS.values())
    return "\n".join(f"  {c.usage.ljust(width)}  {c.help}" for c in SLASH_COMMANDS.values())


def sections(keymap: Mapping[str, str], palette_key: str) -> list[tuple[str, list[KeyRow]]]:
    """(heading, rows) for the app's keys, the prompt's, and those of focused panels."""
    app_rows: list[KeyRow] = []
    prompt_rows: list[KeyRow] = []
    other_rows: list[KeyRow] = []
    load_every_screen()
    for cls in artgen_classes():
        bindings = [b for b in own_bindings(cls) if _implemented(cls, b.action)]
        rows = binding_rows(bindings, keymap)
        if cls.__name__.endswith("App"):
            app_rows += rows
        elif cls.__name__ == "PromptInput":
            prompt_rows += [r for r, b in zip(rows, bindings, strict=True) if _listed(b)]
        else:
            other_rows += [r for r in rows if r.id and r not in other_rows]
    app_rows.append(KeyRow(key_display(palette_key), "Command palette (every action)"))
    return [
        ("Keys", app_rows),
        ("In the prompt", prompt_rows),
        ("On a focused panel or screen", other_rows),
    ]


def _listed(binding: Binding) -> bool:
    """The prompt's remappable keys and its shell keys; plain arrows and selection are noted
    once instead of row by row."""
    keys = binding.key.split(",")
    return bool(binding.id) or any(
        k.startswith(("ctrl+", "alt+"))
        and "shift+" not in k
        and "left" not in k
        and "right" not in k
        for k in keys
    )


def _implemented(cls: type, action: str) -> bool:
    """A key is listed once its action exists (a screen still to come is not)."""
    if action.startswith("app."):
        from textual.app import App

        cls = App  # an app action named by a screen (``app.pop_screen``): Textual's own
    name = action.split("(")[0].removeprefix("app.")
    return hasattr(cls, f"action_{name}") or hasattr(cls, f"_action_{name}")


class HelpScreen(ModalScreen[None]):
    """Lists the keys in force now (``keymap``: full id → keys) and the slash commands."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical {
            width: 90%;
            max-width: 110;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        .help-heading { text-style: bold; color: $accent; padding-top: 1; }
        .help-note { color: $text-muted; }
    }
    """

    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="help.close")]

    def __init__(self, keymap: Mapping[str, str], palette_key: str = "ctrl+p") -> None:
        super().__init__()
        self._keymap = dict(keymap)
        self._palette_key = palette_key

    def compose(self) -> ComposeResult:
        with Vertical(), VerticalScroll():
            for index, (heading, rows) in enumerate(sections(self._keymap, self._palette_key)):
                yield Static(Content(heading), classes="help-heading")
                yield Static(Content(key_rows(rows)), id=f"help-keys-{index}")
                if heading == "In the prompt":
                    yield Static(Content(self._shell_keys()), classes="help-note")
            yield Static(Content(REMAP), classes="help-note")
            yield Static(Content("Slash commands"), classes="help-heading")
            yield Static(Content(slash_rows()), id="help-commands")
            yield Static(Content(TYPED_WORDS), classes="help-note")
        yield Footer()

    def _shell_keys(self) -> str:
        prompt = own_bindings(PromptInput)
        return shell_keys(lambda action: bound_key(prompt, self._keymap, action))

    def action_close(self) -> None:
        self.dismiss(None)
