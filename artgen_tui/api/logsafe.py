"""Keep tokens out of text and log output: :func:`redact`, and a filter that applies it to records.

:func:`install` attaches the filter to the loggers the wire layer and its HTTP libraries write to,
so even a DEBUG-level log of requests never shows a token. Handlers that write a log file add the
same filter (:data:`FILTER`) so records from any logger are masked too.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_TOKEN_RE = re.compile(r"(nmv_[A-Za-z0-9_]{4})[A-Za-z0-9_\-]+|(Bearer\s+)\S+")


def redact(text: str) -> str:
    """Mask anything that looks like a token or a bearer credential."""
    return _TOKEN_RE.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)


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


FILTER = RedactingFilter()


def install() -> None:
    """Attach the filter to the wire loggers (idempotent)."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(path: Path, level: str = "info") -> logging.Handler:
    """Send every ``artgen_tui`` (and HTTP library) record at ``level`` or above to ``path``.

    The file is appended to and created private (0600); the handler carries :data:`FILTER`, so
    records from any logger are masked before they are written. Returns the handler (tests and
    callers remove it with :func:`stop_logging`).
    """
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(level.upper())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(FILTER)
    install()
    root = logging.getLogger()
    root.addHandler(handler)
    if root.getEffectiveLevel() > handler.level:
        root.setLevel(handler.level)
    return handler


def stop_logging(handler: logging.Handler) -> None:
    """Detach and close a handler made by :func:`log_to_file`."""
    logging.getLogger().removeHandler(handler)
    handler.close()
