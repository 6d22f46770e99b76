"""A fast, line-based Markdown renderer for finished reply text.

Long replies stream through Textual's ``Markdown`` widget only at their tail; everything before it
is drawn here, once per width, as plain lines (no widgets, no syntax highlighting). It covers what
the agent writes: headings, paragraphs, bullet and numbered lists, block quotes, rules, code
fences, tables (as written) and inline bold, italic, code and links. Anything else shows as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

_BOLD = Style(bold=True)
_ITALIC = Style(italic=True)
_NULL = Style()


@dataclass(frozen=True)
class LiteStyles:
    base: Style = _NULL
    """Plain text (and padding); every other style is combined with it by the caller."""
    heading: Style = _BOLD
    code: Style = _NULL
    inline_code: Style = _BOLD
    bullet: Style = _BOLD
    quote: Style = _ITALIC
    link: Style = _NULL
    rule: Style = _NULL


Span = tuple[str, Style]
Line = list[Segment]


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE = re.compile(r"^\s*\|")
_INLINE = re.compile(
    r"(\*\*[^*\n]+?\*\*|__[^_\n]+?__|`[^`\n]+`|\*[^*\s][^*\n]*?\*|\[[^\]\n]+\]\([^)\s]*\))"
)


def inline(text: str, styles: LiteStyles, base: Style | None = None) -> list[Span]:
    """Inline Markdown to styled spans (the text is never read as Rich or Textual markup)."""
    base = styles.base if base is None else base
    out: list[Span] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            out.append((text[pos : match.start()], base))
        token = match.group(0)
        if token.startswith(("**", "__")):
            out.append((token[2:-2], base + _BOLD))
        elif token.startswith("`"):
            out.append((token[1:-1], base + styles.inline_code))
        elif token.startswith("["):
            out.append((token[1 : token.index("](")], base + styles.link))
        else:
            out.append((token[1:-1], base + _ITALIC))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], base))
    return out


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _fold(word: str, width: int) -> list[str]:
    """Split a word wider than ``width`` into pieces that fit."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and _width(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def wrap(spans: list[Span], width: int) -> list[Line]:
    """Greedy word wrap of styled spans into lines of segments at most ``width`` cells wide."""
    width = max(1, width)
    lines: list[Line] = []
    line: Line = []
    used = 0
    space: Style | None = None  # a pending single space before the next word
    for text, style in spans:
        for piece in _WORDS.findall(text):
            if piece[0] in " \t\n":
                if used:
                    space = style
                continue
            w = _width(piece)
            if used and used + (1 if space is not None else 0) + w > width:
                lines.append(line)
                line, used, space = [], 0, None
            if space is not None:
                line.append(Segment(" ", space))
                used += 1
                space = None
            if w > width:
                parts = _fold(piece, width)
                for part in parts[:-1]:
                    if used:
                        lines.append(line)
                        line, used = [], 0
                    lines.append([Segment(part, style)])
                piece = parts[-1]
                w = _width(piece)
                if used and used + w > width:
                    lines.append(line)
                    line, used = [], 0
            line.append(Segment(piece, style))
            used += w
    if line or not lines:
        lines.append(line)
    return lines


_WORDS = re.compile(r"\s+|\S+")


def _blocks(source: str) -> Iterator[tuple[str, list[str]]]:
    """Split into (kind, lines) blocks: heading, item, quote, rule, code, table, para, blank."""
    lines = source.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> Iterator[tuple[str, list[str]]]:
        if para:
            yield "para", list(para)
            para.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            yield from flush()
            marker = fence.group(1)
            body: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(marker):
                body.append(lines[i])
                i += 1
            i += 1
            yield "code", body
            continue
        if not line.strip():
            yield from flush()
            yield "blank", []
        elif _HEADING.match(line):
            yield from flush()
            yield "heading", [line]
        elif _RULE.match(line):
            yield from flush()
            yield "rule", []
        elif _ITEM.match(line):
            yield from flush()
            item = [line]
            while (
                i + 1 < len(lines)
                and lines[i + 1].startswith((" ", "\t"))
                and lines[i + 1].strip()
                and not _ITEM.match(lines[i + 1])
            ):
                i += 1
                item.append(lines[i].strip())
            yield "item", item
        elif _QUOTE.match(line):
            yield from flush()
            yield "quote", [line]
        elif _TABLE.match(line):
            yield from flush()
            yield "table", [line]
        else:
            para.append(line.strip())
        i += 1
    yield from flush()


def _prefixed(first: Segment, rest: Segment, lines: list[Line]) -> list[Line]:
    return [[first if n == 0 else rest, *line] for n, line in enumerate(lines)]


def render(source: str, width: int, styles: LiteStyles) -> list[Line]:
    """The lines of ``source`` laid out at ``width`` cells (each a list of segments)."""
    width = max(4, width)
    out: list[Line] = []
    blank_pending = False

    def add(lines: list[Line]) -> None:
        nonlocal blank_pending
        if blank_pending and out:
            out.append([])
        blank_pending = False
        out.extend(lines)

    for kind, lines in _blocks(source):
        if kind == "blank":
            blank_pending = True
        elif kind == "heading":
            match = _HEADING.match(lines[0])
            title = match.group(2) if match else lines[0]
            add(wrap(inline(title, styles, styles.heading), width))
        elif kind == "para":
            add(wrap(inline(" ".join(lines), styles), width))
        elif kind == "item":
            match = _ITEM.match(lines[0])
            if match is None:
                continue
            indent = min(len(match.group(1).expandtabs(4)) // 2 * 2, 8)
            marker = "•" if match.group(2) in "-*+" else match.group(2)
            prefix = " " * indent + marker + " "
            body = " ".join([match.group(3), *lines[1:]])
            wrapped = wrap(inline(body, styles), width - len(prefix))
            add(_prefixed(Segment(prefix, styles.bullet), Segment(" " * len(prefix)), wrapped))
        elif kind == "quote":
            match = _QUOTE.match(lines[0])
            body = match.group(1) if match else lines[0]
            wrapped = wrap(inline(body, styles, styles.quote), width - 2)
            add(_prefixed(Segment("▌ ", styles.quote), Segment("▌ ", styles.quote), wrapped))
        elif kind == "rule":
            add([[Segment("─" * width, styles.rule)]])
        elif kind == "code":
            rows: list[Line] = []
            for line in lines or [""]:
                text = " " + line.expandtabs(4)
                for part in _fold(text, width) or [""]:
                    pad = " " * max(0, width - _width(part))
                    rows.append([Segment(part + pad, styles.code)])
            add(rows)
        elif kind == "table":
            row = lines[0].rstrip()
            add([[Segment(row if _width(row) <= width else _fold(row, width)[0], styles.base)]])
    return out
