"""A 10,000-segment state: the table reads it off the event loop and shows every row."""

from __future__ import annotations

import asyncio
import threading

from textual.app import App, ComposeResult

from artgen_tui.api.models import SessionState
from artgen_tui.core import timeline
from artgen_tui.tui.widgets.timeline_table import TimelineTable


def big_state(n: int) -> SessionState:
    segments = [{"id": "dup", "s": i * 1000, "d": 1000, "n": f"shot {i}"} for i in range(n)]
    return SessionState.model_validate(
        {"session_id": "s", "state": {"draft": {"t": [{"tt": 0, "sg": segments}]}}}
    )


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TimelineTable(id="timeline")


async def test_ten_thousand_segments_are_read_off_the_event_loop_and_all_shown() -> None:
    state = big_state(10_000)
    assert timeline.segment_count(state.draft) == 10_000 > timeline.LARGE_TIMELINE
    readers: list[str] = []
    original = timeline.rows

    def rows_spy(draft: object) -> list[timeline.TimelineRow]:
        readers.append(threading.current_thread().name)
        return original(draft)  # type: ignore[arg-type]

    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TimelineTable)
        timeline.rows = rows_spy  # type: ignore[assignment]
        try:
            table.show_state(state)
            assert table.row_count == 0  # nothing was read on the event loop
            for _ in range(400):
                await pilot.pause(0.05)
                if table.row_count == 10_000:
                    break
        finally:
            timeline.rows = original  # type: ignore[assignment]
        assert table.row_count == 10_000
        assert readers and all(name != threading.main_thread().name for name in readers)


async def test_a_small_state_is_shown_at_once() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TimelineTable)
        table.show_state(big_state(3))
        assert table.row_count == 3
        await pilot.pause()
    await asyncio.sleep(0)


async def test_core_compares_a_large_timeline_on_a_worker_thread() -> None:
    """The turn's diff of a 10,000-segment state runs off the event loop (the app's)."""
    from artgen_tui.core import conversation

    threads: list[str] = []
    original = conversation._Turn.observe

    def observe_spy(self: conversation._Turn, state: SessionState) -> object:
        threads.append(threading.current_thread().name)
        return original(self, state)

    before, after = big_state(10_000), big_state(10_001)
    turn = conversation._Turn(
        ws=None,  # type: ignore[arg-type]
        text="x",
        interval=1.0,
        tick=1.0,
        started=0.0,
        before=before,
        latest=before,
    )
    conversation._Turn.observe = observe_spy  # type: ignore[method-assign]
    try:
        changed = await conversation._observe(turn, after)
        small = await conversation._observe(turn, big_state(3))
    finally:
        conversation._Turn.observe = original  # type: ignore[method-assign]
    assert changed is not None and "added" in changed.diff.sentence
    assert small is not None
    assert threads[0] != threading.main_thread().name
    assert threads[1] == threading.main_thread().name
