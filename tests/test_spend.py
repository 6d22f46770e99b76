"""The spend guard: estimates, the history of charges, and the headless refusal and cost line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_run import Result
from local_http import backend

from artgen_tui.api.models import Credits
from artgen_tui.core.spend import SpendGuard, classify, cost_sentence

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in stdout.splitlines() if x.strip()]


def balance(artgen: Callable[..., Result], url: str) -> dict[str, Any]:
    (credits,) = lines(artgen("credits", "--json", url=url).stdout)
    return credits


def turns(data_dir: Path) -> int:
    """Chat turns the backend has accepted, over every session."""
    return sum(
        int(json.loads(p.read_text()).get("turns") or 0)
        for p in (data_dir / "sessions").glob("*.json")
    )


# --- core ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "has_timeline", "kind"),
    [
        ("generate a neon city at night", True, "generation"),
        ("生成一个海边日落的视频", True, "generation"),
        ('add title "Urban Dreams"', True, "edit"),
        ("make it 9:16", True, "edit"),
        ("去掉音乐", True, "edit"),
        ("a calm ocean at dawn", False, "generation"),
        ("a calm ocean at dawn", True, "chat"),
        ("what can you do?", False, "chat"),
        ("hello there", False, "chat"),
        ("hello", False, "chat"),
        ("export", True, "export"),
        ("credits", True, None),
        ("/status", True, None),
    ],
)
def test_classify(text: str, has_timeline: bool, kind: str | None) -> None:
    assert classify(text, has_timeline=has_timeline) == kind


def test_estimates_start_at_published_prices_then_follow_charges(tmp_path: Path) -> None:
    history = tmp_path / "spend.json"
    guard = SpendGuard("acct", history_path=history)
    first = guard.estimate("generation", Credits(available=80, frozen=0, total=80))
    assert (first.credits, first.basis, first.over_balance) == (100, "published price", True)
    assert first.needs_confirmation and not first.over_limit
    assert "100 credits" in first.sentence and "balance of 80" in first.sentence
    assert guard.estimate("edit").credits == 10 and guard.estimate("export").credits == 0
    assert guard.estimate_message("/credits") is None
    message = guard.estimate_message("a neon city", Credits(available=500), has_timeline=False)
    assert message is not None and (message.what, message.credits) == ("generation", 100)

    for before, after in ((500, 488), (488, 476), (476, 450)):
        guard.record("edit", Credits(available=before), Credits(available=after, frozen=5))
    assert guard.session_total == 12 + 12 + 26
    edit = guard.estimate("edit", Credits(available=100))
    assert (edit.credits, edit.basis) == (12, "charged before: median of 3 requests")
    # Another account, and another run, see only what belongs to them.
    assert SpendGuard("other", history_path=history).estimate("edit").credits == 10
    again = SpendGuard("acct", limit=20, history_path=history)
    assert again.session_total == 0
    batch = again.estimate_many(["edit", "edit", "export"], Credits(available=100))
    assert (batch.credits, batch.over_limit, batch.over_balance) == (24, True, False)
    assert "per-run limit of 20" in batch.sentence
    # A rise in the balance (a refund) is reported, not learned from.
    assert again.record("edit", Credits(available=10), Credits(available=20)) == -10
    assert again.observed("edit") == [12, 12, 26]


def test_history_file_is_private_and_tolerates_garbage(tmp_path: Path) -> None:
    history = tmp_path / "spend.json"
    history.write_text(json.dumps({"acct": {"edit": [30, "x", True, -4, 30]}}))
    guard = SpendGuard("acct", history_path=history)
    assert guard.observed("edit") == [30, 30]
    guard.record("edit", Credits(available=50), Credits(available=40))
    assert history.stat().st_mode & 0o777 == 0o600
    history.write_text("{not json")
    assert SpendGuard("acct", history_path=history).estimate("edit").credits == 10


def test_cost_sentence_shows_frozen_credits() -> None:
    before, after = Credits(available=500, total=500), Credits(available=400, frozen=100, total=500)
    assert cost_sentence(before, after) == (
        "Cost: 100 credits (balance 500 → 400 available, 100 frozen while the work settles)."
    )


# --- headless ---------------------------------------------------------------------------------


def test_a_chat_over_the_balance_is_refused_without_yes(
    tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    data_dir = tmp_path / "backend"
    with backend(data_dir, credits=50) as url:
        refused = artgen("chat", GENERATE, "--no-json", url=url)
        assert refused.returncode == 1
        assert "about 100 credits" in refused.stderr and "50 available" in refused.stderr
        assert "--yes" in refused.stderr
        assert turns(data_dir) == 0  # nothing was sent
        assert balance(artgen, url)["available"] == 50

        # With --yes the message is sent; the server itself refuses a generation it can't fund.
        sent = artgen("chat", GENERATE, "--yes", "--no-json", url=url)
        assert sent.returncode == 1 and "Sending anyway" in sent.stderr
        assert turns(data_dir) == 1
        assert "Insufficient credits: a generation needs 100" in sent.stderr


def test_an_estimate_from_past_charges_can_be_overridden_with_yes(
    tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    data_dir = tmp_path / "backend"
    with backend(data_dir, credits=60, silent_close_rate=0.0) as url:
        artgen("credits", url=url)  # the anonymous token and the identity
        # This account was once charged 80 for an edit: the next edit is priced above the balance.
        history = isolated_home / "state" / "spend.json"
        SpendGuard(url, history_path=history).record(
            "edit", Credits(available=200), Credits(available=120)
        )
        refused = artgen("chat", "add music", "--json", url=url)
        assert refused.returncode == 1
        (estimate,) = [e for e in lines(refused.stdout) if e["type"] == "estimate"]
        assert estimate["credits"] == 80 and estimate["over_balance"] is True
        assert turns(data_dir) == 0

        sent = artgen("chat", "add music", "--yes", "--json", url=url)
        assert sent.returncode == 0, sent.stderr
        (cost,) = [e for e in lines(sent.stdout) if e["type"] == "cost"]
        after = balance(artgen, url)
        assert cost["credits"] == 60 - after["available"] == 10
        assert f"Cost: 10 credits (balance 60 → {cost['after']['available']}" in sent.stderr


def test_the_cost_after_a_turn_is_the_balance_difference(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    start = balance(artgen, local_backend)["available"]
    chat = artgen("chat", GENERATE, "--json", url=local_backend)
    assert chat.returncode == 0, chat.stderr
    (cost,) = [e for e in lines(chat.stdout) if e["type"] == "cost"]
    end = balance(artgen, local_backend)["available"]
    assert cost["credits"] == start - end == 100
    assert cost["before"]["available"] == start and cost["request"] == "generation"
    assert "Cost: 100 credits" in chat.stderr

    edit = artgen("chat", "add music", "--json", url=local_backend)
    (cost,) = [e for e in lines(edit.stdout) if e["type"] == "cost"]
    assert cost["credits"] == end - balance(artgen, local_backend)["available"] == 10


def test_a_batch_is_priced_as_a_whole_and_refused_over_the_limit(
    local_backend: str, backend_dir: Path, tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    from PIL import Image

    for name in ("a.png", "b.png"):
        Image.new("RGB", (32, 32), (200, 0, 0)).save(tmp_path / name)
    batch = tmp_path / "items.jsonl"
    batch.write_text('{"file": "a.png"}\n{"file": "b.png"}\n')
    config = tmp_path / "config.toml"
    config.write_text("[spend]\nlimit = 15\n")
    refused = artgen(
        "batch", str(batch), "--prompt", "add music", "--config", str(config), url=local_backend
    )
    assert refused.returncode == 1
    assert "Batch of 2 items will cost about 20 credits" in refused.stderr
    assert "per-run limit of 15" in refused.stderr
    assert list((backend_dir / "sessions").glob("*.json")) == []


def test_export_over_the_limit_is_refused(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    history = isolated_home / "state" / "spend.json"
    artgen("credits", url=local_backend)
    SpendGuard(local_backend, history_path=history).record(
        "export", Credits(available=100), Credits(available=70)
    )
    config = tmp_path / "config.toml"
    config.write_text("[spend]\nlimit = 20\n")
    refused = artgen("export", "--config", str(config), "--no-json", url=local_backend)
    assert refused.returncode == 1
    assert "export will cost about 30 credits" in refused.stderr
    assert "per-run limit of 20" in refused.stderr


def renders(data_dir: Path) -> int:
    """Render jobs the backend has accepted."""
    return len(list((data_dir / "renders").glob("*.json")))


@pytest.mark.slow
def test_a_preview_is_priced_refused_over_the_limit_and_sent_with_yes(
    tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    from artgen_tui.core.preview import previews_dir

    data_dir = tmp_path / "backend"
    with backend(data_dir, export_cost=30, silent_close_rate=0.0) as url:
        assert artgen("chat", GENERATE, "--no-json", url=url).returncode == 0
        history = isolated_home / "state" / "spend.json"
        SpendGuard(url, history_path=history).record(
            "export", Credits(available=100), Credits(available=70)
        )
        config = tmp_path / "config.toml"
        config.write_text("[spend]\nlimit = 20\n")
        for command in (["preview"], ["chat", "preview"]):
            refused = artgen(*command, "--config", str(config), "--no-json", url=url)
            assert refused.returncode == 1, command
            assert "This preview will cost about 30 credits" in refused.stderr
            assert "per-run limit of 20" in refused.stderr and "--yes" in refused.stderr
            assert renders(data_dir) == 0  # nothing was sent
            assert not list(previews_dir().glob("*.mp4"))

        start = balance(artgen, url)["available"]
        sent = artgen("preview", "--yes", "--config", str(config), "--json", url=url)
        assert sent.returncode == 0, sent.stderr
        assert "Sending anyway (--yes)" in sent.stderr
        assert renders(data_dir) == 1
        events = lines(sent.stdout)
        (preview,) = [e for e in events if e["type"] == "preview"]
        assert Path(preview["path"]).is_file() and Path(preview["path"]).parent == previews_dir()
        (cost,) = [e for e in events if e["type"] == "cost"]
        assert cost["credits"] == start - balance(artgen, url)["available"] == 30
