"""One sanitiser for every string the server sends before it is drawn or printed.

Whatever a server says (reply text, tool names, labels, error messages, job ids, file names) may
carry terminal control sequences: OSC 2 renames the window, OSC 52 writes the clipboard, ``CSI 2J``
clears the screen, a DCS query makes the terminal type an answer into the app. :func:`clean`
makes any string safe to show:

* whole sequences are removed: CSI (``ESC [`` or C1 ``0x9b`` … final byte), OSC / DCS / SOS / PM /
  APC strings (``ESC ]``, ``ESC P``, ``ESC X``, ``ESC ^``, ``ESC _`` or their C1 forms, up to BEL or
  ST, or to the end of the text when unterminated) and two-byte ``ESC x`` escapes;
* any other C0 control but newline and tab becomes its visible Unicode control picture
  (``\\x1b`` → ``␛``, ``\\r`` → ``␍``, ``\\x07`` → ``␇``), DEL becomes ``␡`` and a C1 control
  (``0x80``–``0x9f``) becomes ``␦`` — so nothing disappears silently, yet nothing acts;
* lone surrogates (valid in JSON, unprintable in UTF-8) become ``�``;
* the text is capped at ``limit`` characters with an ellipsis (``…``): a 30 MB message is never
  drawn whole. The cap is applied before the scan too, so the work is bounded.

``single_line=True`` also folds newlines and tabs into spaces, for table cells, titles and the
status bar. :func:`safe_json` is the same care for JSON output: the data is kept exactly, but
DEL, C1 controls and lone surrogates are written as ``\\uXXXX`` escapes instead of raw.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

MESSAGE_LIMIT: Final = 2_000
"""Default cap: error messages, notices, labels, ids, names."""

TEXT_LIMIT: Final = 200_000
"""Cap for one piece of reply text (a chat chunk)."""

ELLIPSIS: Final = "…"

PARSE_ERRORS: Final = (
    RecursionError,
    OverflowError,
    ValueError,
    TypeError,
    UnicodeError,
    AttributeError,
    KeyError,
    IndexError,
    MemoryError,
)
"""What reading a hostile body may raise: ~1,000-level nesting, ``1e999`` turned into an int,
4,301-digit numbers, wrong types. A total parse turns these into one documented error."""

MAX_COUNT: Final = 10**12
"""Largest credit or size figure believed; above is absurd and clamped."""

_STRING_END = r"(?:\x07|\x1b\\|\x9c)"
_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*" + _STRING_END + "?"  # OSC/DCS/...
    r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # two-byte escapes (and a lone ESC)
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Everything unsafe but newline (kept) and tab (kept)."""
_UNSAFE_JSON = re.compile(r"[\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if code <= 0x9F:
        return "\u2426"
    return "\ufffd"


def clean(text: object, limit: int | None = MESSAGE_LIMIT, *, single_line: bool = False) -> str:
    """``text`` (any value, shown with ``str``) safe for a terminal; see the module docstring.

    ``limit=None`` keeps the length (for output sinks whose text was already capped upstream).
    """
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # a hostile __str__ / huge int: show the type, never raise
            text = f"<{type(text).__name__}>"
    cut = limit is not None and len(text) > limit
    if limit is not None:
        text = text[: limit * 2 + 64]  # bound the scan; sequences removed below may shrink it
    if _CONTROL.search(text) is not None:
        text = _SEQUENCE.sub("", text)
        text = _CONTROL.sub(_picture, text)
    if single_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    if limit is not None and (cut or len(text) > limit):
        text = text[: max(0, limit - 1)] + ELLIPSIS
    return text


def clean_line(text: object, limit: int | None = MESSAGE_LIMIT) -> str:
    """:func:`clean` folded onto one line: table cells, titles, the status bar."""
    return clean(text, limit, single_line=True)


def clean_optional(text: object, limit: int | None = MESSAGE_LIMIT) -> str | None:
    """:func:`clean`, keeping ``None`` as ``None``."""
    return None if text is None else clean(text, limit)


def finite(value: object, low: float, high: float) -> float | None:
    """``value`` as a float within ``[low, high]``; ``None`` for NaN, non-numbers and booleans.

    ``inf`` and 400-digit integers clamp to ``high`` (``-inf`` to ``low``) instead of raising.
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        negative = value < 0 if isinstance(value, int) else str(value).lstrip().startswith("-")
        number = float("-inf") if negative else float("inf")
    except PARSE_ERRORS:
        return None
    if math.isnan(number):
        return None
    return max(low, min(high, number))


def count(value: object, default: int = 0, high: int = MAX_COUNT) -> int:
    """A non-negative integer figure (credits, sizes) clamped to ``[0, high]``."""
    number = finite(value, 0, high)
    return default if number is None else int(number)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def shallow(value: Any, depth: int = 64) -> Any:
    """``value`` with containers deeper than ``depth`` replaced by ``"…"`` and absurd ints by text.

    Iterative in spirit: it never recurses deeper than ``depth``, so a 100,000-level value is safe.
    """
    if isinstance(value, dict):
        if depth <= 0:
            return ELLIPSIS
        return {k: shallow(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return ELLIPSIS if depth <= 0 else [shallow(v, depth - 1) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
        return ELLIPSIS
    return value


def safe_json(value: Any) -> str:
    """``value`` as one line of JSON, readable UTF-8, with no raw control character in it.

    The data is unchanged: a client parsing the line gets back exactly the strings it was sent.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except PARSE_ERRORS:  # nesting too deep, a 5,000-digit int: keep what can be written
        text = json.dumps(shallow(value), ensure_ascii=False, default=str)
    return _UNSAFE_JSON.sub(_json_escape, text)


def safe_json_text(text: str) -> str:
    """JSON text (as ``json.dumps`` writes it) with the characters it leaves raw in strings (DEL,
    C1 controls, lone surrogates, line separators) written as ``\\uXXXX``: safe for a terminal,
    and a parser gets back the same data."""
    return _UNSAFE_JSON.sub(_json_escape, text)


def is_clean(text: str) -> bool:
    """Whether ``text`` has no raw control character but newline and tab."""
    return _CONTROL.search(text) is None
