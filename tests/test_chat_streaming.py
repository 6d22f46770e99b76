"""A long reply streamed in thousands of chunks is drawn exactly as the same text written at once.

While a long reply streams steadily, its unfinished tail is drawn by the sealed widget's fast
renderer (no ``Markdown`` widget); after a quiet moment it goes back to a live ``Markdown``. Either
way, every character is shown once, and the finished reply's lines are those of the whole text.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Markdown

from artgen_tui.local.agent import bench_chunks
from artgen_tui.tui.widgets.chat_log import ChatLog, Reply, SealedMarkdown


class ChatHost(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog()


def drawn(widget: SealedMarkdown) -> list[Strip]:
    return [widget.render_line(y) for y in range(widget.size.height)]


def plain(lines: list[Strip]) -> list[str]:
    return [line.text.rstrip() for line in lines]


async def stream(pilot: Pilot[None], reply: Reply, chunks: list[str], group: int) -> list[str]:
    """Write ``chunks`` ``group`` at a time, a flush apart; returns the problems seen meanwhile."""
    problems: list[str] = []
    written = reply.text
    for start in range(0, len(chunks), group):
        part = chunks[start : start + group]
        for chunk in part:
            reply.write(chunk)
        written += "".join(part)
        await pilot.pause(reply.FLUSH_INTERVAL * 2)
        while reply._pending or reply._held or reply._lock.locked():  # a flush is running
            await pilot.pause(0.01)
        sealed = reply.query(SealedMarkdown)
        live = reply.query(Markdown)
        shown = sealed.first().source if sealed else ""
        shown += sealed.first().tail if sealed else ""
        if live:  # the live Markdown takes its text through a stream that appends it soon after
            assert reply._segment_text.startswith(live.first().source)
            shown += reply._segment_text
        if shown != written:
            at = next(
                (i for i, (a, b) in enumerate(zip(shown, written, strict=False)) if a != b),
                len(shown),
            )
            problems.append(
                f"after {start + len(part)} chunks: shown {len(shown)} of {len(written)}, "
                f"first difference at {at}: {shown[at - 20 : at + 20]!r} vs {written[at - 20 : at + 20]!r}"
            )
        if sealed and live and reply.STEADY_GAP > 1:
            problems.append(f"after {start + len(part)} chunks: a live Markdown in a steady stream")
    return problems


async def test_reply_streamed_in_5000_chunks_draws_what_the_whole_text_draws() -> None:
    chunks = list(bench_chunks(5000))
    text = "".join(chunks)
    app = ChatHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        streamed = await log.add_reply()
        streamed.FLUSH_INTERVAL = 0.01
        streamed.STEADY_GAP = 60.0  # every flush is part of the steady stream
        problems = await stream(pilot, streamed, chunks, group=100)
        assert not problems
        sealed = streamed.query_one(SealedMarkdown)
        assert sealed.tail  # the unfinished end was drawn by the fast renderer
        await streamed.finish()
        whole = await log.add_reply(text)
        await pilot.pause()
        assert streamed.text == whole.text == text
        assert sealed.source == text and not sealed.tail  # everything shown once, all sealed
        assert not streamed.query(Markdown)
        at_once = whole.query_one(SealedMarkdown)
        assert sealed.size == at_once.size
        assert drawn(sealed) == drawn(at_once)  # same text, same styles, line for line
        assert "Section 0" in plain(drawn(sealed))[0]


async def test_a_tail_after_a_quiet_moment_is_live_markdown_and_nothing_is_lost() -> None:
    chunks = list(bench_chunks(2000))
    app = ChatHost()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        reply = await log.add_reply()
        reply.FLUSH_INTERVAL = 0.01
        reply.STEADY_GAP = 60.0
        assert not await stream(pilot, reply, chunks[:1010], group=101)
        sealed = reply.query_one(SealedMarkdown)
        tail = sealed.tail
        assert tail and not reply.query(Markdown)
        reply.STEADY_GAP = 0.0  # the next flush comes after a quiet moment
        assert not await stream(pilot, reply, chunks[1010:1013], group=3)
        live = reply.query_one(Markdown)
        assert not sealed.tail and reply._segment_text.startswith(tail)  # Markdown took it over
        assert not await stream(pilot, reply, chunks[1013:1500], group=150)
        assert reply.query(Markdown) and not sealed.tail
        reply.STEADY_GAP = 60.0  # steady again: the tail goes back to the fast renderer
        assert not await stream(pilot, reply, chunks[1500:], group=50)
        assert not reply.query(Markdown) and sealed.tail and not live.is_attached
        await reply.finish()
        await pilot.pause()
        assert sealed.source == reply.text == "".join(chunks)


class Sealed(App[None]):
    def compose(self) -> ComposeResult:
        yield SealedMarkdown(classes="one")
        yield SealedMarkdown(classes="two")


async def test_sealed_parts_and_tail_join_like_paragraphs_and_old_parts_draw_again() -> None:
    parts = [
        f"## Part {i}\n\nA paragraph with **bold** and `code` words, {i}.\n\n" for i in range(30)
    ]
    tail = "- an item\n- another *item*\n\nA paragraph still arriving"
    app = Sealed()
    async with app.run_test(size=(60, 400)) as pilot:
        one, two = app.query_one(".one", SealedMarkdown), app.query_one(".two", SealedMarkdown)
        one.append("".join(parts) + tail)
        for part in parts:
            two.append(part)
        two.set_tail(tail)
        await pilot.pause()
        assert two.source + two.tail == one.source
        assert len(parts) > two.PART_CACHE  # the first parts' lines were dropped, drawn again
        assert one.size == two.size and drawn(two) == drawn(one)
        two.set_tail("")
        await pilot.pause()
        assert plain(drawn(two))[-1] == "A paragraph with bold and code words, 29."
        assert "Part 0" in plain(drawn(two))[0]
