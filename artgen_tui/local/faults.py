"""Fault injection for the local backend, so clients can be tested against a misbehaving service.

A spec is a comma-separated list of ``name=count`` pairs; each count is how many times that fault
fires on the next matching requests (``name`` alone means once)::

    rate_limit=2,expire_token=1,lose_session=1,drop_stream=1,fail_render=1,expire_download=1

=================  =======================================================================
name               effect
=================  =======================================================================
rate_limit         the next API request(s) get HTTP 429 with ``Retry-After: 1``
expire_token       the token of the next authenticated request expires: code 1001; the same
                   X-Client-Id then gets a new token from ``anonymous-token``
lose_session       the next request naming a session answers code 1002 (the session stays)
drop_stream        the next ``/run_sse`` connection is cut mid-stream (the agent keeps
                   working server-side, as in the cloud; poll state to recover)
fail_render        the next render job fails with an error string
expire_download    the next GET of a public ``outputUrl`` answers 410; use the authenticated
                   ``/api/render/proxy/<id>/download`` instead
=================  =======================================================================

Faults come from ``LocalOptions.faults`` (``artgen serve-local --faults SPEC``) or, at run time,
``POST /_faults`` with the same spec as the body (``GET /_faults`` shows what is left).
"""

from __future__ import annotations

import threading

FAULT_NAMES: tuple[str, ...] = (
    "rate_limit",
    "expire_token",
    "lose_session",
    "drop_stream",
    "fail_render",
    "expire_download",
)


class FaultSpecError(ValueError):
    """The spec could not be parsed; the message says which part and what is allowed."""


def parse_fault_spec(spec: str) -> dict[str, int]:
    """``"rate_limit=2,drop_stream"`` → ``{"rate_limit": 2, "drop_stream": 1}``."""
    counts: dict[str, int] = {}
    for raw in spec.replace(";", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if name not in FAULT_NAMES:
            raise FaultSpecError(
                f"unknown fault {name!r} in {spec!r}; known faults: {', '.join(FAULT_NAMES)} "
                "(write them as name=count, comma-separated)"
            )
        if sep:
            try:
                count = int(value.strip())
            except ValueError:
                raise FaultSpecError(
                    f"fault {name!r} needs a whole-number count, got {value.strip()!r} "
                    f"(e.g. {name}=1)"
                ) from None
            if count < 0:
                raise FaultSpecError(f"fault {name!r} count must be 0 or more, got {count}")
        else:
            count = 1
        counts[name] = counts.get(name, 0) + count
    return counts


class Faults:
    """Remaining fault counts; thread-safe so the runner thread and tests can both use it."""

    def __init__(self, spec: str = "") -> None:
        self._lock = threading.Lock()
        self._left: dict[str, int] = {}
        self.add(spec)

    def add(self, spec: str) -> dict[str, int]:
        """Add the counts of ``spec`` (raises :class:`FaultSpecError`); returns what is left."""
        counts = parse_fault_spec(spec)
        with self._lock:
            for name, count in counts.items():
                self._left[name] = self._left.get(name, 0) + count
            return self.remaining_unlocked()

    def take(self, name: str) -> bool:
        """Consume one firing of ``name``; ``True`` when the fault should fire now."""
        with self._lock:
            left = self._left.get(name, 0)
            if left <= 0:
                return False
            self._left[name] = left - 1
            return True

    def remaining(self) -> dict[str, int]:
        with self._lock:
            return self.remaining_unlocked()

    def remaining_unlocked(self) -> dict[str, int]:
        return {name: self._left.get(name, 0) for name in FAULT_NAMES}

    def clear(self) -> None:
        with self._lock:
            self._left.clear()
