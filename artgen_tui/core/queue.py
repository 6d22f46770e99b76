"""Messages typed while a turn runs: which run at once, which wait their turn.

The rule: a *read-only local* intent (credits, status, help, the Library) changes nothing on the
server and costs nothing, so it runs at once even mid-turn; an existing export's preview stays
reachable at once through the Library. Anything else (a message for the agent, an upload, an
export, a quick preview, which renders the timeline anew while the turn is still changing it, a
new session…) waits in a :class:`PromptQueue`: not sent, not charged, and sent in order only once
the turn has ended and its state has settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the router loads with the first line typed, not with the first frame
    from artgen_tui.core.intents import Intent, IntentKind

READ_ONLY_KINDS: frozenset[IntentKind] = frozenset({"credits", "state", "help", "library"})
"""Intents that only read: answered at once, even while a turn runs."""

QUEUED_LABEL = "queued, not sent, not charged"


def runs_while_busy(intent: Intent) -> bool:
    """True when ``intent`` may run while a turn is in progress."""
    return intent.kind in READ_ONLY_KINDS


@dataclass
class PromptQueue:
    """Typed messages waiting for the turn to end, oldest first."""

    items: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, text: str) -> None:
        self.items.append(text)

    def pop_newest(self) -> str | None:
        """Remove the most recent message (Esc); ``None`` when the queue is empty."""
        return self.items.pop() if self.items else None

    def take(self, index: int) -> str | None:
        """Remove the message at ``index`` (pulled back into the prompt to edit)."""
        if 0 <= index < len(self.items):
            return self.items.pop(index)
        return None

    def next(self) -> str | None:
        """The oldest message, removed: the next one to send."""
        return self.items.pop(0) if self.items else None
