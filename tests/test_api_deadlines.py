"""The client's own deadlines on their own: waits named, idle streams and slow transfers caught."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from artgen_tui.api.deadlines import (
    RateGuard,
    Stalled,
    TooSlow,
    describe_wait,
    wait_too_long,
    watch_events,
    watch_lines,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(12, "12 s"), (119.2, "120 s"), (150, "3 min"), (10800, "3 h"), (3 * 86400, "3 days")],
)
def test_waits_are_named_for_people(seconds: float, text: str) -> None:
    assert describe_wait(seconds) == text


def test_an_infinite_wait_is_too_long_and_named() -> None:
    assert wait_too_long(math.inf, 120) and wait_too_long(121, 120)
    assert not wait_too_long(120, 120)
    assert describe_wait(math.inf) == "more than a year"


async def drip(items: list[str], every: float) -> AsyncIterator[str]:
    for item in items:
        await asyncio.sleep(every)
        yield item


async def test_keep_alive_lines_keep_a_stream_going() -> None:
    lines = [": keep-alive", 'data: {"a": 1}', ""] * 3
    got = [line async for line in watch_lines(drip(lines, 0.02), idle=0.2)]
    assert got == lines


async def test_a_stream_with_no_whole_line_in_time_is_too_slow() -> None:
    with pytest.raises(TooSlow, match="no complete event"):
        async for _ in watch_lines(drip(["d", "", "", "", ""], 0.08), idle=0.2):
            pass


async def test_empty_keep_alive_events_do_not_hold_a_reply() -> None:
    # Whole lines keep coming, so watch_lines is content; only empty payloads arrive.
    with pytest.raises(Stalled, match=r"nothing but keep-alives came for 0\.2 s"):
        async for _ in watch_events(drip(["", "{}"] + [""] * 50, 0.02), idle=0.2, total=None):
            pass


async def test_heartbeat_events_keep_a_reply_going_until_its_total() -> None:
    beats = ['{"type": "heartbeat"}'] * 30
    got = [p async for p in watch_events(drip(beats, 0.02), idle=0.1, total=5)]
    assert got == beats
    with pytest.raises(Stalled, match="the reply went on for more than 1 s"):
        async for _ in watch_events(drip(beats * 20, 0.02), idle=0.1, total=0.3):
            pass


async def chunks(size: int, every: float, count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        await asyncio.sleep(every)
        yield b"x" * size


async def test_a_transfer_above_the_minimum_rate_passes() -> None:
    guard = RateGuard(min_rate=1000, window=0.1)
    got = [c async for c in guard.watch(chunks(1000, 0.01, 30))]
    assert len(got) == 30


async def test_a_dripping_transfer_fails_within_its_window() -> None:
    guard = RateGuard(min_rate=1000, window=0.2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(TooSlow, match="bytes/s"):
        async for _ in guard.watch(chunks(1, 0.05, 1000)):
            pass
    assert loop.time() - start < 2


async def test_a_stalled_transfer_fails_without_another_chunk() -> None:
    guard = RateGuard(min_rate=1000, window=0.2)
    with pytest.raises(TooSlow):
        async for _ in guard.watch(chunks(10, 5.0, 2)):
            pass


def test_a_zero_minimum_turns_the_guard_off() -> None:
    guard = RateGuard(min_rate=0, window=0.01)
    assert not guard.active and guard.left() is None
    guard.feed(0)
