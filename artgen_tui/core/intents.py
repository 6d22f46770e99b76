"""Decide what a typed message means: a local command or a message for the agent.

The rule, kept deliberately simple:

* A message starting with ``/`` is a slash command (:data:`SLASH_COMMANDS`). Words after it are
  arguments (``/upload a.png b.mp4``). An unknown command routes to ``help`` with ``error`` set.
* Otherwise the message is a local command only when the *whole message* is made of intent keywords
  and filler words (at most :data:`MAX_COMMAND_WORDS` words) and its keywords name exactly one
  intent: "export", "export the video please", "导出视频", "how many credits do I have", "show tracks".
* A message made only of file paths (a dragged or pasted file: ``/tmp/my\\ photo.png``,
  ``'/tmp/my photo.png'``, ``file:///tmp/a.png``, or unquoted ``/tmp/my photo.png`` when that file
  exists) is an upload *offer* (``Intent.offer``: ask first); ``upload PATH…`` / ``上传 PATH…``
  with file-like words uploads those files.
* Everything else goes to the agent, so a creative prompt that merely mentions "status" or "export"
  ("a neon city showing its status") is always chat.

Matching is case-insensitive; punctuation (ASCII and full-width) is ignored.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

IntentKind = Literal[
    "chat",
    "export",
    "preview",
    "library",
    "credits",
    "state",
    "upload",
    "new",
    "help",
    "sessions",
    "export_chat",
]

MAX_COMMAND_WORDS = 8


@dataclass(frozen=True)
class Intent:
    """What to do with a message. ``text`` is the original message, ``args`` the slash arguments."""

    kind: IntentKind
    text: str
    args: list[str] = field(default_factory=list)
    error: str | None = None
    """Set for an unknown slash command: a sentence to show instead of running anything."""
    offer: bool = False
    """An upload built from pasted paths: ask before sending them."""


@dataclass(frozen=True)
class SlashCommand:
    name: str
    kind: IntentKind
    usage: str
    help: str


SLASH_COMMANDS: dict[str, SlashCommand] = {
    c.name: c
    for c in (
        SlashCommand(
            "export", "export", "/export", "Render the timeline to an MP4 and download it."
        ),
        SlashCommand(
            "preview",
            "preview",
            "/preview",
            "Render a quick low-resolution preview and show frames.",
        ),
        SlashCommand(
            "library", "library", "/library", "Every result across sessions (artgen library)."
        ),
        SlashCommand("credits", "credits", "/credits", "Show available, frozen and total credits."),
        SlashCommand("status", "state", "/status", "Print a summary of the timeline."),
        SlashCommand("upload", "upload", "/upload [FILE|URL…]", "Upload media (no args: pick)."),
        SlashCommand("new", "new", "/new", "Start a new session (a fresh, empty project)."),
        SlashCommand(
            "sessions", "sessions", "/sessions", "List, search, open and rename your sessions."
        ),
        SlashCommand(
            "export-chat",
            "export_chat",
            "/export-chat [md|html|json]",
            "Save this session's chat into the output folder (md by default).",
        ),
        SlashCommand("help", "help", "/help", "List commands and keys."),
    )
}

AGENT_COMMANDS = frozenset({"bench-stream"})
"""Slash commands the agent itself answers (the local backend's ``/bench-stream N``): sent as
typed, by the app and by ``artgen chat`` alike."""

_SLASH_ALIASES: dict[str, str] = {
    "state": "status",
    "tracks": "status",
    "timeline": "status",
    "balance": "credits",
    "credit": "credits",
    "render": "export",
    "download": "export",
    "?": "help",
    "h": "help",
    "reset": "new",
}

# Keyword phrases per intent. ASCII entries match whole words; CJK entries match anywhere.
_KEYWORDS: dict[IntentKind, tuple[str, ...]] = {
    "export": (
        "send me the video",
        "send me the file",
        "send the video",
        "export",
        "download",
        "render",
        "导出",
        "下载",
        "渲染",
        "发给我",
    ),
    "preview": ("preview", "预览"),
    "credits": ("credits", "credit", "balance", "积分", "余额", "点数"),
    "state": (
        "show tracks",
        "show the tracks",
        "status",
        "tracks",
        "timeline",
        "状态",
        "时间线",
        "轨道",
        "进度",
    ),
    "upload": ("upload", "上传"),
}

_FILLER_TEXT = """
    a an the my me i it this that these some any of to for in on at with and now please pls
    can could would you show see view check get give what whats is are how many much do does
    have has left remaining current video videos file files clip clips project movie mp4 final
    let us lets go start want need ok okay just again one more all s
    photo photos image images picture pictures media song
"""
_FILLER_WORDS = frozenset(_FILLER_TEXT.split())

_FILLER_CJK = (
    "我的",
    "我们",
    "我",
    "的",
    "要",
    "想",
    "请",
    "帮",
    "查看",
    "看看",
    "看",
    "显示",
    "一下",
    "视频",
    "文件",
    "吧",
    "呢",
    "吗",
    "多少",
    "还有",
    "剩余",
    "剩下",
    "当前",
    "现在",
    "一个",
    "几个",
    "查询",
    "给",
    "把",
    "个",
    "了",
)

_PUNCT = re.compile(r"[\s!?.,;:'\"()\[\]{}<>~`@#$%^&*_+=|\\/\-，。！？、；：“”‘’（）【】《》…·]+")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _pattern(phrase: str) -> re.Pattern[str]:
    if _CJK.search(phrase):
        return re.compile(re.escape(phrase))
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<![a-z0-9]){words}(?![a-z0-9])")


_KEYWORD_PATTERNS: list[tuple[IntentKind, re.Pattern[str]]] = sorted(
    ((kind, _pattern(p)) for kind, phrases in _KEYWORDS.items() for p in phrases),
    key=lambda kp: -len(kp[1].pattern),
)
_FILLER_CJK_PATTERNS = [
    re.compile(re.escape(w)) for w in sorted(_FILLER_CJK, key=len, reverse=True)
]


def route(text: str) -> Intent:
    """Classify one message (see the module docstring for the rule)."""
    stripped = text.strip()
    dropped = dropped_paths(stripped)
    if dropped:
        return Intent("upload", text, dropped, offer=True)
    named = _upload_words(stripped)
    if named:
        return Intent("upload", text, named)
    if stripped.startswith("/") and len(stripped) > 1:
        return _slash(text, stripped)
    kind = _keyword_intent(stripped)
    return Intent(kind or "chat", text)


def split_args(text: str) -> list[str]:
    """Shell-style words: quotes keep spaces in a path (``/upload "my clip.mp4"``); an unclosed
    quote falls back to plain whitespace splitting."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


_PATH_START = ("/", "~/", "./", "../", "file://")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_UPLOAD_WORDS = ("upload", "上传")


def _looks_like_path(word: str) -> bool:
    """A dragged file's path: rooted (``/``, ``~/``, ``./``, ``file://``) and either nested or
    with an extension, so ``/export`` or ``/bench-stream`` never read as files."""
    if not word.startswith(_PATH_START):
        return False
    body = word.removeprefix("file://").lstrip("/")
    return "/" in body or bool(_EXTENSION.search(body))


def _file_path(word: str) -> str:
    if word.startswith("file://"):
        return unquote(urlsplit(word).path)
    return word


def dropped_paths(text: str) -> list[str]:
    """The paths in a message made only of paths (as terminals paste dragged files: quoted, or
    with backslash-escaped spaces, or as they are when the files exist: see
    :func:`existing_files`); ``[]`` when any word is not a path."""
    words = split_args(text.replace("\n", " "))
    if words and all(_looks_like_path(w) for w in words):
        return [_file_path(w) for w in words]
    return existing_files(text)


MAX_UNQUOTED_WORDS = 32
"""Longest pasted line read as unquoted paths (it is checked against the disk as it is typed)."""


def existing_files(text: str) -> list[str]:
    """A pasted line of unquoted paths with spaces (``/tmp/x/my photo.png``, or several in a row):
    the split of its words into existing regular files, each path-like; ``[]`` when there is none.

    The disk decides where one path ends: a space inside a file name cannot be told from the space
    between two files otherwise. Only a line that starts like a path is checked."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if not spans or len(spans) > MAX_UNQUOTED_WORDS or not text.lstrip().startswith(_PATH_START):
        return []

    def segment(i: int, j: int) -> str | None:
        piece = text[spans[i][0] : spans[j][1]]
        if "\n" in piece or not _looks_like_path(piece):
            return None
        path = _file_path(piece)
        return path if Path(path).expanduser().is_file() else None

    found: dict[int, list[str] | None] = {len(spans): []}
    for i in range(len(spans) - 1, -1, -1):  # found[i]: the files that make up words i…
        found[i] = None
        if not text[spans[i][0] :].startswith(_PATH_START):
            continue
        for j in range(len(spans) - 1, i - 1, -1):  # the longest file name first
            rest = found[j + 1]
            if rest is not None and (path := segment(i, j)) is not None:
                found[i] = [path, *rest]
                break
    return found[0] or []


def _upload_words(text: str) -> list[str]:
    """``upload a.mp4 b.wav`` / ``上传 a.mp4``: the file-like words after the keyword (``[]`` when
    the rest reads as prose, e.g. ``upload a photo``)."""
    head = next((w for w in _UPLOAD_WORDS if text.lower().startswith(w)), None)
    if head is None:
        return []
    rest = text[len(head) :]
    if head.isascii() and rest[:1] not in (" ", "\t"):
        return []
    unquoted = existing_files(rest.strip())
    if unquoted:
        return unquoted
    words = split_args(rest)
    looks_like_file = [
        _URL.match(w) or "/" in w or _EXTENSION.search(w) or w.startswith("~") for w in words
    ]
    return words if words and all(looks_like_file) else []


def _slash(text: str, stripped: str) -> Intent:
    head, *args = split_args(stripped[1:]) or [""]
    name = head.lower()
    name = _SLASH_ALIASES.get(name, name)
    if name in AGENT_COMMANDS:
        return Intent("chat", text)
    command = SLASH_COMMANDS.get(name)
    if command is None and _looks_like_path("/" + head):
        return Intent("help", text, args, error=f"No file {stripped} here; nothing was sent.")
    if command is None:
        return Intent(
            "help",
            text,
            args,
            error=f"Unknown command /{head}. Type /help for the list of commands.",
        )
    return Intent(command.kind, text, args)


def _keyword_intent(message: str) -> IntentKind | None:
    normalized = _PUNCT.sub(" ", message.lower()).strip()
    if not normalized:
        return None
    kinds: set[IntentKind] = set()
    rest = normalized
    for kind, pattern in _KEYWORD_PATTERNS:
        if pattern.search(rest):
            kinds.add(kind)
            rest = pattern.sub(" ", rest)
    if len(kinds) != 1:
        return None
    for pattern in _FILLER_CJK_PATTERNS:
        rest = pattern.sub(" ", rest)
    leftover = rest.split()
    if any(word not in _FILLER_WORDS for word in leftover):
        return None
    if len(normalized.split()) > MAX_COMMAND_WORDS:
        return None
    return next(iter(kinds))


def help_text() -> str:
    """The slash commands and typed keywords, for /help and the help screen."""
    width = max(len(c.usage) for c in SLASH_COMMANDS.values())
    lines = ["Commands:"]
    lines += [f"  {c.usage.ljust(width)}  {c.help}" for c in SLASH_COMMANDS.values()]
    lines.append(
        "Typed on their own, these also work: export / 导出 / download, preview / 预览, credits / 积分 / "
        "balance / 余额, status / 状态 / show tracks, upload / 上传. Anything else goes to the agent."
    )
    return "\n".join(lines)
