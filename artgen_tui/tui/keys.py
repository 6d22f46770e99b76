"""Key hints built from the app's live bindings and the user's keymap, never from constants.

Also the keymap itself: every binding with an ``id`` can be remapped in ``[keymap]``, by its
full id (``"app.export" = "f6"``, or the dotted-table form ``app.export = "f6"``) or, for the
app's own keys, by the plain id (``export = "f6"``). :func:`resolve_keymap` turns what the
user wrote into full ids and refuses unknown ones with the list of valid ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from artgen_tui.config_file import ConfigError

_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "delete": "Del",
    "backspace": "Backspace",
    "ctrl": "Ctrl",
    "alt": "Alt",
    "shift": "Shift",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "home": "Home",
    "end": "End",
}

APP_PREFIX = "app."
"""Plain ids in ``[keymap]`` name the app's own bindings."""


class KeymapError(ConfigError):
    """``[keymap]`` names a binding that does not exist (the message lists the valid ids)."""


@dataclass(frozen=True)
class KeyRow:
    """One line of the key help: the key(s) as shown, what it does, its keymap id (or ``""``)."""

    key: str
    what: str
    id: str = ""


def bound_keys(
    bindings: Iterable[BindingType], keymap: Mapping[str, str], action: str
) -> list[str]:
    """Every key that runs ``action`` now (a remap like ``"f6,ctrl+e"`` gives both)."""
    for binding in bindings:
        if isinstance(binding, Binding) and binding.action == action:
            keys = keymap.get(binding.id or "") or binding.key  # Textual keeps it when empty
            return [k.strip() for k in keys.split(",") if k.strip()]
    return []


def bound_key(bindings: Iterable[BindingType], keymap: Mapping[str, str], action: str) -> str:
    """The key that runs ``action`` (the first of a remap like ``"f6,ctrl+e"``), or ``""``."""
    keys = bound_keys(bindings, keymap, action)
    return keys[0] if keys else ""


def binding_rows(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[KeyRow]:
    """(keys, description, id) for every binding, with the user's remaps applied."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            keys = bound_keys([b], keymap, b.action)
            shown = " / ".join(key_display(k) for k in keys)
            rows.append(KeyRow(shown, b.tooltip or b.description, b.id or ""))
    return rows


def key_help(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, description) for every binding, with the user's remaps applied."""
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


def prompt_placeholder(key_of: Callable[[str], str]) -> str:
    """The empty prompt's hint, naming the keys bound now."""
    newline = key_display(key_of("newline")) or "Shift+Enter"
    return f"Describe a video · Enter sends · {newline} new line"


def shell_keys(key_of: Callable[[str], str]) -> str:
    """The prompt's history, search and editor keys in a few sentences, naming the keys bound
    now (``key_of``: action → key, as :meth:`ArtgenApp.key_of`)."""
    back, forward = key_display(key_of("history_up")), key_display(key_of("history_down"))
    search = key_display(key_of("search_history"))
    editor = key_display(key_of("editor_prefix"))
    return (
        f"Arrows move, Shift+arrows select. {back}/{forward} walk the history on the first/last "
        f"line. {search}: type to search, {search} again for older, Enter keeps the text found, "
        f"Esc cancels. {editor} then Ctrl+E opens the text in $VISUAL/$EDITOR."
    )


# --- the keymap ------------------------------------------------------------------------------


def own_bindings(cls: type[DOMNode]) -> list[Binding]:
    """The bindings a class declares itself (not inherited), as :class:`Binding` objects."""
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def artgen_classes() -> list[type[DOMNode]]:
    """Every loaded screen and widget class of this package, the app first."""
    found: list[type[DOMNode]] = []
    stack: list[type[DOMNode]] = [DOMNode]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                stack.append(sub)
    ours = [c for c in found if c.__module__.startswith("artgen_tui.tui")]
    return sorted(ours, key=lambda c: (not c.__name__.endswith("App"), c.__module__, c.__name__))


def load_every_screen() -> None:
    """Import every module of the TUI, so every screen's and widget's bindings are known (most
    load only when first used, after the first frame)."""
    import importlib
    import pkgutil

    import artgen_tui.tui as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)


def binding_ids(classes: Iterable[type[DOMNode]] | None = None) -> list[str]:
    """Every remappable binding id (the app's first, then the others by name)."""
    if classes is None:
        load_every_screen()
    ids: list[str] = []
    for cls in artgen_classes() if classes is None else classes:
        for binding in own_bindings(cls):
            if binding.id and binding.id not in ids:
                ids.append(binding.id)
    app_ids = [i for i in ids if i.startswith(APP_PREFIX)]
    return app_ids + sorted(i for i in ids if not i.startswith(APP_PREFIX))


def resolve_keymap(raw: Mapping[str, str], known: Iterable[str]) -> dict[str, str]:
    """Full binding ids for what the user wrote; :class:`KeymapError` for an unknown id."""
    valid = list(known)
    resolved: dict[str, str] = {}
    unknown: list[str] = []
    for name, keys in raw.items():
        full = name if "." in name else APP_PREFIX + name
        if full not in valid:
            unknown.append(name)
            continue
        resolved[full] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    if unknown:
        shown = ", ".join(repr(u) for u in unknown)
        plain = [v.removeprefix(APP_PREFIX) for v in valid if v.startswith(APP_PREFIX)]
        others = [v for v in valid if not v.startswith(APP_PREFIX)]
        raise KeymapError(
            f"[keymap]: unknown binding id {shown}. Valid ids: {', '.join(plain)}"
            f' (or app.<id>); {", ".join(others)} (quoted, e.g. "prompt.newline" = "ctrl+j").'
        )
    return resolved


def keys_in_force(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> dict[str, Binding]:
    """Each key bound now (remaps applied) → its binding."""
    return {
        key: b
        for b in bindings
        if isinstance(b, Binding)
        for key in bound_keys([b], keymap, b.action)
    }


def check_app_keys(
    keymap: Mapping[str, str],
    app_bindings: Iterable[BindingType],
    prompt_bindings: Iterable[BindingType],
    prompt_extra: Iterable[str] = ("enter",),
) -> None:
    """Refuse a keymap that gives an app action and the prompt the same key, whichever side was
    remapped (the app's F-keys take priority, so the prompt would lose it; the prompt takes the
    others, so the app would), or an app action a single typed character."""
    app = keys_in_force(app_bindings, keymap)
    prompt: dict[str, str] = {k: f"the prompt's {k}" for k in prompt_extra}
    for key, b in keys_in_force(prompt_bindings, keymap).items():
        prompt[key] = b.id or f"the prompt's {b.description}"
    clashes = [
        f"{key} for both {b.id} and {prompt[key]}" for key, b in app.items() if key in prompt
    ]
    clashes += [f"{key} ({b.id}) is a typed character" for key, b in app.items() if len(key) == 1]
    if clashes:
        shown = key_display(bound_key(app_bindings, keymap, "help")) or "F1"
        raise KeymapError(
            f"[keymap]: {'; '.join(clashes)}. One key cannot do both: give the app an F-key or a "
            f"key the prompt does not use, and the prompt a key of its own ({shown} lists them)."
        )
