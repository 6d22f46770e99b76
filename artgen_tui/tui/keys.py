"""Key hints built from the app's live bindings and the user's keymap, never from constants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType

_NAMES = {"escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space"}


def bound_key(bindings: Iterable[BindingType], keymap: Mapping[str, str], action: str) -> str:
    """The key that runs ``action`` (the first of a remap like ``"f6,ctrl+e"``), or ``""``."""
    for binding in bindings:
        if isinstance(binding, Binding) and binding.action == action:
            keys = keymap.get(binding.id or "", binding.key)
            return keys.split(",")[0].strip()
    return ""


def key_help(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, description) for every binding, with the user's remaps applied (the help screen)."""
    rows = [
        (bound_key([b], keymap, b.action), b.tooltip or b.description)
        for b in bindings
        if isinstance(b, Binding)
    ]
    rows.append(("ctrl+p", "Command palette (every action)"))
    return rows


def key_display(key: str) -> str:
    """``ctrl+u`` → ``Ctrl+U``, ``f5`` → ``F5``, ``escape`` → ``Esc``."""
    if not key:
        return ""
    parts = key.split("+")
    return "+".join(_NAMES.get(p, p if len(p) == 1 and len(parts) == 1 else _cap(p)) for p in parts)


def _cap(part: str) -> str:
    return part.upper() if len(part) <= 3 else part.capitalize()


def hint(key: str, *extra: str) -> str:
    """`` (Ctrl+U, /upload)`` from the pieces that exist; ``""`` when none do."""
    pieces = [p for p in (key_display(key), *extra) if p]
    return f" ({', '.join(pieces)})" if pieces else ""
