"""How often an export's status is polled: quickly on a loopback backend, politely elsewhere.

The service documents polling every 30 s; polling a remote host every 2 s is 15 times the calls
and invites 429s. A loopback backend (``--local``) is polled at the configured interval; any other
host starts a few seconds apart and backs off towards the maximum. A ``Retry-After`` is honoured.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

BACKOFF = 1.5
"""Each remote poll interval is this times the one before, up to the maximum."""


def is_loopback(api_url: str) -> bool:
    """Whether ``api_url`` points at this machine (``localhost``, ``127.x``, ``::1``)."""
    try:
        host = urlsplit(api_url).hostname or ""
    except (TypeError, ValueError):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Cadence:
    """The waits between status polls of one render."""

    def __init__(self, api_url: str, local: float, remote_start: float, remote_max: float) -> None:
        self._fixed = local if is_loopback(api_url) else None
        self._next = remote_start
        self._max = max(remote_start, remote_max)

    def wait(self, retry_after: float | None = None) -> float:
        """Seconds before the next poll (at least ``retry_after`` when the service asked)."""
        if self._fixed is not None:
            wait = self._fixed
        else:
            wait = self._next
            self._next = min(self._max, self._next * BACKOFF)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self._max * 4))
        return wait
