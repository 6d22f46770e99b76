"""The one sanitiser for server text, and the total readers built on it."""

from __future__ import annotations

import json
import math

import pytest
from hostile import ESCAPES, raw_controls

from artgen_tui.api.errors import RateLimited, error_from_response
from artgen_tui.api.events import EventDecoder, StreamError, TextDelta, ToolCall
from artgen_tui.api.models import Credits, Draft, SessionState, Token, parse_render_job
from artgen_tui.api.sse import SSEParser
from artgen_tui.api.untrusted import (
    ELLIPSIS,
    clean,
    clean_line,
    count,
    finite,
    is_clean,
    safe_json,
    shallow,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]2;pwned\x07title", "title"),  # OSC 2 (window title), BEL-terminated
        ("\x1b]52;c;cHduZWQ=\x1b\\x", "x"),  # OSC 52 (clipboard), ST-terminated
        ("\x1b[2Jclear\x1b[?1049h", "clear"),  # CSI, private mode
        ('\x1bP$q"p\x1b\\dcs', "dcs"),  # DCS query
        ("\x9b31mred", "red"),  # C1 CSI
        ("\x9d0;t\x9cosc", "osc"),  # C1 OSC ... C1 ST
        ("\x1b]2;never ends", ""),  # unterminated: removed to the end
        ("a\rb\x08c\x00d\x7fe", "a␍b␈c␀d␡e"),  # lone controls shown as pictures
        ("a\x85b", "a␦b"),  # a lone C1 control
        ("keep\ttab\nand newline", "keep\ttab\nand newline"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("plain ascii", "plain ascii"),
        ("ünïcödé 🎬", "ünïcödé 🎬"),
    ],
)
def test_clean_removes_sequences_whole_and_shows_lone_controls(raw: str, shown: str) -> None:
    assert clean(raw) == shown
    assert is_clean(clean(raw))


def test_clean_keeps_markdown_and_caps_with_an_ellipsis() -> None:
    markdown = "# Title\n\n- **bold** `code`\n\n```\nx\n```"
    assert clean(ESCAPES + markdown + ESCAPES).replace("␇", "") == markdown
    huge = "x" * (30 * 1024 * 1024)
    short = clean(huge)
    assert len(short) == 2_000 and short.endswith(ELLIPSIS)
    assert len(clean(huge, 10)) == 10
    assert clean_line("a\nb\tc", 10) == "a b c"


def test_clean_accepts_any_value_and_never_raises() -> None:
    deep: object = 1
    for _ in range(5_000):
        deep = [deep]

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert clean(None) == "None"
    assert clean(deep).startswith("<list>") or clean(deep).startswith("[")
    assert clean(Hostile()) == "<Hostile>"
    assert clean(10**5000) == "<int>"


def test_safe_json_keeps_the_data_and_writes_no_raw_control() -> None:
    value = {"text": ESCAPES + "\x85\x7f\ud800\u2028ok", "n": 1}
    line = safe_json(value)
    assert not raw_controls(line) and "\n" not in line
    assert json.loads(line) == value
    deep: object = 1
    for _ in range(3_000):
        deep = [deep]
    assert json.loads(safe_json({"deep": deep}))["deep"]  # written, cut at a sane depth
    assert shallow(deep, 2) == [["…"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, 5.0),
        ("7.5", 7.5),
        (float("inf"), 100.0),
        (float("-inf"), 0.0),
        (10**400, 100.0),
        (-(10**400), 0.0),
        ("9" * 400, 100.0),
        (float("nan"), None),
        (True, None),
        ("lots", None),
        (None, None),
        ([1], None),
    ],
)
def test_finite_clamps_every_number_and_refuses_non_numbers(
    value: object, expected: float | None
) -> None:
    assert finite(value, 0, 100) == expected


def test_figures_from_the_server_are_clamped() -> None:
    assert Credits.model_validate({"available": -5, "frozen": 1e999, "total": 10**400}) == Credits(
        available=0, frozen=10**12, total=10**12
    )
    assert count(-1) == 0 and count(float("inf")) == 10**12
    assert Token.model_validate({"token": "t", "credits": -3, "expires_at": 1e999}).credits == 0
    assert Draft.model_validate({"d": float("inf")}).d == 7 * 24 * 3600 * 1000.0
    assert Draft.model_validate({"d": -5}).d == 0
    assert Draft.model_validate({"d": float("nan")}).d is None
    job = parse_render_job(
        {"id": "r", "progress": 1e999, "createdAt": -(10**400), "error": ESCAPES}
    )
    assert job.progress == 100 and job.created_at == 0.0 and job.error == "␇"


def test_retry_after_inf_is_a_finite_wait() -> None:
    for raw in ("inf", "1e999", "9" * 400, "Infinity"):
        err = error_from_response(429, {"code": 429}, {"retry-after": raw})
        assert isinstance(err, RateLimited) and err.retry_after is not None
        assert math.isfinite(err.retry_after) and math.ceil(err.retry_after) > 0
    err = error_from_response(429, {}, {"retry-after": "nan"})
    assert isinstance(err, RateLimited) and err.retry_after is None


def test_error_messages_are_cleaned_and_capped() -> None:
    err = error_from_response(400, {"code": 7777, "message": ESCAPES + "x" * 100_000})
    assert err is not None and is_clean(err.user_text()) and len(err.message) <= 2_000
    deep: object = "m"
    for _ in range(2_000):
        deep = {"message": {"x": deep}}
    assert error_from_response(500, {"detail": deep}) is not None


def test_the_event_decoder_never_raises_and_counts_readable_frames() -> None:
    decoder = EventDecoder()
    nested = "[" * 1_000 + "]" * 1_000
    for payload in (
        '{"content": {"parts": ' + nested + "}}",
        nested,
        '{"text": 1e999}',
        "\ud800",
        '{"content": {"parts": [{"text": "Hel',
    ):
        assert decoder.feed(payload) == []
    assert decoder.frames == 1  # only ``{"text": 1e999}`` was a readable (empty) frame
    (coded,) = decoder.feed('{"errorCode": ' + "[" * 200 + "1" + "]" * 200 + "}")
    assert isinstance(coded, StreamError) and is_clean(coded.message) and decoder.frames == 2
    events = decoder.feed(json.dumps({"content": {"parts": [{"text": ESCAPES + "hi"}]}}))
    assert events == [TextDelta("␇hi")]
    (call,) = decoder.feed(json.dumps({"type": "tool_call", "name": ESCAPES + "gen\nerate"}))
    assert isinstance(call, ToolCall) and call.name == "␇gen erate"
    (error,) = decoder.feed(json.dumps({"error": {"deep": ESCAPES}}))
    assert isinstance(error, StreamError) and is_clean(error.message)


def test_the_sse_parser_drops_an_event_that_never_ends() -> None:
    parser = SSEParser()
    from artgen_tui.api import sse

    line = "data: " + "x" * 1024
    for _ in range(sse.MAX_EVENT_CHARS // 1024 + 2):
        assert parser.feed_line(line) is None
    assert parser.flush() is None
    assert parser.feed_line("data: ok") is None and parser.feed_line("") == "ok"


def test_a_300_level_segment_still_serialises_for_export() -> None:
    value: object = 1
    for _ in range(300):
        value = {"n": value}
    body = {"state": {"draft": {"t": [{"tt": 0, "sg": [{"id": "s", "deep": value}]}], "d": 1}}}
    draft = SessionState.model_validate(body).draft
    with pytest.raises(ValueError):  # what exports used before
        draft.model_dump(mode="json", exclude_unset=True)
    wire = draft.to_wire()
    assert wire["t"][0]["sg"][0]["deep"] == value and json.dumps(wire)
