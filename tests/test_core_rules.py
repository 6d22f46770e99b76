"""Product rules that live once in core and both faces use: credits, upload arguments, URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from artgen_tui.api.models import Credits
from artgen_tui.core.credits import credit_level, credits_sentence, low_credits_warning
from artgen_tui.core.intents import route, split_args
from artgen_tui.core.uploads import is_url, items_from_args, parse_urls


def test_credits_sentence_and_levels() -> None:
    assert credits_sentence(Credits(available=390, frozen=10, total=400)) == (
        "390 available · 10 frozen · 400 total"
    )
    assert [credit_level(n, 200) for n in (-5, 0, 1, 199, 200, 5000)] == [
        "empty",
        "empty",
        "low",
        "low",
        "ok",
        "ok",
    ]
    assert low_credits_warning(200, 200) is None
    assert low_credits_warning(50, 200) == "Credits are low: 50 left. Generations cost about 100."
    assert low_credits_warning(0, 200) == (
        "You are out of credits: 0 left. Generations cost about 100."
    )


def test_upload_arguments_keep_quoted_spaces() -> None:
    intent = route("/upload \"my clip.mp4\" 'two words.png' https://x.test/a.mp4 plain.mp3")
    assert intent.kind == "upload"
    assert intent.args == ["my clip.mp4", "two words.png", "https://x.test/a.mp4", "plain.mp3"]
    items = items_from_args(intent.args)
    assert items[0] == Path("my clip.mp4") and items[2] == "https://x.test/a.mp4"
    assert items_from_args(["~/x.png"]) == [Path("~/x.png").expanduser()]
    # An unclosed quote is not an error: plain splitting.
    assert split_args('"unclosed a.png') == ['"unclosed', "a.png"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("https://example.com/a.mp4", True),
        ("HTTP://EXAMPLE.COM/a.mp4", True),
        ("http://", False),
        ("ftp://example.com/a.mp4", False),
        ("clip.mp4", False),
        (Path("https://example.com"), False),
    ],
)
def test_one_url_rule_for_prompt_and_picker(item: str | Path, expected: bool) -> None:
    assert is_url(item) is expected
    if isinstance(item, str):
        urls, problem = parse_urls(item)
        assert (urls == [item]) is expected and (problem is None) is expected


def test_bench_stream_goes_to_the_agent_in_both_faces() -> None:
    # The app and `artgen chat` both route with core.intents.route: one decision.
    intent = route("/bench-stream 500")
    assert (intent.kind, intent.text, intent.error) == ("chat", "/bench-stream 500", None)
    assert route("/no-such-command").kind == "help"


def test_retry_means_one_thing() -> None:
    from artgen_tui.core.jobs import RETRYABLE, ExportJob, NotRetryable, retry_kind, retry_notice

    kinds = {
        status: retry_kind(ExportJob(id="render_1", session_id="s", status=status))
        for status in ("failed", "cancelled", "download_failed", "completed", "downloaded")
    }
    assert kinds == {
        "failed": "export",
        "cancelled": "export",
        "download_failed": "download",
        "completed": "download",
        "downloaded": "download",
    }
    assert {"failed", "cancelled", "download_failed"} == RETRYABLE
    for status in ("pending", "processing"):
        with pytest.raises(NotRetryable):
            retry_kind(ExportJob(id="render_1", session_id="s", status=status))
    old = ExportJob(id="render_1", session_id="s", status="failed")
    new = ExportJob(id="render_2", session_id="s")
    assert retry_notice(old, new) == (
        "Export render_1 failed; it cannot be re-run as it was, so the current timeline is "
        "exported again as render_2."
    )
