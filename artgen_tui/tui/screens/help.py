"""F1: every key (with the user's remaps) and every slash command."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from artgen_tui.core.intents import SLASH_COMMANDS

TYPED_WORDS = (
    "Typed on their own, these run locally too: export · 导出 · download, credits · 积分 · "
    "balance · 余额, status · 状态 · show tracks, upload · 上传. Anything else goes to the agent."
)


def key_rows(app_bindings: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in app_bindings), default=0)
    return "\n".join(f"  {key.ljust(width)}  {desc}" for key, desc in app_bindings)


def slash_rows() -> str:
    width = max(len(c.usage) for c in SLASH_COMMANDS.values())
    return "\n".join(f"  {c.usage.ljust(width)}  {c.help}" for c in SLASH_COMMANDS.values())


class HelpScreen(ModalScreen[None]):
    """Lists ``keys`` ((key, description) pairs) and the slash commands."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical {
            width: 90%;
            max-width: 96;
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

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(), VerticalScroll():
            yield Static(Content("Keys"), classes="help-heading")
            yield Static(Content(key_rows(self._keys)), id="help-keys")
            yield Static(
                Content(
                    "On a focused message: c copies it. In Exports: c copy URL, x cancel, r retry."
                ),
                classes="help-note",
            )
            yield Static(Content("Slash commands"), classes="help-heading")
            yield Static(Content(slash_rows()), id="help-commands")
            yield Static(Content(TYPED_WORDS), classes="help-note")
            yield Static(
                Content('Remap any key in config.toml: [keymap] app.export = "f6".'),
                classes="help-note",
            )
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
