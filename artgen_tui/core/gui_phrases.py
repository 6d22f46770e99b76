"""Translate the agent's GUI instructions into actions a terminal can offer.

The cloud agent was written for a web editor, so replies say things like "click Export" or
"preview it in the timeline". :func:`find_actions` spots those phrases (English and Chinese) and
returns at most one :class:`GuiAction` per kind, in the order they first appear, so the UI can show
a button or key hint that does the same thing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

GuiActionKind = Literal["export", "preview", "state", "focus_timeline"]


@dataclass(frozen=True)
class GuiAction:
    """``kind`` is what to run, ``label`` a short button text, ``phrase`` the matched words."""

    kind: GuiActionKind
    label: str
    phrase: str


LABELS: dict[GuiActionKind, str] = {
    "export": "Export video",
    "preview": "Preview",
    "state": "Show project state",
    "focus_timeline": "Go to timeline",
}

_RULES: list[tuple[GuiActionKind, re.Pattern[str]]] = [
    (
        "export",
        re.compile(
            r"\b(?:click|press|tap|hit|use|select)\s+(?:on\s+)?(?:the\s+)?[\"'“*]*export\b[\"'”*]*"
            r"(?:\s+button)?|\bexport\s+button\b|点击[“\"「]?导出|导出按钮",
            re.IGNORECASE,
        ),
    ),
    (
        "preview",
        re.compile(
            r"\bpreview\s+(?:the\s+|your\s+)?(?:final\s+)?(?:result|video|output|render|cut)\b"
            r"|预览(?:结果|成品|视频)",
            re.IGNORECASE,
        ),
    ),
    (
        "focus_timeline",
        re.compile(
            r"\bpreview\b[^.!?\n]{0,40}?\btimeline\b|\b(?:check|see|view|look\s+at)\s+"
            r"(?:it\s+(?:in|on)\s+)?(?:the\s+)?timeline\b|在时间线[上中]?(?:预览|查看)|预览时间线|查看时间线",
            re.IGNORECASE,
        ),
    ),
    (
        "state",
        re.compile(
            r"\bopen\s+(?:up\s+)?(?:the\s+|your\s+)?[\"'“*]*(?:[\w-]+\s+){0,2}?(?:panel|tab|project|"
            r"editor|workspace|page|view|settings|timeline|preview|library|assets|media|menu|window|"
            r"sidebar|dashboard)\b|打开",
            re.IGNORECASE,
        ),
    ),
]


def find_actions(reply_text: str) -> list[GuiAction]:
    """The GUI actions mentioned in a reply, one per kind, in order of first appearance."""
    found: dict[GuiActionKind, tuple[int, GuiAction]] = {}
    for kind, pattern in _RULES:
        for match in pattern.finditer(reply_text):
            phrase = re.sub(r"[*\"“”]", "", match.group(0)).strip(" '")
            # "open the timeline" asks to look at the timeline, not to query the project.
            actual: GuiActionKind = (
                "focus_timeline" if kind == "state" and "timeline" in phrase.lower() else kind
            )
            if actual not in found:
                found[actual] = (match.start(), GuiAction(actual, LABELS[actual], phrase))
            break
    return [action for _, action in sorted(found.values(), key=lambda item: item[0])]
