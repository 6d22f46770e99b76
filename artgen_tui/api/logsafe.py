"""Keep tokens out of log output: a filter that masks credentials in every record it sees.

:func:`install` attaches it to the loggers the wire layer and its HTTP libraries write to, so even a
DEBUG-level log of requests never shows a token.
"""

from __future__ import annotations

import logging

from artgen_tui.core.credentials import redact

WIRE_LOGGERS = (
    "artgen_tui.api",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""Filters on a logger do not apply to its children's records, so each one is listed."""


class RedactingFilter(logging.Filter):
    """Formats the record's message once, with anything token-like masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = redact(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Attach the filter to the wire loggers (idempotent)."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
