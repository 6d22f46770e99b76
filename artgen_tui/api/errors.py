"""The API error family and what each code means for the user.

Business errors may arrive as HTTP 200 with ``{"code": N}``, as a 4xx with the same body, or as a
4xx with a ``{"detail": ...}`` body; :func:`error_from_response` accepts all of them. It never
raises: whatever the body, the message it takes from it is cleaned and capped
(:func:`~artgen_tui.api.untrusted.clean`) and ``Retry-After`` is a finite number of seconds.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import quote

from artgen_tui.api.untrusted import PARSE_ERRORS, clean, finite

WEB_URL = "https://nemovideo.com"


class ApiError(Exception):
    """Any failure talking to the service. ``transient`` means a retry later may help (exit code 2)."""

    code: ClassVar[int | None] = None
    transient: ClassVar[bool] = False
    default_hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        hint: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.hint = hint if hint is not None else self.default_hint
        if code is not None:
            self.code = code  # type: ignore[misc]

    def user_text(self) -> str:
        """One or two sentences for people: what happened and what to do (never twice)."""
        return join_sentences(self.message, self.hint)


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


def _words(text: str) -> str:
    """``text`` compared as words: case, punctuation and spacing ignored, padded with spaces."""
    return " " + " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split()) + " "


def _says(text: str, sentence: str) -> bool:
    words = _words(sentence)
    return words.strip() != "" and words in _words(text)


def join_sentences(message: str, hint: str) -> str:
    """``message`` then ``hint``, each sentence said once.

    A sentence of the message that the hint already says is left to the hint ("Too many
    requests" before "Too many requests; wait a little…"), and a sentence of the hint that the
    message already says is dropped ("… Register to get more credits." then the same advice).
    """
    message, hint = message.strip(), hint.strip()
    if not hint or not message:
        return message or hint
    said = [s for s in _SENTENCE_END.split(message) if not _says(hint, s)]
    told = " ".join(said)
    advice = [s for s in _SENTENCE_END.split(hint) if not told or not _says(told, s)]
    return " ".join([*said, *advice]).strip()


class TransportError(ApiError):
    """The server could not be reached, or the connection broke."""

    transient = True
    default_hint = "Check your connection and try again, or run `artgen --local` to work offline."


class StreamInterrupted(TransportError):
    """The chat stream broke off before the server closed it; poll the session state to catch up."""

    default_hint = "The connection dropped mid-reply; checking the session for what changed."


class StreamStalled(TransportError):
    """A reply stream that stayed open but brought no event for too long, or lasted too long.

    Unlike :class:`StreamInterrupted` the connection itself was fine, so this is not a dropped
    stream: a turn that has shown nothing yet ends with this error (exit 2).
    """

    default_hint = (
        "The agent may still be working on it: look at the timeline in a minute "
        "(`artgen state`, or /status in the app)."
    )


class ServerError(ApiError):
    """HTTP 5xx or a response we could not understand."""

    transient = True
    default_hint = "The service had a problem; try again in a moment."


class MalformedResponse(ServerError):
    """The server answered with data that does not fit the documented shapes."""


class MissingClientId(ApiError):
    code = 400
    default_hint = "This is a bug in artgen: the anonymous-token request lacked X-Client-Id."


class TokenExpired(ApiError):
    code = 1001
    transient = True
    default_hint = "Getting a new anonymous token…"


class SessionNotFound(ApiError):
    code = 1002
    default_hint = "Starting a new session."


class InsufficientCredits(ApiError):
    code = 2001
    default_hint = "Register to get more credits."

    def __init__(self, message: str, *, user_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.user_id = user_id

    @property
    def register_url(self) -> str:
        if self.user_id:
            return f"{WEB_URL}/register?bind={quote(self.user_id, safe='')}"
        return f"{WEB_URL}/register"

    def user_text(self) -> str:
        return join_sentences(self.message, f"Register to get more credits: {self.register_url}")


class UnsupportedFileType(ApiError):
    code = 4001
    # api.files cannot be imported here (it raises these errors); tests/test_upload_rules.py
    # checks that this list is api.files.ACCEPTED_EXTENSIONS.
    default_hint = "Use MP4, MOV, AVI, WEBM, MKV, JPG, PNG, GIF, WEBP, MP3, WAV, M4A or AAC."


class FileTooLarge(ApiError):
    code = 4002
    default_hint = "Files must be 200 MB or smaller; trim or compress it first."


class ExportBlocked(ApiError):
    code = 402
    default_hint = (
        "Export needs a paid plan for this account (or the request lacked attribution headers). "
        "Register or upgrade at https://nemovideo.com, then try again."
    )


class RateLimited(ApiError):
    code = 429
    transient = True
    default_hint = "Too many requests; wait a little and try again."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class NotFound(ApiError):
    """HTTP 404 for something other than a session (e.g. an unknown render id)."""

    code = 404


class BadRequest(ApiError):
    """HTTP 400/422 other than a missing client id."""


class TrustStoreError(ApiError):
    """The certificates that https connections are checked against could not be loaded (a bad
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``); nothing can be reached until that is fixed."""


class RenderFailed(ApiError):
    default_hint = "The export failed on the server; press r to retry or try again later."


_BY_CODE: dict[int, type[ApiError]] = {
    cls.code: cls
    for cls in (
        TokenExpired,
        SessionNotFound,
        InsufficientCredits,
        UnsupportedFileType,
        FileTooLarge,
        ExportBlocked,
        RateLimited,
    )
    if cls.code is not None
}


RETRY_AFTER_MAX = 10.0**9
"""``Retry-After: inf`` reads as this many seconds: finite, so arithmetic on it never overflows."""


def _retry_after(headers: Any) -> float | None:
    try:
        raw = headers.get("retry-after") if headers is not None else None
    except PARSE_ERRORS:
        return None
    return finite(raw, 0.0, RETRY_AFTER_MAX) if isinstance(raw, str | int | float) else None


def error_from_response(
    status: int, body: Any, headers: Any = None, *, user_id: str | None = None
) -> ApiError | None:
    """Map an HTTP status and decoded JSON body to an error, or ``None`` when it is a success.

    Accepts ``{"code": N, "message": ...}``, ``{"success": false, "error": ...}`` and
    ``{"detail": ...}`` bodies, with any HTTP status.
    """
    code, message = _code_and_message(body)
    if isinstance(body, dict) and body.get("success") is False and code is None and status < 400:
        return ServerError(message or "The request failed.", http_status=status)
    if status < 400 and code in (None, 0):
        return None
    cls, code = _error_class(status, code, message)
    text = message or _DEFAULT_MESSAGES.get(cls, f"Request failed (HTTP {status}, code {code}).")
    if cls is RateLimited:
        return RateLimited(text, retry_after=_retry_after(headers), http_status=status, code=code)
    if cls is InsufficientCredits:
        uid = user_id
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            found = body["data"].get("user_id")
            uid = found if isinstance(found, str) and found.isprintable() else uid
        return InsufficientCredits(text, user_id=uid, http_status=status, code=code)
    return cls(text, http_status=status, code=code)


def _code_and_message(body: Any) -> tuple[int | None, str]:
    """The business code (ASCII digits only: ``"①"`` is no code) and the message, if any."""
    if not isinstance(body, dict):
        return None, ""
    code: int | None = None
    raw_code = body.get("code")
    if isinstance(raw_code, int) and not isinstance(raw_code, bool):
        code = raw_code
    elif isinstance(raw_code, str) and raw_code.isascii() and raw_code.isdigit():
        code = int(raw_code[:18])
    msg = body.get("message") or body.get("msg") or body.get("error") or body.get("detail")
    if isinstance(msg, dict):
        msg = msg.get("message") or msg.get("error_message") or msg
    return code, "" if msg is None else clean(msg)


def _error_class(status: int, code: int | None, message: str) -> tuple[type[ApiError], int | None]:
    """Which error an answer is: by business code, then by HTTP status and wording."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code], code
    if status in _BY_CODE:
        return _BY_CODE[status], status
    lowered = message.lower()
    if status == 400 and "client" in lowered:
        return MissingClientId, code
    if status == 404 and "session" in lowered:
        return SessionNotFound, code
    by_status: dict[int, type[ApiError]] = {401: TokenExpired, 404: NotFound}
    if status in by_status:
        return by_status[status], code
    if status in (400, 422):
        return BadRequest, code
    return (ServerError if status >= 500 else ApiError), code


_DEFAULT_MESSAGES: dict[type[ApiError], str] = {
    TokenExpired: "Your session token expired.",
    SessionNotFound: "The session no longer exists on the server.",
    InsufficientCredits: "You are out of credits.",
    UnsupportedFileType: "That file type is not supported.",
    FileTooLarge: "That file is too large.",
    ExportBlocked: "Export is not available for this account.",
    RateLimited: "Rate limited by the server.",
    MissingClientId: "The server refused the token request (no client id).",
    NotFound: "Not found.",
    ServerError: "The server had an internal error.",
}
