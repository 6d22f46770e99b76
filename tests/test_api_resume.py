"""The one download decision, as a table: (status, headers, bytes held) → what to do."""

from __future__ import annotations

import pytest

from artgen_tui.api.resume import (
    Action,
    Decision,
    decide,
    looks_like_video,
    parse_content_range,
    parse_unsatisfied_range,
    shortfall,
)


def headers(**values: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in values.items()}


@pytest.mark.parametrize(
    ("status", "hdrs", "held", "public", "expected"),
    [
        # a fresh download: write from 0, total from Content-Length when it is a number
        (200, headers(content_length="10"), 0, True, Decision(Action.WRITE, 0, 10)),
        # no usable length and not chunked: the end of the body proves nothing (framed=False)
        (200, headers(), 0, True, Decision(Action.WRITE, 0, None, framed=False)),
        (
            200,
            headers(content_length="ten"),
            0,
            True,
            Decision(Action.WRITE, 0, None, framed=False),
        ),
        (200, headers(transfer_encoding="chunked"), 0, True, Decision(Action.WRITE, 0, None)),
        # the server ignored Range: restart from 0
        (200, headers(content_length="10"), 4, False, Decision(Action.WRITE, 0, 10)),
        # a resume that starts where the file ends: append
        (206, headers(content_range="bytes 4-9/10"), 4, True, Decision(Action.WRITE, 4, 10)),
        (
            206,
            headers(content_range="bytes 4-9/*"),
            4,
            True,
            Decision(Action.WRITE, 4, None, framed=False),
        ),
        (
            206,
            headers(content_range="bytes 4-9/*", content_length="6"),
            4,
            True,
            Decision(Action.WRITE, 4, 10),
        ),
    ],
)
def test_write(
    status: int, hdrs: dict[str, str], held: int, public: bool, expected: Decision
) -> None:
    assert decide(status, hdrs.get, held, public=public) == expected


def test_append_only_when_resuming() -> None:
    assert decide(206, {"content-range": "bytes 4-9/10"}.get, 4, public=True).append
    assert not decide(200, {}.get, 4, public=True).append


@pytest.mark.parametrize(
    "content_range", ["bytes 3-9/10", "bytes 5-9/10", "", "bytes */10", "items 4-9/10"]
)
def test_a_resume_at_any_other_offset_discards_the_part(content_range: str) -> None:
    plan = decide(206, {"content-range": content_range}.get, 4, public=True)
    assert plan.action is Action.DISCARD and "wrong offset" in plan.reason


def test_416_for_exactly_what_is_held_is_done() -> None:
    assert decide(416, {"content-range": "bytes */10"}.get, 10, public=False).action is Action.DONE
    other = decide(416, {"content-range": "bytes */12"}.get, 10, public=False)
    assert other.action is Action.DISCARD and "did not match" in other.reason


def test_416_without_a_part_is_an_error() -> None:
    assert decide(416, {}.get, 0, public=False).action is Action.ERROR


@pytest.mark.parametrize("status", [403, 404, 410])
def test_a_gone_public_link_means_the_next_source(status: int) -> None:
    plan = decide(status, {}.get, 0, public=True)
    assert plan.action is Action.NEXT_SOURCE and str(status) in plan.reason
    assert decide(status, {}.get, 0, public=False).action is Action.ERROR  # the proxy: its error


@pytest.mark.parametrize(
    ("status", "ctype"),
    [(500, ""), (401, "text/plain"), (200, "application/json"), (206, "application/JSON")],
)
def test_errors_and_json_bodies_are_read_as_errors(status: int, ctype: str) -> None:
    plan = decide(
        status, {"content-type": ctype, "content-range": "bytes 0-1/2"}.get, 0, public=True
    )
    assert plan.action is Action.ERROR


def test_range_parsers() -> None:
    assert parse_content_range("bytes 0-9/10") == (0, 9, 10)
    assert parse_content_range(" BYTES 2-3/* ") == (2, 3, None)
    assert parse_content_range("bytes 0-9") is None
    assert parse_content_range(None) is None
    assert parse_unsatisfied_range("bytes */42") == 42
    assert parse_unsatisfied_range("bytes 0-1/42") is None


def test_shortfall() -> None:
    assert shortfall(10, 10) is None
    assert shortfall(10, None) is None
    assert shortfall(4, 10) == "got 4 of 10 bytes; resuming"


@pytest.mark.parametrize(
    ("ctype", "action"),
    [
        ("video/mp4", Action.WRITE),
        ("video/quicktime; charset=binary", Action.WRITE),
        ("application/octet-stream", Action.WRITE),
        ("binary/octet-stream", Action.WRITE),
        (None, Action.WRITE),
        ("text/html; charset=utf-8", Action.NEXT_SOURCE),
        ("text/plain", Action.NEXT_SOURCE),
        ("image/png", Action.NEXT_SOURCE),
    ],
)
def test_a_video_download_takes_only_a_video_content_type(
    ctype: str | None, action: Action
) -> None:
    hdrs = {"content-length": "10"} | ({"content-type": ctype} if ctype else {})
    plan = decide(200, hdrs.get, 0, public=False, video=True)
    assert plan.action is action
    if action is Action.NEXT_SOURCE:
        assert "instead of the video" in plan.reason
    # any other download (an uploaded asset) takes what comes
    assert decide(200, hdrs.get, 0, public=False).action is Action.WRITE


@pytest.mark.parametrize(
    ("head", "video"),
    [
        (b"\0\0\0\x18ftypmp42\0\0\0\0", True),
        (b"\0\0\0\x08wide\0\0\0\0mdat", True),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", True),
        (b"<!DOCTYPE html><html>", False),
        (b'{"error": "x"}', False),
        (b"", False),
        (b"\0\0\0\x18", False),
    ],
)
def test_first_bytes_say_whether_a_file_is_a_video(head: bytes, video: bool) -> None:
    assert looks_like_video(head) is video
