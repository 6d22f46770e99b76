"""The spend guard: what a request will cost before it is sent, and what it cost after.

An estimate starts from the service's published prices (a generation about 100 credits, an edit
about 10; exports and plain chat nothing until the account shows otherwise) and is replaced by the
median of what this account was actually charged for the same kind of request, kept in a small
private history file per identity (the API URL, or a local backend's data dir).

A charge is measured on ``available`` credits: the service freezes a turn's price as soon as the
work starts (``available`` drops, ``frozen`` rises) and settles it when the work is over (``frozen``
drops), so the drop in ``available`` is the cost whether or not the work has settled yet; a
refund (the work did not happen) brings ``available`` back up.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from artgen_tui import paths
from artgen_tui.api.untrusted import MAX_COUNT

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits

SpendKind = Literal["generation", "edit", "export", "chat"]
KINDS: tuple[SpendKind, ...] = ("generation", "edit", "export", "chat")

DEFAULT_COST: dict[SpendKind, int] = {"generation": 100, "edit": 10, "export": 0, "chat": 0}
"""Published prices; used until this account has been charged for the kind."""
HISTORY_KEEP = 20
"""Charges remembered per kind (the estimate is their median)."""

_GENERATE = re.compile(
    r"(?<![a-z])(generate|create|make (a|an|me a|me an) |produce|render a |film a )"
    r"|生成|制作|做一个|创作",
    re.IGNORECASE,
)
_EDIT = re.compile(
    r"(?<![a-z])(add|remove|delete|drop|change|set|replace|trim|cut|shorten|lengthen|"
    r"make it|turn it|title|music|bgm|soundtrack|seconds?|aspect|vertical|horizontal|square|"
    r"style|faster|slower|louder|quieter|mute|\d+:\d+)(?![a-z])"
    r"|加|添加|去掉|删除|改|换|标题|音乐|竖屏|横屏|秒",
    re.IGNORECASE,
)


_GREETING = re.compile(
    r"^(hi|hello|hey|thanks|thank you|ok|okay|help|你好|您好|谢谢|帮助)(?![a-z])", re.IGNORECASE
)


def classify(text: str, *, has_timeline: bool | None = None) -> SpendKind | None:
    """What kind of request ``text`` is for pricing; ``None`` for a local command (free, nothing is
    sent). :func:`artgen_tui.core.intents.route` decides local commands and exports; a message
    for the agent is a generation or an edit by its words. A message with neither, sent to an
    empty timeline (``has_timeline`` False) and not a question, is priced as a generation: the
    agent treats a scene description as a request to make one."""
    from artgen_tui.core.intents import route  # with the first line typed, not the first frame

    intent = route(text)
    if intent.kind == "export":
        return "export"
    if intent.kind != "chat":
        return None
    if _GENERATE.search(text):
        return "generation"
    if _EDIT.search(text):
        return "edit"
    if has_timeline is False and _describes_a_scene(text):
        return "generation"
    return "chat"


def _describes_a_scene(text: str) -> bool:
    """Not a question, a greeting or a single word: "a calm ocean at dawn", not "hello"."""
    stripped = text.strip()
    if stripped.endswith(("?", "？")) or _GREETING.match(stripped):
        return False
    if stripped.isascii():
        return len(re.findall(r"\w+", stripped)) >= 2
    return len(stripped) >= 4


def charged(before: Credits, after: Credits) -> int:
    """Credits a request cost: the drop in ``available`` (frozen credits are already spent)."""
    return before.available - after.available


@dataclass(frozen=True)
class Estimate:
    """A priced request (or a batch of them) beside the balance and the per-run limit."""

    what: str
    """``generation``, ``edit``, ``export``, ``chat``, or a description like ``batch of 3``."""
    credits: int
    available: int | None
    limit: int = 0
    basis: str = "published price"
    parts: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    @property
    def over_balance(self) -> bool:
        return self.available is not None and self.credits > self.available

    @property
    def over_limit(self) -> bool:
        return self.limit > 0 and self.credits > self.limit

    @property
    def needs_confirmation(self) -> bool:
        return self.over_balance or self.over_limit

    @property
    def sentence(self) -> str:
        """``This edit will cost about 10 credits (…); you have 500 available.`` plus problems."""
        article = "" if self.what.startswith("batch") else "This "
        head = f"{article}{self.what}".strip()
        head = head[0].upper() + head[1:]
        text = f"{head} will cost about {self.credits} credits ({self.basis})"
        if self.available is not None:
            text += f"; you have {self.available} available"
        text += "."
        if self.over_balance:
            text += f" That is more than your balance of {self.available}."
        if self.over_limit:
            text += f" That is more than the per-run limit of {self.limit} ([spend] limit)."
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "credits": self.credits,
            "available": self.available,
            "limit": self.limit,
            "basis": self.basis,
            "over_balance": self.over_balance,
            "over_limit": self.over_limit,
            "parts": [{"kind": k, "credits": c} for k, c in self.parts],
        }


def default_history_path() -> Path:
    return paths.state_dir() / "spend.json"


class SpendGuard:
    """Estimates and observed charges for one identity; one per run (it keeps the run's total)."""

    def __init__(self, identity: str, *, limit: int = 0, history_path: Path | None = None) -> None:
        self.identity = identity
        self.limit = limit
        self.history_path = history_path or default_history_path()
        self.session_total = 0
        """Credits spent in this run (the sum of :meth:`record`'s charges)."""

    # --- history -----------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        raw = paths.read_json(self.history_path)
        return raw if isinstance(raw, dict) else {}

    def observed(self, kind: SpendKind) -> list[int]:
        """Charges seen for ``kind`` in this account, oldest first (untrusted file: filtered)."""
        mine = self._read().get(self.identity)
        values = mine.get(kind) if isinstance(mine, dict) else None
        if not isinstance(values, list):
            return []
        return [
            v
            for v in values
            if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_COUNT
        ]

    def record(self, kind: SpendKind, before: Credits, after: Credits) -> int:
        """Remember what a request of ``kind`` cost (balance ``before`` → ``after``) and add it to
        the run's total; returns the charge. A negative change (a top-up or a refund of older
        work landing meanwhile) is reported but not learned from."""
        cost = charged(before, after)
        if cost >= 0:
            with paths.locked(self.history_path):  # another run may be recording too
                data = self._read()
                mine = data.get(self.identity)
                if not isinstance(mine, dict):
                    mine = {}
                values = [*self.observed(kind), cost][-HISTORY_KEEP:]
                mine[kind] = values
                data[self.identity] = mine
                paths.atomic_write_json(self.history_path, data)
            self.session_total += cost
        return cost

    # --- estimates ---------------------------------------------------------------------------

    def unit(self, kind: SpendKind) -> tuple[int, str]:
        """The price of one request of ``kind`` and where the figure comes from."""
        seen = self.observed(kind)
        if seen:
            runs = "request" if len(seen) == 1 else "requests"
            return round(statistics.median(seen)), f"charged before: median of {len(seen)} {runs}"
        return DEFAULT_COST[kind], "published price"

    def estimate(
        self, kind: SpendKind, credits: Credits | None = None, *, what: str = ""
    ) -> Estimate:
        """Price one request of ``kind`` beside the balance in ``credits`` (if known); ``what``
        names it in the sentence when the kind alone would not (``preview``, ``re-export``)."""
        cost, basis = self.unit(kind)
        return Estimate(
            what or kind,
            cost,
            credits.available if credits else None,
            self.limit,
            basis,
            ((kind, cost),),
        )

    def estimate_message(
        self, text: str, credits: Credits | None = None, *, has_timeline: bool | None = None
    ) -> Estimate | None:
        """Price a typed message as :func:`classify` sees it; ``None`` for a local command."""
        kind = classify(text, has_timeline=has_timeline)
        return None if kind is None else self.estimate(kind, credits)

    def estimate_many(
        self, kinds: Sequence[SpendKind], credits: Credits | None = None, *, what: str = ""
    ) -> Estimate:
        """Price several requests as a whole (a batch): the sum of their unit prices."""
        parts = tuple((k, self.unit(k)[0]) for k in kinds)
        bases = {self.unit(k)[1] for k in kinds}
        basis = bases.pop() if len(bases) == 1 else "published prices and past charges"
        return Estimate(
            what or f"batch of {len(kinds)} requests",
            sum(c for _, c in parts),
            credits.available if credits else None,
            self.limit,
            basis,
            parts,
        )


def cost_sentence(before: Credits, after: Credits) -> str:
    """``Cost: 10 credits (balance 500 → 490 available, 10 frozen while the work settles).``"""
    cost = charged(before, after)
    text = f"Cost: {cost} credits (balance {before.available} → {after.available} available"
    if after.frozen:
        text += f", {after.frozen} frozen while the work settles"
    return text + ")."
