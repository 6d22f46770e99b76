"""Fails loudly when a Textual upgrade removes what the chat relies on beyond the public API.

``Reply.abandon`` (tui/widgets/chat_log.py) drops a ``MarkdownStream``'s queued text and ends its
task without ``stop()``, because ``stop()`` would append that text to a widget being removed; there
is no public way to discard it. Everything else is public API and is checked here too, so a pin bump
that moves it shows up as one clear failure instead of a frozen or crashing chat.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import weakref

import pytest
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.widgets import Button, Footer, Input, Label, Markdown
from textual.widgets._footer import FooterKey
from textual.widgets.markdown import MarkdownStream
from textual.widgets.tree import TreeNode

from artgen_tui.tui import textual_fixes
from artgen_tui.tui.widgets.footer import Footer as ArtgenFooter


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Markdown()


async def test_markdown_stream_private_queue_and_task_still_exist() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        stream = Markdown.get_stream(app.query_one(Markdown))
        assert isinstance(stream, MarkdownStream)
        await stream.write("hello")
        pending = getattr(stream, "_pending", None)
        task = getattr(stream, "_task", None)
        assert isinstance(pending, list), "MarkdownStream._pending is gone: fix Reply.abandon"
        assert isinstance(task, asyncio.Task), "MarkdownStream._task is gone: fix Reply.abandon"
        await stream.stop()
        await pilot.pause()


def test_public_hooks_the_chat_and_picker_use() -> None:
    assert inspect.iscoroutinefunction(MarkdownStream.write)
    assert inspect.iscoroutinefunction(MarkdownStream.stop)
    assert callable(Markdown.get_stream)
    # The picker asks a directory node whether it expands.
    assert isinstance(inspect.getattr_static(TreeNode, "allow_expand"), property)


class _Two(App[None]):
    """Two focusable widgets: each focus move redraws the footer's keys."""

    BINDINGS = [("f2", "bell", "Two"), ("f3", "bell", "Three")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self._footer = footer

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Button("b", id="b")
        yield self._footer()


async def _detached_keys_after_focus_moves(footer: type[Footer], moves: int) -> int:
    """How many of the keys this footer drew are still alive after being taken down."""
    app = _Two(footer)
    drawn: list[weakref.ref[FooterKey]] = []
    async with app.run_test() as pilot:
        for i in range(moves):
            app.set_focus(app.query_one("#a" if i % 2 else "#b"))
            await pilot.pause()
            await pilot.pause()
            drawn.extend(weakref.ref(key) for key in app.query(FooterKey))
        gc.collect()
        return sum(1 for ref in drawn if (key := ref()) is not None and not key.is_attached)


async def test_footer_keys_drawn_before_are_let_go() -> None:
    # Textual's own footer keeps every key it ever drew (its `compact` data binding leaves a
    # watcher behind); this fails when a Textual upgrade fixes that: then drop our Footer.
    assert await _detached_keys_after_focus_moves(Footer, 20) >= 10
    assert await _detached_keys_after_focus_moves(ArtgenFooter, 20) == 0


async def _style_caches_kept_after_removal(count: int) -> int:
    """How many removed widgets' style caches (with every line they drew) are still alive."""
    app = App[None]()
    kept: list[weakref.ref[StylesCache]] = []
    async with app.run_test() as pilot:
        for i in range(count):
            label = Label(f"card {i}")
            await app.screen.mount(label)
            await pilot.pause()
            kept.append(weakref.ref(label._styles_cache))
            await label.remove()
            await pilot.pause()
        gc.collect()
        return sum(1 for ref in kept if ref() is not None)


async def test_removed_widgets_style_caches_are_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual's own StylesCache.get_inner_outer keeps them (textual#6665); this fails when a
    # Textual upgrade fixes that: then drop tui/textual_fixes.py.
    monkeypatch.setattr(StylesCache, "get_inner_outer", textual_fixes.TEXTUAL_GET_INNER_OUTER)
    assert await _style_caches_kept_after_removal(20) >= 15
    textual_fixes.apply()
    assert await _style_caches_kept_after_removal(20) <= 1  # the last frame's may linger


class _Keys(App[None]):
    """Focus moves between two inputs (same keys), and one action is switched off and on."""

    BINDINGS = [("f2", "bell", "Two"), ("f3", "toggle_dark", "Three")]

    def __init__(self) -> None:
        super().__init__()
        self.three_on = True

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield ArtgenFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "toggle_dark" and not self.three_on else True


async def test_footer_redraws_only_when_its_keys_change() -> None:
    app = _Keys()
    async with app.run_test() as pilot:
        await pilot.pause()
        first = set(app.query(FooterKey))
        assert {key.description for key in first} >= {"Two", "Three"}
        for target in ("#b", "#a", "#b"):
            app.set_focus(app.query_one(target))
            await pilot.pause()
            await pilot.pause()
        assert set(app.query(FooterKey)) == first  # the same keys: nothing drawn again
        app.three_on = False
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        three = next(key for key in app.query(FooterKey) if key.description == "Three")
        assert three not in first and three.has_class("-disabled")
