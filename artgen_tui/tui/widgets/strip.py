"""Pictures in the app: a frame strip sized to its widget, and chat entries that show one.

The renderer is chosen once per run by :func:`artgen_tui.core.termimage.graphics_protocol`:
half-blocks (rich ``Text``, any true-colour terminal, deterministic in tests) or, where detected,
kitty/sixel images through ``textual-image`` (its widgets must be imported before ``App.run``:
:func:`load_graphics`). Decoding is never done here: callers pass decoded Pillow frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from artgen_tui.core import termimage
from artgen_tui.core.termimage import Protocol
from artgen_tui.tui.keys import bound_key, key_display
from artgen_tui.tui.open_actions import CopyPathRequested, OpenRequested
from artgen_tui.tui.widgets.chat_log import ChatMessage

if TYPE_CHECKING:
    from PIL import Image

MAX_FRAME_COLUMNS = 24
"""Columns per frame at most (a 16:9 frame is then 7 rows of half-blocks)."""
GAP = 1

_graphics: dict[str, Any] = {}


def load_graphics(protocol: Protocol) -> None:
    """Import textual-image's widgets for kitty/sixel now (before ``App.run``: the import queries
    the terminal). Nothing happens for half-blocks."""
    if protocol == "halfblock" or _graphics:
        return
    from textual_image import widget

    _graphics["kitty"] = widget.TGPImage
    _graphics["sixel"] = widget.SixelImage


def frame_columns(count: int, width: int, most: int = MAX_FRAME_COLUMNS) -> int:
    """Columns per frame for ``count`` frames side by side in ``width`` cells."""
    if count <= 0:
        return 0
    return max(1, min(most, (width - GAP * (count - 1)) // count))


def drawn_as(protocol: Protocol) -> Protocol:
    """The protocol a strip is drawn in: ``protocol`` if its widgets were loaded
    (:func:`load_graphics`), half-blocks otherwise."""
    return protocol if protocol in _graphics else "halfblock"


def frames_to_keep(frames: Sequence[Image.Image], protocol: Protocol) -> list[Image.Image]:
    """What a strip in ``protocol`` needs of ``frames``. Half-blocks draw a pixel per column, at
    most :data:`MAX_FRAME_COLUMNS`: wider frames are reduced to that. The chat keeps every
    result's frames for scroll-back: about 280 KB per export at 160 pixels, 10 KB at 24."""
    if drawn_as(protocol) != "halfblock":
        return list(frames)
    from PIL import Image

    kept = []
    for frame in frames:
        if frame.width > MAX_FRAME_COLUMNS:
            height = max(1, round(frame.height * MAX_FRAME_COLUMNS / frame.width))
            frame = frame.resize((MAX_FRAME_COLUMNS, height), Image.Resampling.BILINEAR)
        kept.append(frame)
    return kept


def compact_strip(frames: Sequence[Image.Image], columns: int = 6) -> Text:
    """A small half-block strip (the exports panel's detail line)."""
    return termimage.halfblock_strip(list(frames), columns, GAP)


class HalfblockStrip(Widget):
    """Frames side by side in half-blocks, as wide as the widget allows (never wider than
    :data:`MAX_FRAME_COLUMNS` per frame)."""

    DEFAULT_CSS = """
    HalfblockStrip { height: auto; width: 1fr; }
    """

    def __init__(self, frames: Sequence[Image.Image], *, most: int = MAX_FRAME_COLUMNS) -> None:
        super().__init__(classes="frame-strip")
        self.frames = list(frames)
        self.most = most
        self._drawn: tuple[int, Text] | None = None
        """The strip drawn at a width (columns per frame): a redraw at that width reuses it."""

    def _columns(self, width: int) -> int:
        return frame_columns(len(self.frames), width, self.most)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self.frames:
            return 0
        columns = self._columns(width)
        return max(termimage.cell_size(f, columns)[1] for f in self.frames)

    def render(self) -> Text:
        if not self.frames:
            return Text("")
        columns = self._columns(self.size.width)
        if self._drawn is None or self._drawn[0] != columns:
            self._drawn = (columns, termimage.halfblock_strip(self.frames, columns, GAP))
        return self._drawn[1]


class FrameStrip(Horizontal):
    """A strip in the run's picture protocol (half-blocks unless kitty/sixel were loaded)."""

    DEFAULT_CSS = """
    FrameStrip { height: auto; width: 1fr; }
    FrameStrip > .graphic-frame { width: 16; height: 5; margin-right: 1; }
    """

    def __init__(
        self, frames: Sequence[Image.Image], protocol: Protocol = "halfblock", *, most: int = 24
    ) -> None:
        super().__init__()
        self.frames = list(frames)
        self.protocol: Protocol = drawn_as(protocol)
        self.most = most

    def compose(self) -> ComposeResult:
        if self.protocol == "halfblock":
            yield HalfblockStrip(self.frames, most=self.most)
            return
        image_class = _graphics[self.protocol]
        for frame in self.frames:
            yield image_class(frame, classes="graphic-frame")


class PathActions:
    """``o`` open, ``r`` reveal, ``c`` copy path for a widget that shows one result file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_result", "Open", id="result.open", tooltip="Open in the player"),
        Binding("r", "reveal_result", "Reveal", id="result.reveal", tooltip="Show its folder"),
        Binding("c", "copy_path", "Copy path", id="result.copy", tooltip="Copy the file's path"),
    ]


class StripMessage(ChatMessage):
    """A result in the chat: its title, frame strip and keys (focus it: ``o``/``r``/``c``)."""

    BINDINGS: ClassVar[list[BindingType]] = PathActions.BINDINGS

    DEFAULT_CSS = """
    StripMessage { padding: 0 1; margin: 0 0 1 0; }
    StripMessage:focus { background: $boost; }
    StripMessage > .strip-title { color: $text; text-style: bold; }
    StripMessage > .strip-hint { color: $text-muted; }
    """

    def __init__(
        self,
        path: Path,
        title: str,
        frames: Sequence[Image.Image],
        protocol: Protocol = "halfblock",
    ) -> None:
        super().__init__(str(path), classes="strip-message")
        self.path = path
        self.title = title
        self.frames = list(frames)
        self.protocol = protocol

    def compose(self) -> ComposeResult:
        yield Static(Content(self.title), classes="strip-title")
        yield FrameStrip(self.frames, self.protocol)
        yield Static(Content(f"{self.path} · focus it: {self._keys_hint()}"), classes="strip-hint")

    def _keys_hint(self) -> str:
        """``o open · r reveal · c copy path``, with the user's keymap applied."""
        keymap = getattr(self.app, "keymap", None) or {}
        pieces = (("open_result", "open"), ("reveal_result", "reveal"), ("copy_path", "copy path"))
        return " · ".join(
            f"{key_display(bound_key(self.BINDINGS, keymap, action))} {what}"
            for action, what in pieces
        )

    def action_open_result(self) -> None:
        self.post_message(OpenRequested(self.path))

    def action_reveal_result(self) -> None:
        self.post_message(OpenRequested(self.path, reveal=True))

    def action_copy_path(self) -> None:
        self.post_message(CopyPathRequested(self.path))

    def action_copy(self) -> None:
        self.action_copy_path()


class ProgressNotice(ChatMessage):
    """A one-line notice that is rewritten in place (a preview's progress)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, classes="notice -working")

    def compose(self) -> ComposeResult:
        yield Static(Content(self.text), classes="notice-body")

    def set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            if self.is_mounted:
                self.query_one(Static).update(Content(text))
