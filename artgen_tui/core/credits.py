"""The credits rules both faces show: the balance sentence and when the balance counts as low."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from artgen_tui.api.models import Credits

CreditLevel = Literal["ok", "low", "empty"]

GENERATION_COST = 100
"""What a generation costs, roughly (said in the low-balance warning)."""


def credits_sentence(credits: Credits, *, short: bool = False) -> str:
    """``390 available · 0 frozen · 390 total``; ``short``: ``390 available``."""
    if short:
        return f"{credits.available} available"
    return f"{credits.available} available · {credits.frozen} frozen · {credits.total} total"


def credit_level(available: int, low_threshold: int) -> CreditLevel:
    """``empty`` at zero or below, ``low`` under the threshold, else ``ok``."""
    if available <= 0:
        return "empty"
    if available < low_threshold:
        return "low"
    return "ok"


def low_credits_warning(available: int, low_threshold: int) -> str | None:
    """The warning for a low or empty balance, or ``None`` when the balance is fine."""
    level = credit_level(available, low_threshold)
    if level == "ok":
        return None
    what = "You are out of credits" if level == "empty" else "Credits are low"
    return f"{what}: {available} left. Generations cost about {GENERATION_COST}."
