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

GuiActionKind = Literal["export", "state", "focus_timeline"]


@dataclass(frozen=True)
class GuiAction:
    """``kind`` is what to run, ``label`` a short button text, ``phrase`` the matched words."""

    kind: GuiActionKind
    label: str
    phrase: str


LABELS: dict[GuiActionKind, str] = {
    "export": "Export video",
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
            r"\bopen\s+(?:the\s+|your\s+)?[\"'“*]*[a-z][\w-]*(?:\s+(?:panel|tab|project|editor|"
            r"workspace|page|view|settings))?|打开",
            re.IGNORECASE,
        ),
    ),
]


def find_actions(reply_text: str) -> list[GuiAction]:
    """The GUI actions mentioned in a reply, one per kind, in order of first appearance."""
    found: list[tuple[int, GuiAction]] = []
    for kind, pattern in _RULES:
        match = pattern.search(reply_text)
        if match is None:
            continue
        if kind == "state" and _overlaps(match, found, reply_text):
            continue
        found.append((match.start(), GuiAction(kind, LABELS[kind], match.group(0).strip(" *\"'"))))
    found.sort(key=lambda item: item[0])
    return [action for _, action in found]


def _overlaps(match: re.Match[str], found: list[tuple[int, GuiAction]], text: str) -> bool:
    """ "open the timeline" is a timeline focus, not a state query, when that was already found."""
    return "timeline" in match.group(0).lower() and any(
        a.kind == "focus_timeline" for _, a in found
    )
