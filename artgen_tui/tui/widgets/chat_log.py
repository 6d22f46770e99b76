"""The chat log: user messages, streamed replies, dim markers and action hints.

Streaming cost model (see ``bench/stream.py``): Textual's ``Markdown`` relayouts every mounted
block on each append, so a reply is split into *segments*. Only the last segment is a live
``Markdown`` fed through ``Markdown.get_stream``; chunk writes are coalesced and flushed at most
every :attr:`Reply.FLUSH_INTERVAL` seconds. When the live segment passes :attr:`Reply.SEGMENT_CHARS`
it is cut at a paragraph boundary outside a code fence, finished with one full ``update()`` and
replaced by a static render, so the number of live blocks stays small however long the reply is.
Older messages beyond :attr:`ChatLog.MAX_LIVE` collapse to plain, cheap ``Static`` text.
Server text is never interpreted as Textual markup.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from rich.markdown import Markdown as RichMarkdown
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Markdown, Static
from textual.widgets._markdown import MarkdownStream

_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


def _inside_fence(text: str, upto: int) -> bool:
    return len(_FENCE.findall(text, 0, upto)) % 2 == 1


def find_cut(text: str, minimum: int) -> int:
    """The end of the first paragraph boundary at or after ``minimum`` that is outside a code
    fence, or -1. The boundary is a blank line; the cut keeps it with the head."""
    start = minimum
    while True:
        pos = text.find("\n\n", start)
        if pos < 0:
            return -1
        end = pos + 2
        if not _inside_fence(text, end):
            return end
        start = end


_PARSER = MarkdownIt().enable("strikethrough").enable("table")


class _RichMarkdown(RichMarkdown):
    """Rich's Markdown with one shared parser (building a parser per render is slow)."""

    def __init__(self, markup: str) -> None:
        self.markup = markup
        self.parsed = _PARSER.parse(markup)
        self.code_theme = "monokai"
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = "monokai"


class StaticMarkdown(Widget):
    """Finished Markdown drawn once per width and kept as lines: no child widgets at all."""

    DEFAULT_CSS = """
    StaticMarkdown { height: auto; }
    """

    def __init__(self, source: str, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.source = source
        self._cache_key: tuple[int, str] | None = None
        self._lines: list[Strip] = []

    def _render_at(self, width: int) -> list[Strip]:
        style = self.rich_style
        key = (width, str(style))
        if key != self._cache_key:
            console = self.app.console
            options = console.options.update(width=width, height=None, highlight=False)
            lines = console.render_lines(_RichMarkdown(self.source), options, style=style)
            self._lines = [Strip(line, width) for line in lines]
            self._cache_key = key
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._render_at(max(1, width)))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        lines = self._render_at(max(1, width))
        return lines[y] if 0 <= y < len(lines) else Strip.blank(width, self.rich_style)


class ChatMessage(Vertical, can_focus=True):
    """One entry of the log. Focus it and press ``c`` to copy its text (OSC 52)."""

    BINDINGS = [
        Binding("c", "copy", "Copy message", id="message.copy"),
    ]

    def __init__(self, text: str = "", *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.", title="Copied", timeout=2)

    def collapse(self) -> None:
        """Replace heavy children by one plain ``Static`` (used for old messages)."""
        if self.has_class("-collapsed"):
            return
        self.add_class("-collapsed")
        self.remove_children()
        self.mount(Static(Content(self.text), classes="collapsed-body"))


class UserMessage(ChatMessage):
    def __init__(self, text: str) -> None:
        super().__init__(text, classes="user")

    def compose(self) -> ComposeResult:
        yield Static(Content(self.text), classes="user-body")


class Notice(ChatMessage):
    """A one-line dim marker (tool activity, "Still working…") or a plain notice."""

    def __init__(self, text: str, *, kind: str = "marker") -> None:
        super().__init__(text, classes=f"notice -{kind}")

    def compose(self) -> ComposeResult:
        yield Static(Content(self.text), classes="notice-body")


class ActionHint(Horizontal):
    """Buttons under a reply for GUI phrases such as "click Export"."""

    class Chosen(Message):
        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind

    def __init__(self, actions: Sequence[tuple[str, str, str]]) -> None:
        """``actions`` are (kind, label, key hint) triples."""
        super().__init__(classes="action-hint")
        self._actions = list(actions)

    def compose(self) -> ComposeResult:
        for kind, label, key in self._actions:
            text = f"{label} ({key})" if key else label
            yield Button(Content(text), name=kind, compact=True, classes="action-button")

    @on(Button.Pressed, ".action-button")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name:
            self.post_message(self.Chosen(event.button.name))


class Reply(ChatMessage):
    """An agent reply, streamed in segments (see the module docstring)."""

    FLUSH_INTERVAL = 0.08
    SEGMENT_CHARS = 600

    def __init__(self, text: str = "") -> None:
        super().__init__(text, classes="reply")
        self._segment_text = ""
        self._pending: list[str] = []
        self._flush_scheduled = False
        self._live: Markdown | None = None
        self._stream: MarkdownStream | None = None
        self._finished = False
        self._initial = text
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        if self._initial:
            self._finished = True
            self._segment_text = self._initial
            yield Markdown(self._initial, classes="segment", open_links=False)

    @property
    def streaming(self) -> bool:
        return not self._finished

    def write(self, chunk: str) -> None:
        """Queue a chunk; it is shown at the next flush."""
        if self._finished or not chunk:
            return
        self._text += chunk
        self._pending.append(chunk)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(self.FLUSH_INTERVAL, self._flush)

    async def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._pending or self._finished:
            return
        async with self._lock:
            text = "".join(self._pending)
            self._pending.clear()
            if text:
                await self._append(text)

    async def _append(self, text: str) -> None:
        combined = self._segment_text + text
        written = len(self._segment_text)
        sealed: list[str] = []
        while len(combined) > self.SEGMENT_CHARS:
            cut = find_cut(combined, max(written, self.SEGMENT_CHARS // 2))
            if cut < 0:
                break
            sealed.append(combined[:cut])
            combined, written = combined[cut:], 0
        if sealed:
            await self._seal(sealed)
        await self._write_live(combined[written:] if not sealed else combined)

    async def _write_live(self, text: str) -> None:
        if not text:
            return
        if self._live is None:
            self._live = Markdown(classes="segment -live", open_links=False)
            await self.mount(self._live)
            self._stream = Markdown.get_stream(self._live)
        assert self._stream is not None
        self._segment_text += text
        await self._stream.write(text)

    async def _seal(self, sources: list[str]) -> None:
        """Replace the live segment by static renders of the finished ``sources``.

        Text that arrived faster than it could be shown goes straight to a static render."""
        live, stream = self._live, self._stream
        self._live, self._stream, self._segment_text = None, None, ""
        if stream is not None:
            await stream.stop()
        statics = [StaticMarkdown(src, classes="segment -sealed") for src in sources]
        if live is not None:
            await self.mount_all(statics, before=live)
            await live.remove()
        else:
            await self.mount_all(statics)

    async def finish(self) -> None:
        """Flush everything and finish the live segment with one full ``update()``."""
        async with self._lock:
            await self._finish()

    async def _finish(self) -> None:
        if self._finished:
            return
        pending = "".join(self._pending)
        self._pending.clear()
        if pending:
            await self._append(pending)
        self._finished = True
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if self._live is not None:
            self._live.remove_class("-live")
            await self._live.update(self._segment_text)

    async def cancel(self) -> None:
        """Stop streaming without waiting for more text (the text so far stays)."""
        await self.finish()


class ChatLog(VerticalScroll, can_focus=False):
    """The scrolling conversation. Follows the bottom only while the user is there."""

    MAX_LIVE = 40

    def on_mount(self) -> None:
        self.anchor()

    async def _add(self, widget: Widget) -> None:
        await self.mount(widget)
        self._trim()

    def _trim(self) -> None:
        messages = [c for c in self.children if isinstance(c, ChatMessage)]
        excess = len(messages) - self.MAX_LIVE
        for old in messages[: max(0, excess)]:
            if not (isinstance(old, Reply) and old.streaming):
                old.collapse()

    async def add_user(self, text: str) -> UserMessage:
        msg = UserMessage(text)
        await self._add(msg)
        return msg

    async def add_reply(self, text: str = "") -> Reply:
        """A new reply; empty ``text`` starts a streaming reply."""
        reply = Reply(text)
        await self._add(reply)
        return reply

    async def add_notice(self, text: str, kind: str = "marker") -> Notice:
        """``kind``: ``marker`` (dim tool line), ``working``, ``info``, ``warning`` or ``error``."""
        notice = Notice(text, kind=kind)
        await self._add(notice)
        return notice

    async def add_actions(self, actions: Sequence[tuple[str, str, str]]) -> ActionHint:
        hint = ActionHint(actions)
        await self.mount(hint)
        return hint

    def messages(self) -> list[ChatMessage]:
        return [c for c in self.children if isinstance(c, ChatMessage)]

    def clear_log(self) -> None:
        self.remove_children()
