"""Pictures in a terminal: which graphics protocol to use, and the half-block renderer.

:func:`graphics_protocol` is the one place that decides, from the environment alone, whether
the terminal gets kitty graphics, sixels or half-blocks. Half-blocks (``▀`` with the top pixel as
foreground and the bottom pixel as background) work in every true-colour terminal, over SSH and
inside tmux, and need nothing beyond rich; kitty and sixel output come from the ``textual-image``
package, used only when it is installed.

Renders are rich :class:`~rich.text.Text`, so a Textual widget can show them as they are and a
headless command can print them with a rich console. No textual import here.

For kitty and sixel, ``textual-image`` 0.12 is pinned: the newest release that installs on
Python 3.11 (later ones need 3.12); it needs only rich and Pillow. Importing its ``renderable``
or ``widget`` package queries the terminal on stdin when stdout is a TTY, so a Textual app must
import it before ``App.run`` (never lazily while running), and only when
:func:`graphics_protocol` chose kitty or sixel.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from rich.color import Color
from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from PIL import Image

Protocol = Literal["kitty", "sixel", "halfblock"]
PROTOCOLS: tuple[Protocol, ...] = ("kitty", "sixel", "halfblock")
UPPER_HALF = "▀"

_KITTY_TERMS = frozenset({"xterm-kitty", "xterm-ghostty"})
_SIXEL_TERMS = frozenset({"foot", "foot-extra", "mlterm", "contour", "yaft-256color"})
_SIXEL_PROGRAMS = frozenset({"wezterm", "iterm.app", "mintty"})


def graphics_protocol(
    env: Mapping[str, str] | None = None, *, library: bool | None = None
) -> Protocol:
    """The best picture protocol the terminal described by ``env`` is known to support.

    The rule: ``ARTGEN_GRAPHICS`` (``kitty``/``sixel``/``halfblock``) wins when set; inside tmux
    or GNU screen it is half-blocks (the multiplexer would have to pass the images through);
    kitty and ghostty get kitty graphics; foot, mlterm, contour, WezTerm, iTerm2, mintty and
    Konsole get sixels; everything else half-blocks. Kitty and sixel also need the optional
    ``textual-image`` package (``library``; looked up when ``None``), else half-blocks.
    """
    env = os.environ if env is None else env
    chosen = _by_terminal(env)
    forced = env.get("ARTGEN_GRAPHICS", "").strip().lower()
    if forced in PROTOCOLS:
        chosen = forced
    if chosen == "halfblock":
        return chosen
    if library is None:
        library = have_graphics_library()
    return chosen if library else "halfblock"


def _by_terminal(env: Mapping[str, str]) -> Protocol:
    term = env.get("TERM", "").lower()
    program = env.get("TERM_PROGRAM", "").lower()
    if env.get("TMUX") or term.startswith(("tmux", "screen")) or program == "tmux":
        return "halfblock"
    if env.get("KITTY_WINDOW_ID") or term in _KITTY_TERMS or program == "ghostty":
        return "kitty"
    if term in _SIXEL_TERMS or program in _SIXEL_PROGRAMS or env.get("KONSOLE_VERSION"):
        return "sixel"
    return "halfblock"


def have_graphics_library() -> bool:
    """Whether ``textual-image`` (kitty and sixel output) is installed."""
    return importlib.util.find_spec("textual_image") is not None


def cell_size(image: Image.Image, width: int) -> tuple[int, int]:
    """Columns and rows a half-block render of ``image`` takes at ``width`` columns (one pixel per
    column, two per row: terminal cells are about twice as tall as wide)."""
    w, h = image.size
    width = max(1, width)
    return width, max(1, round(h * width / w / 2))


def halfblock(image: Image.Image, width: int | None = None) -> Text:
    """``image`` as rows of ``▀`` cells, ``width`` columns wide (default: one column per pixel).

    Each cell's foreground is the top pixel and its background the bottom one; runs of equal
    cells share one span. Rows are separated by ``\\n`` and carry no trailing newline.
    """
    from PIL import Image

    rgb = image.convert("RGB")
    if width is not None:
        cols, rows = cell_size(rgb, width)
        rgb = rgb.resize((cols, rows * 2), Image.Resampling.BILINEAR)
    elif rgb.height % 2:
        padded = Image.new("RGB", (rgb.width, rgb.height + 1))
        padded.paste(rgb, (0, 0))
        padded.paste(rgb.crop((0, rgb.height - 1, rgb.width, rgb.height)), (0, rgb.height))
        rgb = padded
    return _cells(rgb)


def _cells(rgb: Image.Image) -> Text:
    cols, height = rgb.size
    pixels = rgb.load()
    assert pixels is not None
    text = Text(no_wrap=True, overflow="crop", end="")
    styles: dict[tuple[object, object], Style] = {}
    for y in range(0, height, 2):
        if y:
            text.append("\n")
        run_key: tuple[object, object] | None = None
        run = 0
        for x in range(cols):
            key = (pixels[x, y], pixels[x, y + 1])
            if key == run_key:
                run += 1
                continue
            if run_key is not None:
                text.append(UPPER_HALF * run, styles[run_key])
            run_key, run = key, 1
            if key not in styles:
                top, bottom = key
                styles[key] = Style(color=_color(top), bgcolor=_color(bottom))
        if run_key is not None:
            text.append(UPPER_HALF * run, styles[run_key])
    return text


def _color(pixel: object) -> Color:
    assert isinstance(pixel, tuple)
    r, g, b = pixel[:3]
    return Color.from_rgb(r, g, b)


def halfblock_strip(frames: Sequence[Image.Image], width: int, gap: int = 1) -> Text:
    """Frames side by side, each ``width`` columns wide, ``gap`` blank columns apart; frames of
    different heights are top-aligned."""
    renders = [halfblock(frame, width).split("\n") for frame in frames]
    rows = max((len(lines) for lines in renders), default=0)
    text = Text(no_wrap=True, overflow="crop", end="")
    for row in range(rows):
        if row:
            text.append("\n")
        for i, lines in enumerate(renders):
            if i:
                text.append(" " * gap)
            if row < len(lines):
                text.append_text(lines[row])
                text.append(" " * (width - lines[row].cell_len))
            else:
                text.append(" " * width)
    return text
