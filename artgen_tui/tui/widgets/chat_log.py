"""The chat log: user messages, streamed replies, dim markers and action hints.

Streaming cost model (measured by ``bench/stream.py``): Textual's ``Markdown`` mounts, styles and
lays out a widget per block, several milliseconds each, so a reply streamed into ``Markdown`` at an
agent's pace keeps the event loop busy most of the time. Here a reply keeps only its *tail* live:

* chunk writes are coalesced and shown at most every :attr:`Reply.FLUSH_INTERVAL` seconds;
* the unsealed text is cut at a paragraph boundary outside a code fence once it holds
  :attr:`Reply.SEGMENT_CHARS`; the finished part moves to a :class:`SealedMarkdown`, one widget drawn
  as plain lines by :mod:`.markdown_lite` (it keeps the parts' text and the lines of the few parts
  drawn last, not every line);
* until then the tail is a live ``Markdown`` (fed through ``Markdown.get_stream``). Once a part is
  sealed, a tail that changes with every flush of a steady stream is drawn by the
  :class:`SealedMarkdown` itself, below its parts: a flush lays out a few lines and mounts nothing.
  Text that comes after a quiet moment (:attr:`Reply.STEADY_GAP`) goes to a live ``Markdown`` again;
* text that arrives faster than it can be shown skips the live view and is sealed in bounded
  steps (:attr:`Reply.MAX_FLUSH_CHARS` a frame), so no single frame does unbounded work;
* a short reply ends with one full ``Markdown.update()``; messages beyond
  :attr:`ChatLog.MAX_LIVE` collapse to one cheap widget each.

Memory over a long session: the log keeps every entry's data (a small :class:`Entry`) but mounts
only a window of at most :attr:`ChatLog.max_mounted` of them. Older ones are unmounted as new ones
arrive; scrolling to the top (or clicking the "earlier messages" line) mounts the previous page
again, collapsed, and a window moved back that far unmounts the newest, which scrolling to the
bottom brings back. A new message always lands in a window at the tail.

Server text is never interpreted as Textual markup.
"""

from __future__ import annotations

import asyncio
import re
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import ComposeResult, RenderResult
from textual.await_remove import AwaitRemove
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import Click, MouseScrollDown, MouseScrollUp
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Static

from artgen_tui.api.untrusted import clean, clean_line
from artgen_tui.tui.messages import ActionChosen
from artgen_tui.tui.widgets.markdown_lite import LiteStyles
from artgen_tui.tui.widgets.markdown_lite import render as lite_render

W = TypeVar("W", bound=Widget)

# The Markdown widget (and markdown-it) load with the first reply, not before the first frame.
if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

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


async def next_frame(widget: Widget, timeout: float) -> None:
    """Wait until the screen has drawn what was laid out so far (or ``timeout`` seconds)."""
    drawn = asyncio.get_running_loop().create_future()

    def mark() -> None:
        if not drawn.done():
            drawn.set_result(None)

    # The app's queue, not the widget's: its own queue may be busy (a reply running a flush).
    widget.app.call_after_refresh(mark)
    await asyncio.wait({drawn}, timeout=timeout)


class SealedMarkdown(Widget):
    """A long reply drawn by :mod:`markdown_lite` as lines, no children: its finished part
    (whole paragraphs, only ever appended, so laid out incrementally) and, while it streams, the
    unfinished *tail* after it (laid out again on each change; sealing keeps it short). A width or
    theme change lays everything out again."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sealed--heading",
        "sealed--code",
        "sealed--inline-code",
        "sealed--bullet",
        "sealed--quote",
        "sealed--link",
    }

    DEFAULT_CSS = """
    SealedMarkdown {
        height: auto;
        & > .sealed--heading { color: $markdown-h2-color; text-style: bold underline; }
        & > .sealed--code { background: $boost; color: $text-muted; }
        & > .sealed--inline-code { color: $accent; }
        & > .sealed--bullet { color: $text-accent; text-style: bold; }
        & > .sealed--quote { color: $text-muted; text-style: italic; }
        & > .sealed--link { color: $text-accent; text-style: underline; }
    }
    """

    PART_CACHE = 8
    """Parts whose lines are kept. The others are laid out again when drawn: a long reply keeps
    its text, not thousands of lines (each line Textual has drawn holds a dozen objects that
    only a full garbage collection frees)."""

    def __init__(self, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self._parts: list[str] = []
        self._starts: list[int] = []
        """First line of each laid-out part at :attr:`_key` (the next part starts at
        :attr:`_height`)."""
        self._height = 0
        self._key: tuple[int, str, str] | None = None
        self._cache: OrderedDict[int, list[Strip]] = OrderedDict()
        """The lines of the parts drawn last (by index), at most :attr:`PART_CACHE`."""
        self._tail = ""
        self._tail_strips: list[Strip] | None = None
        """The tail's lines for :attr:`_key`; ``None``: to lay out again."""
        self._lite = LiteStyles()
        self._base = Style()
        self._style_dirty = True

    @property
    def source(self) -> str:
        """The finished part (the tail is not in it until it is appended)."""
        return "".join(self._parts)

    @property
    def tail(self) -> str:
        return self._tail

    def append(self, source: str) -> None:
        if source.strip():
            self._parts.append(source)
            self.refresh(layout=True)

    def set_tail(self, source: str) -> None:
        """Show ``source`` after the finished part (replacing the previous tail)."""
        if source != self._tail:
            self._tail = source
            self._tail_strips = None
            self.refresh(layout=True)

    def _styles(self, base: Style) -> LiteStyles:
        def get(name: str) -> Style:
            return base + self.get_component_rich_style(f"sealed--{name}", partial=True)

        return LiteStyles(
            base=base,
            heading=get("heading"),
            code=get("code"),
            inline_code=get("inline-code"),
            bullet=get("bullet"),
            quote=get("quote"),
            link=get("link"),
            rule=base,
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_dirty = True

    def _layout(self, source: str, width: int, *, after: bool) -> list[Strip]:
        """``source`` as strips ``width`` cells wide; ``after``: a blank line first when it
        follows other lines (as between paragraphs)."""
        base = self._base
        lines = lite_render(source, width, self._lite)
        if after and lines:
            lines.insert(0, [])
        strips: list[Strip] = []
        for segments in lines:
            used = sum(segment.cell_length for segment in segments)
            if used < width:
                segments.append(Segment(" " * (width - used), base))
            strips.append(Strip(segments, max(used, width)))
        return strips

    def _measure(self, width: int) -> list[Strip]:
        """Lay out what is new at ``width`` (the parts only counted); returns the tail's lines."""
        theme = self.app.theme
        if self._style_dirty:
            self._style_dirty = False
            self._base = self.rich_style
        key = (width, theme, str(self._base))
        if key != self._key:
            self._key, self._starts, self._height, self._tail_strips = key, [], 0, None
            self._cache.clear()
            self._lite = self._styles(self._base)
        while len(self._starts) < len(self._parts):
            index = len(self._starts)
            self._starts.append(self._height)
            self._height += len(self._part_lines(index, width))
            self._tail_strips = None
        if self._tail_strips is None:
            tail = self._tail if self._tail.strip() else ""
            after = self._height > 0
            self._tail_strips = self._layout(tail, width, after=after) if tail else []
        return self._tail_strips

    def _part_lines(self, index: int, width: int) -> list[Strip]:
        lines = self._cache.get(index)
        if lines is None:
            after = self._starts[index] > 0
            lines = self._cache[index] = self._layout(self._parts[index], width, after=after)
            if len(self._cache) > self.PART_CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        tail = self._measure(max(1, width))
        return self._height + len(tail)

    def render_line(self, y: int) -> Strip:
        width = max(1, self.content_size.width)
        tail = self._measure(width)
        if 0 <= y < self._height:
            index = bisect_right(self._starts, y) - 1
            return self._part_lines(index, width)[y - self._starts[index]]
        if 0 <= y - self._height < len(tail):
            return tail[y - self._height]
        return Strip.blank(width, self._base)


class ChatMessage(Widget, can_focus=True):
    """One entry of the log. Focus it and press ``c`` to copy its text (OSC 52).

    An entry with no child widgets (a user message, a notice, any collapsed entry) draws its text
    itself: one widget instead of a container and a ``Static``. Every layout of the screen walks
    every mounted widget, so the chat's window costs half as much to lay out."""

    DEFAULT_CSS = """
    ChatMessage { height: auto; }
    """

    BINDINGS = [
        Binding("c", "copy", "Copy message", id="message.copy"),
    ]

    def __init__(self, text: str = "", *, classes: str = "", collapsed: bool = False) -> None:
        super().__init__(classes=f"{classes} -collapsed" if collapsed else classes)
        self._text = clean(text, None)  # server text is drawn: no control sequence gets through

    @property
    def collapsed(self) -> bool:
        return self.has_class("-collapsed")

    @property
    def text(self) -> str:
        return self._text

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.", title="Copied", timeout=2)

    def render(self) -> RenderResult:
        if self._nodes:  # a container (a reply, a strip): its children draw it
            return super().render()
        return Content(self.text)

    def collapse(self) -> None:
        """Drop heavy children: the entry draws its plain text (used for old messages)."""
        if self.has_class("-collapsed"):
            return
        self.add_class("-collapsed")  # only its colour changes: no layout for a plain entry
        if self._nodes:
            self.remove_children()
            self.refresh(layout=True)


class UserMessage(ChatMessage):
    def __init__(self, text: str, *, collapsed: bool = False) -> None:
        super().__init__(text, classes="user", collapsed=collapsed)


class Notice(ChatMessage):
    """A one-line dim marker (tool activity, "Still working…") or a plain notice."""

    def __init__(self, text: str, *, kind: str = "marker", collapsed: bool = False) -> None:
        super().__init__(text, classes=f"notice -{kind}", collapsed=collapsed)
        self.kind = kind


class ActionHint(Horizontal):
    """Buttons under a reply for GUI phrases such as "click Export"."""

    DEFAULT_CSS = """
    ActionHint { height: auto; }
    """

    def __init__(self, actions: Sequence[tuple[str, str, str]]) -> None:
        """``actions`` are (kind, label, key hint) triples."""
        super().__init__(classes="action-hint")
        self.actions = tuple(actions)

    def compose(self) -> ComposeResult:
        for kind, label, key in self.actions:
            text = clean_line(f"{label} ({key})" if key else label)
            yield Button(Content(text), name=kind, compact=True, classes="action-button")

    @on(Button.Pressed, ".action-button")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name:
            self.post_message(ActionChosen(event.button.name))


class Reply(ChatMessage):
    """An agent reply, streamed in segments (see the module docstring).

    State while streaming: ``_sealed`` holds finished paragraphs (drawn cheaply), ``_segment_text``
    is the unsealed text shown after them (by ``_sealed`` as its tail, or by ``_live``, a
    ``Markdown`` fed through ``Markdown.get_stream``), and ``_held`` is text that arrived but is not
    shown yet because the display is catching up with a backlog.
    """

    FLUSH_INTERVAL = 0.08
    """Chunk writes are coalesced and shown at most this often (seconds)."""
    SEGMENT_CHARS = 600
    """The live ``Markdown`` is cut (at a paragraph boundary) once it holds this much text."""
    MAX_FLUSH_CHARS = 4000
    """At most this much new text is laid out per flush, so one frame never stalls input."""
    FRAME_WAIT = 0.1
    """Longest wait for the next frame while working off a backlog (seconds)."""
    STEADY_GAP = 0.5
    """A flush within this long after the previous one is part of a steady stream (seconds)."""

    def __init__(self, text: str = "", *, collapsed: bool = False) -> None:
        super().__init__(text, classes="reply", collapsed=collapsed and bool(text))
        self._segment_text = ""
        self._held = ""
        self._pending: list[str] = []
        self._flush_scheduled = False
        self._live: Markdown | None = None
        self._sealed: SealedMarkdown | None = None
        self._stream: MarkdownStream | None = None
        self._finished = False
        self._initial = self._text
        self._chunks: list[str] = []
        self._lock = asyncio.Lock()
        self._last_flush = -float("inf")

    def compose(self) -> ComposeResult:
        if self._initial:
            self._finished = True
            if self.collapsed or len(self._initial) > self.SEGMENT_CHARS:
                sealed = SealedMarkdown(classes="segment -sealed")
                sealed.append(self._initial)
                yield sealed
            else:
                from textual.widgets import Markdown

                yield Markdown(self._initial, classes="segment", open_links=False)

    @property
    def streaming(self) -> bool:
        return not self._finished

    @property
    def text(self) -> str:
        """The whole reply so far (chunks are joined on demand: appending stays O(1))."""
        if self._chunks:
            self._text += "".join(self._chunks)
            self._chunks.clear()
        return self._text

    def write(self, chunk: str) -> None:
        """Queue a chunk; it is shown at the next flush."""
        if self._finished or not chunk:
            return
        chunk = clean(chunk, None)  # only control characters change: the Markdown still renders
        self._chunks.append(chunk)
        self._pending.append(chunk)
        self._schedule(self.FLUSH_INTERVAL)

    async def _next_frame(self) -> None:
        """Wait until the screen has drawn what was just laid out (or :attr:`FRAME_WAIT`)."""
        await next_frame(self, self.FRAME_WAIT)

    def _schedule(self, delay: float) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(delay, self._flush)

    async def _flush(self) -> None:
        self._flush_scheduled = False
        if self._finished or self._lock.locked():
            return  # finish() is showing everything
        async with self._lock:
            if self._finished:
                return
            incoming = self._held + "".join(self._pending)
            self._pending.clear()
            self._held = ""
            if not incoming:
                return
            now = time.monotonic()
            steady = now - self._last_flush < self.STEADY_GAP
            self._last_flush = now
            head, later = incoming[: self.MAX_FLUSH_CHARS], incoming[self.MAX_FLUSH_CHARS :]
            await self._append(head, live=not later, steady=steady)
            if later:
                self._held += later
                self._flush_scheduled = True
                self.call_after_refresh(self._flush)

    async def _append(self, text: str, *, live: bool, steady: bool = True) -> None:
        """Seal every complete segment in ``_segment_text + text``; the rest is shown as the tail
        when ``live`` (caught up), else it waits in ``_held``. ``steady``: the text is part of a
        steady stream (see :meth:`_write_live`)."""
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
        rest = combined[written:]
        if live:
            await self._write_live(rest, steady=steady)
        else:
            self._held = rest + self._held

    async def _write_live(self, text: str, *, steady: bool) -> None:
        """Show ``text`` after what is shown. Before anything is sealed (a short reply so far)
        the tail is a live ``Markdown``. Once a part is sealed, a tail that changes with every
        flush of a steady stream is drawn by the sealed widget's fast renderer instead: a flush
        then lays out the tail's few lines and mounts nothing, where ``Markdown`` would mount,
        style and lay out a widget per block. Text that comes after a quiet moment (no flush for
        :attr:`STEADY_GAP`) is shown by ``Markdown`` again, as a short reply is."""
        if not text:
            return
        if self._sealed is not None and steady:
            await self._drop_live()
            self._segment_text += text
            self._sealed.set_tail(self._segment_text)
            return
        if self._live is None:
            from textual.widgets import Markdown

            classes = "segment -live -after-sealed" if self._sealed else "segment -live"
            self._live = Markdown(classes=classes, open_links=False)
            await self.mount(self._live)
            self._stream = Markdown.get_stream(self._live)
            if self._sealed is not None:
                self._sealed.set_tail("")  # the live Markdown takes the tail over
                text = self._segment_text + text
                self._segment_text = ""
        assert self._stream is not None
        self._segment_text += text
        await self._stream.write(text)

    async def _drop_live(self) -> None:
        """Remove the live ``Markdown`` (its text stays in ``_segment_text``)."""
        live, stream = self._live, self._stream
        self._live = self._stream = None
        if stream is not None:
            await stream.stop()
        if live is not None:
            await live.remove()

    async def _ensure_sealed(self) -> SealedMarkdown:
        if self._sealed is None:
            self._sealed = SealedMarkdown(classes="segment -sealed")
            if self._live is not None:
                await self.mount(self._sealed, before=self._live)
            else:
                await self.mount(self._sealed)
        return self._sealed

    async def _seal(self, sources: list[str]) -> None:
        """Move finished paragraphs (the tail's and any that arrived with them) into the sealed
        part; text that arrived faster than it could be shown never goes live."""
        sealed = await self._ensure_sealed()
        self._segment_text = ""
        sealed.set_tail("")
        for source in sources:
            sealed.append(source)
        await self._drop_live()

    async def finish(self) -> None:
        """Show all remaining text. A short reply's live ``Markdown`` gets one full ``update()``
        (clearing any partial-parse state); a long reply's tail joins the sealed part. A backlog
        is worked off in bounded steps, a frame apart, so the screen stays responsive."""
        async with self._lock:
            if self._finished:
                return
            self._held += "".join(self._pending)
            self._pending.clear()
            while len(self._held) > self.MAX_FLUSH_CHARS:
                now = self._held[: self.MAX_FLUSH_CHARS]
                self._held = self._held[self.MAX_FLUSH_CHARS :]
                await self._append(now, live=False)
                await self._next_frame()
            rest, self._held = self._held, ""
            self._finished = True
            if self._sealed is not None or len(self._segment_text) + len(rest) > self.SEGMENT_CHARS:
                await self._seal([self._segment_text + rest])
                return
            if rest:
                await self._write_live(rest, steady=False)
            if self._stream is not None:
                await self._stream.stop()
                self._stream = None
            if self._live is not None:
                self._live.remove_class("-live")
                await self._live.update(self._segment_text)

    def abandon(self) -> None:
        """Stop streaming at once and show nothing more (the reply is about to be removed)."""
        self._finished = True
        self._pending.clear()
        self._held = ""
        stream, self._stream = self._stream, None
        if stream is not None:
            # MarkdownStream.stop() would append what it still holds to a widget being removed;
            # drop that text and end its background task instead.
            pending = getattr(stream, "_pending", None)
            if isinstance(pending, list):
                pending.clear()
            task = getattr(stream, "_task", None)
            if isinstance(task, asyncio.Task):
                task.cancel()

    def collapse(self) -> None:
        """An old reply keeps its formatting but becomes a single cheap widget."""
        if self.has_class("-collapsed") or self.streaming:
            return
        self.add_class("-collapsed")
        self.remove_children()
        self._live = self._sealed = None  # the removed widgets go with their children
        sealed = SealedMarkdown(classes="segment -sealed")
        sealed.append(self.text)
        self.mount(sealed)


EntryKind = Literal["user", "reply", "notice", "actions", "widget"]


@dataclass(eq=False)
class Entry:
    """One message of the log, kept while its widget is unmounted (enough to build it again)."""

    kind: EntryKind
    text: str = ""
    notice_kind: str = "marker"
    actions: tuple[tuple[str, str, str], ...] = field(default=())
    factory: Callable[[], Widget] | None = None
    """How a ``widget`` entry (a frame strip, say) is built again when it scrolls back in."""
    widget: Widget | None = None
    """The mounted widget, or ``None`` while the entry is outside the mounted window."""

    def capture(self) -> None:
        """Keep the widget's final text and let the widget go."""
        if isinstance(self.widget, ChatMessage):
            self.text = self.widget.text
        self.widget = None

    def build(self, *, collapsed: bool) -> Widget:
        widget: Widget
        if self.kind == "user":
            widget = UserMessage(self.text, collapsed=collapsed)
        elif self.kind == "reply":
            widget = Reply(self.text, collapsed=collapsed)
        elif self.kind == "notice":
            widget = Notice(self.text, kind=self.notice_kind, collapsed=collapsed)
        elif self.factory is not None:
            widget = self.factory()
        else:
            widget = ActionHint(self.actions)
        self.widget = widget
        return widget

    @property
    def pinned(self) -> bool:
        """A reply still streaming must stay mounted: the turn writes to it."""
        return isinstance(self.widget, Reply) and self.widget.streaming


class MoreMessages(Static):
    """The line at the top (or bottom) of the window that says how many messages are not
    mounted; scrolling onto it, or clicking it, mounts the next page."""

    DEFAULT_CSS = """
    MoreMessages { height: 1; margin: 0 0 1 0; color: $text-muted; text-style: italic; }
    MoreMessages.-later { margin: 0; }
    """

    def __init__(self, where: Literal["earlier", "later"]) -> None:
        super().__init__(classes=f"more-messages -{where}")
        self.where = where

    def show_count(self, count: int) -> None:
        plural = "" if count == 1 else "s"
        if self.where == "earlier":
            self.update(f"▲ {count} earlier message{plural} · scroll up or click to load")
        else:
            self.update(f"▼ {count} later message{plural} · scroll down or click to load")

    async def on_click(self, event: Click) -> None:
        event.stop()
        log = self.parent
        if isinstance(log, ChatLog):
            await (log.load_earlier() if self.where == "earlier" else log.load_later())


class ChatLog(VerticalScroll, can_focus=False):
    """The scrolling conversation. Follows the bottom only while the user is there.

    Mounts a window of at most :attr:`max_mounted` entries (see the module docstring)."""

    MAX_LIVE = 40
    MAX_MOUNTED = 120
    """Default bound on mounted messages (``chat_max_messages`` in the config)."""

    def __init__(self, *, max_mounted: int | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[Entry] = []
        self._lo = 0
        """Index of the first mounted entry; entries ``[_lo, _hi)`` are mounted."""
        self._hi = 0
        self._earlier: MoreMessages | None = None
        self._later: MoreMessages | None = None
        self._paging = False
        self.max_mounted = max_mounted or self.MAX_MOUNTED

    @property
    def max_mounted(self) -> int:
        return self._max_mounted

    @max_mounted.setter
    def max_mounted(self, value: int) -> None:
        self._max_mounted = max(4, value)

    @property
    def page_size(self) -> int:
        """Entries mounted or unmounted at a time."""
        return max(2, self._max_mounted // 4)

    @property
    def mount_limit(self) -> int:
        """Most entries ever mounted at once (the oldest are unmounted half a page at a time,
        and a reply still streaming stays), markers aside."""
        return self._max_mounted + self.page_size // 2

    @property
    def entries(self) -> list[Entry]:
        """Every message of the conversation, mounted or not (oldest first)."""
        return list(self._entries)

    @property
    def mounted_window(self) -> tuple[int, int]:
        """``(first, end)``: the mounted entries are ``entries[first:end]``."""
        return self._lo, self._hi

    def on_mount(self) -> None:
        self.anchor()

    def remove_children(self, selector: str | type[Widget] | Iterable[Widget] = "*") -> AwaitRemove:
        """Removing every child (a new or resumed session) also forgets the entries."""
        if selector == "*":
            self._entries.clear()
            self._lo = self._hi = 0
            self._earlier = self._later = None
        return super().remove_children(selector)

    # --- adding ------------------------------------------------------------------------------

    async def _add(self, entry: Entry, widget: Widget) -> None:
        if self._hi < len(self._entries):
            await self._to_tail()
        entry.widget = widget
        self._entries.append(entry)
        # The window includes it before the mount yields: a scroll event meanwhile must not
        # take it for a later entry still to load (and mount it a second time).
        self._hi = len(self._entries)
        if self._later is not None:
            await self.mount(widget, before=self._later)
        else:
            await self.mount(widget)
        await self._drop_oldest()
        self._trim()

    def _trim(self) -> None:
        """Collapse the mounted messages beyond the last :attr:`MAX_LIVE` entries."""
        for entry in self._entries[self._lo : max(self._lo, self._hi - self.MAX_LIVE)]:
            old = entry.widget
            if isinstance(old, ChatMessage) and not old.collapsed:
                old.collapse()  # a reply still streaming stays as it is

    async def add_user(self, text: str) -> UserMessage:
        msg = UserMessage(text)
        await self._add(Entry("user", text), msg)
        return msg

    async def add_reply(self, text: str = "") -> Reply:
        """A new reply; empty ``text`` starts a streaming reply."""
        reply = Reply(text)
        await self._add(Entry("reply", text), reply)
        return reply

    async def add_notice(self, text: str, kind: str = "marker") -> Notice:
        """``kind``: ``marker`` (dim tool line), ``working``, ``info``, ``warning`` or ``error``."""
        notice = Notice(text, kind=kind)
        await self._add(Entry("notice", text, notice_kind=kind), notice)
        return notice

    async def add_actions(self, actions: Sequence[tuple[str, str, str]]) -> ActionHint:
        hint = ActionHint(actions)
        await self._add(Entry("actions", actions=hint.actions), hint)
        return hint

    async def add_widget(self, factory: Callable[[], W]) -> W:
        """A message of another kind (a result's frame strip): ``factory`` builds it now and
        again whenever it scrolls back into the mounted window, so it counts against the bound
        like any other message instead of staying mounted for the rest of the session."""
        widget = factory()
        await self._add(Entry("widget", factory=factory), widget)
        return widget

    async def remove_messages(self, widgets: Iterable[Widget]) -> None:
        """Remove these messages and their entries (a cancelled turn takes back what it added)."""
        gone = {id(w) for w in widgets}
        keep: list[Entry] = []
        mounted: list[Widget] = []
        lo, hi = self._lo, self._hi
        for index, entry in enumerate(self._entries):
            if entry.widget is None or id(entry.widget) not in gone:
                keep.append(entry)
                continue
            mounted.append(entry.widget)
            if index < self._lo:
                lo -= 1
            if index < self._hi:
                hi -= 1
        self._entries, self._lo, self._hi = keep, lo, hi
        if mounted:
            await super().remove_children(mounted)

    # --- the mounted window ------------------------------------------------------------------

    def _collapsed_at(self, index: int) -> bool:
        return index < len(self._entries) - self.MAX_LIVE

    async def _drop_oldest(self) -> None:
        """Unmount the oldest entries beyond the bound (a page at a time, so rarely), keeping
        what the user is reading where it is."""
        if self._hi - self._lo <= self.mount_limit:
            return
        target = self._hi - self._max_mounted
        drop: list[Widget] = []
        while self._lo < target and not self._entries[self._lo].pinned:
            entry = self._entries[self._lo]
            if entry.widget is not None:
                drop.append(entry.widget)
            entry.capture()
            self._lo += 1
        if drop:
            await self._unmount_keeping_view(drop)
        await self._update_markers()

    async def _drop_newest(self) -> None:
        """Unmount the newest entries beyond the bound after loading earlier ones."""
        target = self._lo + self._max_mounted
        drop: list[Widget] = []
        while self._hi > target and not self._entries[self._hi - 1].pinned:
            entry = self._entries[self._hi - 1]
            if entry.widget is not None:
                drop.append(entry.widget)
            entry.capture()
            self._hi -= 1
        if drop:
            await super().remove_children(drop)

    async def _unmount_keeping_view(self, drop: list[Widget]) -> None:
        """Remove ``drop`` (at the top); a user scrolled up keeps seeing the same lines."""
        following = self._following or self.is_vertical_scroll_end or not self.size
        removed = sum(w.outer_size.height + w.styles.margin.bottom for w in drop)
        y = self.scroll_y
        await super().remove_children(drop)
        if not following:
            self.scroll_to(
                y=max(0.0, y - removed), animate=False, immediate=True, release_anchor=False
            )

    async def _update_markers(self) -> None:
        earlier, later = self._lo, len(self._entries) - self._hi
        if earlier and self._earlier is None:
            self._earlier = MoreMessages("earlier")
            first = self.children[0] if self.children else None
            await self.mount(self._earlier, before=first)
        elif not earlier and self._earlier is not None:
            marker, self._earlier = self._earlier, None
            await super().remove_children([marker])
        if later and self._later is None:
            self._later = MoreMessages("later")
            await self.mount(self._later)
        elif not later and self._later is not None:
            marker, self._later = self._later, None
            await super().remove_children([marker])
        if self._earlier is not None:
            self._earlier.show_count(earlier)
        if self._later is not None:
            self._later.show_count(later)

    async def load_earlier(self) -> bool:
        """Mount the page of entries before the window (collapsed); ``False``: none left."""
        if self._lo == 0 or self._paging:
            return False
        self._paging = True
        try:
            start = max(0, self._lo - self.page_size)
            widgets = [
                e.build(collapsed=self._collapsed_at(start + i))
                for i, e in enumerate(self._entries[start : self._lo])
            ]
            first = self._entries[self._lo].widget
            if self._earlier is not None:
                await self.mount_all(widgets, after=self._earlier)
            else:
                await self.mount_all(widgets, before=0)
            self._lo = start
            await self._drop_newest()
            await self._update_markers()
            if first is not None:
                self.call_after_refresh(self._show_at_top, first)
            return True
        finally:
            self._paging = False

    def _show_at_top(self, widget: Widget) -> None:
        if widget.is_attached:
            self.scroll_to_widget(widget, top=True, animate=False, immediate=True)

    def _show_at_bottom(self, widget: Widget) -> None:
        if widget.is_attached:
            bottom = widget.virtual_region_with_margin.bottom
            y = max(0, bottom - self.scrollable_content_region.height)
            self.scroll_to(y=y, animate=False, immediate=True)

    async def load_later(self) -> bool:
        """Mount the page of entries after the window; ``False``: the window is at the tail."""
        if self._hi >= len(self._entries) or self._paging:
            return False
        self._paging = True
        try:
            end = min(len(self._entries), self._hi + self.page_size)
            widgets = [
                e.build(collapsed=self._collapsed_at(self._hi + i))
                for i, e in enumerate(self._entries[self._hi : end])
            ]
            last = self._entries[self._hi - 1].widget
            await self.mount_all(widgets, before=self._later)
            self._hi = end
            await self._drop_oldest()
            await self._update_markers()
            if last is not None:
                self.call_after_refresh(self._show_at_bottom, last)
            return True
        finally:
            self._paging = False

    async def _to_tail(self) -> None:
        """Move the window back to the last entries (a new message arrives while the user reads
        far back)."""
        for entry in self._entries[self._lo : self._hi]:
            entry.capture()
        await super().remove_children()
        self._earlier = self._later = None
        count = len(self._entries)
        self._hi = count
        self._lo = max(0, count - self.page_size)
        widgets = [
            e.build(collapsed=self._collapsed_at(self._lo + i))
            for i, e in enumerate(self._entries[self._lo :])
        ]
        await self.mount_all(widgets)
        await self._update_markers()

    @property
    def _following(self) -> bool:
        """The log still follows the newest message (the user has not scrolled away).

        Not the same as being at the end: right after a mount the scroll to the new end
        may not have happened yet."""
        return self._anchored and not self._anchor_released

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._paging or old_value == new_value:
            return
        following = self._following
        if new_value <= 0 and self._lo > 0 and not following:  # only a user who scrolled up
            self.run_worker(self.load_earlier(), group="chat-paging", exit_on_error=False)
        elif new_value >= self.max_scroll_y and self._hi < len(self._entries):
            self.run_worker(self.load_later(), group="chat-paging", exit_on_error=False)

    def on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        """The wheel at the top (or over a log too short to scroll) loads earlier messages."""
        if self.scroll_y <= 0 and self._lo > 0:
            self.run_worker(self.load_earlier(), group="chat-paging", exit_on_error=False)

    def on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        if self.scroll_y >= self.max_scroll_y and self._hi < len(self._entries):
            self.run_worker(self.load_later(), group="chat-paging", exit_on_error=False)

    # --- reading -----------------------------------------------------------------------------

    async def drawn(self, timeout: float = 0.1) -> None:
        """Wait until the screen has drawn what the log holds now (or ``timeout`` seconds)."""
        await next_frame(self, timeout)

    def messages(self) -> list[ChatMessage]:
        """The mounted messages (see :attr:`entries` for the whole conversation)."""
        return [c for c in self.children if isinstance(c, ChatMessage)]

    def copy_last_reply(self) -> bool:
        """Copy the last reply to the clipboard; ``False`` when there is none yet."""
        for entry in reversed(self._entries):
            if entry.kind == "reply":
                text = entry.widget.text if isinstance(entry.widget, Reply) else entry.text
                self.app.copy_to_clipboard(text)
                self.app.notify("Message copied to the clipboard.", title="Copied", timeout=2)
                return True
        return False
