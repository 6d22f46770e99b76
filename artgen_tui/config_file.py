"""The config file as TOML (read, and written back), and what the app's first frame needs of the
settings: everything here runs without pydantic, which takes ~100 ms to load.

:mod:`artgen_tui.config` builds and validates the settings from this file and the environment;
the app paints its first frame from :func:`first_frame` and validates right after it (see
:class:`LateSettings`), so a broken config is still reported before anything else happens.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgen_tui import paths

if TYPE_CHECKING:
    from artgen_tui.config import Settings

DEFAULT_THEME = "textual-dark"

FIRST_FRAME_ENV = ("artgen_theme", "artgen_keymap")
"""The environment variables (any case, and their ``__`` nested forms) that could set what the
first frame shows; when one is set, the settings are validated before the first frame instead."""


class ConfigError(Exception):
    """The config file cannot be used; the message says where and why."""


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML file; a missing file is empty, a broken one raises :class:`ConfigError`."""
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise ConfigError(f"{path}: not a regular file, so not a config file.")
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}). "
            "Save it as UTF-8, or move it away to use defaults."
        ) from exc
    try:
        return tomllib.loads(text)
    except RecursionError as exc:
        raise ConfigError(f"{path}: nested too deeply to read.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}. Fix that line, or move the file away to use defaults."
        ) from exc


def flatten_keymap(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"app": {"export": "f6"}}`` → ``{"app.export": "f6"}``; other values are kept for
    validation to name."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_keymap(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass
class FirstFrame:
    """The settings the app's first frame shows, as the validated settings will have them."""

    theme: str
    keymap: dict[str, str]
    source_path: Path


def first_frame(config_path: Path | None = None) -> FirstFrame | None:
    """What the first frame needs, read from the file alone; ``None`` when the environment sets
    some of it or the file holds a value of the wrong type (validation decides those first).
    A file that is not TOML raises :class:`ConfigError`, exactly as loading the settings would."""
    if any(name.lower().startswith(FIRST_FRAME_ENV) for name in os.environ):
        return None
    path = config_path or paths.config_file()
    data = read_config_file(path)
    theme = data.get("theme", DEFAULT_THEME)
    keymap = data.get("keymap", {})
    if not isinstance(theme, str) or not isinstance(keymap, dict):
        return None
    flat = flatten_keymap(keymap)
    if not all(isinstance(keys, str) for keys in flat.values()):
        return None
    return FirstFrame(theme, flat, path)


@dataclass(frozen=True)
class LateSettings:
    """Settings validated after the first frame: ``first`` paints it, ``load`` then builds the
    settings (raising what loading them raises: :class:`ConfigError`, ``OSError``…)."""

    first: FirstFrame
    load: Callable[[], Settings]


def save_config(updates: dict[str, Any], config_path: Path | None = None) -> Path:
    """Merge ``updates`` into the config file and write it atomically (TOML via tomli-w)."""
    import tomli_w

    path = config_path or paths.config_file()
    data = read_config_file(path)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = str(value) if isinstance(value, Path) else value
    paths.atomic_write_bytes(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600)
    return path


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_-]+)\s*=")
_TABLE = re.compile(r"^\s*\[")


def save_top_level_value(key: str, value: str, config_path: Path | None = None) -> Path:
    """Set one top-level string setting (the theme picked in the app), keeping the file's
    comments and layout: the ``key = …`` line is replaced, or one is added above the first
    table. Should the file not read back as expected, it is rewritten by :func:`save_config`
    instead, which keeps every setting but drops comments and layout (tomli-w writes data only).
    """
    import tomli_w

    path = config_path or paths.config_file()
    read_config_file(path)  # a broken file is reported, never overwritten
    try:
        lines = path.read_text("utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    new_line = f"{key} = {tomli_w.dumps({'v': value})[4:].strip()}\n"
    at = _top_level_line(lines, key)
    if at is not None:
        lines[at] = new_line
    else:
        first_table = next((i for i, ln in enumerate(lines) if _TABLE.match(ln)), len(lines))
        if first_table == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.insert(first_table, new_line)
    text = "".join(lines)
    try:
        ok = tomllib.loads(text).get(key) == value
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        return save_config({key: value}, path)
    paths.atomic_write_text(path, text, mode=0o600)
    return path


def _top_level_line(lines: list[str], key: str) -> int | None:
    for index, line in enumerate(lines):
        if _TABLE.match(line):
            return None
        match = _TOP_KEY.match(line)
        if match and match.group("key") == key:
            return index
    return None
