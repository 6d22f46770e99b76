"""The greeting on a new, empty session: one line and three example prompts to start from.

Choosing an example (click, or Enter on the focused button) posts
:class:`Welcome.ExampleChosen`; the app puts the text in the prompt, to edit or send.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from artgen_tui.tui.keys import key_display
from artgen_tui.tui.widgets.chat_log import ChatLog, Notice

GREETING = "Hi! Describe the video you want and artgen makes it. Start from an example:"

EXAMPLES = (
    "a neon city at night in the rain, 10 seconds, synthwave music",
    "a calm ocean at sunrise with the title 'Good Morning', 8 seconds",
    "turn my uploaded photos into a 15-second slideshow with soft piano",
)


def tip(key_of: Callable[[str], str]) -> str:
    """What to do next, naming the keys bound now."""
    upload, help_key = key_display(key_of("upload")), key_display(key_of("help"))
    return f"Enter sends · {upload} uploads your own media · {help_key} lists every key"


class Welcome(Vertical):
    """The greeting; not a chat message (it is not copied, counted or kept in the transcript)."""

    DEFAULT_CSS = """
    Welcome {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border-left: outer $accent;
        & > .welcome-greeting { text-style: bold; }
        & > Button {
            margin: 0 0 0 2;
            width: 1fr;
            content-align: left middle;
            text-align: left;
        }
        & > .welcome-tip { color: $text-muted; }
    }
    """

    class ExampleChosen(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, hint: str) -> None:
        super().__init__(id="welcome")
        self._hint = hint

    def compose(self) -> ComposeResult:
        yield Static(Content(GREETING), classes="welcome-greeting")
        for number, example in enumerate(EXAMPLES, 1):
            yield Button(
                Content(f"{number}. {example}"),
                name=example,
                compact=True,
                classes="welcome-example",
            )
        yield Static(Content(self._hint), classes="welcome-tip")

    @on(Button.Pressed, ".welcome-example")
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name:
            self.post_message(self.ExampleChosen(event.button.name))


async def greet(chat: ChatLog, key_of: Callable[[str], str]) -> None:
    """Greet on an empty session (a resumed one keeps its conversation instead). Notices do not
    count: a new session from F10 starts with "Started a new session", then the greeting."""
    talked = any(not isinstance(m, Notice) for m in chat.messages())
    if talked or chat.query(Welcome):
        return
    await chat.mount(Welcome(tip(key_of)))
