"""Fails loudly when a Textual upgrade removes what the chat relies on beyond the public API.

``Reply.abandon`` (tui/widgets/chat_log.py) drops a ``MarkdownStream``'s queued text and ends its
task without ``stop()``, because ``stop()`` would append that text to a widget being removed; there
is no public way to discard it. Everything else is public API and is checked here too, so a pin bump
that moves it shows up as one clear failure instead of a frozen or crashing chat.
"""

from __future__ import annotations

import asyncio
import inspect

from textual.app import App, ComposeResult
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream
from textual.widgets.tree import TreeNode


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
