"""The prompt: a multi-line box that edits like a shell's line editor.

Enter sends (``Submitted``); Ctrl+J or Shift+Enter starts a new line; a paste keeps every line;
the box grows with its text up to a limit (``max-height`` below), then scrolls. Readline keys:
Ctrl+A/E line start/end, Ctrl+B/F and Alt+B/F by character and word, Ctrl+K/U/W kill to the end,
to the start and the word before (Ctrl+Y yanks the last kill back), Ctrl+H/Ctrl+D delete,
Up/Down on the first/last line walk the history, Ctrl+R searches it backwards (see
:class:`ReverseSearch`), Ctrl+X Ctrl+E asks for the text in ``$VISUAL``/``$EDITOR``
(``EditorRequested``), PageUp/PageDown scroll the chat (``PageRequested``).

None of these is an app key: the app's actions live on F-keys (see ``ArtgenApp.BINDINGS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Location

from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.tui.keys import bound_key, bound_keys, key_display

PLACEHOLDER = "Describe a video, or type /help · Enter sends"

EDITOR_SECOND_KEYS = ("ctrl+e", "e")
"""After the editor prefix (Ctrl+X), these open the editor (bash: C-x C-e)."""


@dataclass
class ReverseSearch:
    """A running Ctrl+R search: what was typed, the entry shown, the text before it began."""

    query: str
    index: int | None
    original: str


class PromptInput(TextArea, inherit_bindings=False):
    """Enter posts :class:`Submitted` with the whole text; the app decides what it means."""

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 10;
        border-title-color: $accent;
        border-subtitle-color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j,shift+enter", "newline", "New line", show=False, id="prompt.newline"),
        Binding("up", "history_up", "Previous prompt", show=False, id="prompt.history_back"),
        Binding("down", "history_down", "Next prompt", show=False, id="prompt.history_forward"),
        Binding("ctrl+r", "search_history", "Search history", show=False, id="prompt.search"),
        Binding(
            "ctrl+x", "editor_prefix", "Edit in $EDITOR (then Ctrl+E)", show=False, id="prompt.editor"
        ),
        Binding("pageup", "page(-1)", "Scroll the chat up", show=False, id="prompt.page_up"),
        Binding("pagedown", "page(1)", "Scroll the chat down", show=False, id="prompt.page_down"),
        # Readline and the usual editing keys (no ids: these are the shell's keys, kept as they
        # are). TextArea's own set is not inherited: its F6/F7 and Ctrl+X would shadow app keys.
        Binding("left", "cursor_left", "Back a character", show=False),
        Binding("right", "cursor_right", "Forward a character", show=False),
        Binding("ctrl+left", "cursor_word_left", "Back a word", show=False),
        Binding("ctrl+right", "cursor_word_right", "Forward a word", show=False),
        Binding("home,ctrl+a", "cursor_line_start", "Start of line", show=False),
        Binding("end,ctrl+e", "cursor_line_end", "End of line", show=False),
        Binding("shift+left", "cursor_left(True)", "Select left", show=False),
        Binding("shift+right", "cursor_right(True)", "Select right", show=False),
        Binding("shift+up", "cursor_up(True)", "Select up", show=False),
        Binding("shift+down", "cursor_down(True)", "Select down", show=False),
        Binding("shift+home", "cursor_line_start(True)", "Select to line start", show=False),
        Binding("shift+end", "cursor_line_end(True)", "Select to line end", show=False),
        Binding("backspace", "delete_left", "Delete back", show=False),
        Binding("delete,ctrl+d", "delete_right", "Delete forward", show=False),
        Binding("alt+backspace,ctrl+backspace", "delete_word_left", "Delete a word back", show=False),
        Binding("alt+d,alt+delete", "delete_word_right", "Delete a word forward", show=False),
        Binding("ctrl+c", "copy", "Copy the selection", show=False),
        Binding("ctrl+v", "paste", "Paste", show=False),
        Binding("ctrl+z", "undo", "Undo", show=False),
        Binding("ctrl+shift+z", "redo", "Redo", show=False),
        Binding("ctrl+b", "cursor_left", "Back a character", show=False),
        Binding("ctrl+f", "cursor_right", "Forward a character", show=False),
        Binding("alt+b", "cursor_word_left", "Back a word", show=False),
        Binding("alt+f", "cursor_word_right", "Forward a word", show=False),
        Binding("ctrl+k", "kill_to_end", "Kill to the end of the line", show=False),
        Binding("ctrl+u", "kill_to_start", "Kill to the start of the line", show=False),
        Binding("ctrl+w", "kill_word_back", "Kill the word before", show=False),
        Binding("ctrl+y", "yank", "Yank the last kill", show=False),
        Binding("ctrl+h", "delete_left", "Delete back", show=False),
    ]  # fmt: skip

    class Submitted(Message):
        """Enter was pressed; ``value`` is the whole text (it may hold several lines)."""

        def __init__(self, prompt: PromptInput, value: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.value = value

        @property
        def control(self) -> PromptInput:
            return self.prompt

    class EditorRequested(Message):
        """Ctrl+X Ctrl+E: edit the prompt's text in an external editor."""

    class PageRequested(Message):
        """PageUp (``-1``) or PageDown (``1``): scroll the chat, keep typing."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(
        self,
        history: PromptHistory | None = None,
        *,
        keymap: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(
            id=id, soft_wrap=True, tab_behavior="focus", show_line_numbers=False, compact=False
        )
        self.placeholder = PLACEHOLDER
        self.keymap = dict(keymap or {})
        """The user's remaps (full binding id → keys): the hints and the search follow them."""
        self.sent = history if history is not None else PromptHistory()
        self._index = len(self.sent.entries)
        self._draft = ""
        self._kill = ""
        self._prefix = False
        self.search: ReverseSearch | None = None

    def keys_of(self, action: str) -> list[str]:
        """The keys bound to one of the prompt's actions now, remaps applied."""
        return bound_keys(self.BINDINGS, self.keymap, action)

    def key_name(self, action: str) -> str:
        """The first of those keys as the hints show it (``Ctrl+R``)."""
        return key_display(bound_key(self.BINDINGS, self.keymap, action))

    @classmethod
    def editing_keys(cls) -> set[str]:
        """Every key the prompt handles itself (its bindings and Enter); app keys stay off them."""
        return {key for key, _ in cls._merge_bindings()} | {"enter"}

    # --- text --------------------------------------------------------------------------------

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.restore(text)

    def restore(self, text: str) -> None:
        """Put text in (after a cancelled turn, from history or the editor), cursor at the end."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def insert_text_at_cursor(self, text: str) -> None:
        self.insert(text)

    def remember(self, text: str) -> None:
        """Add a sent prompt to the history (saved for the next run)."""
        self.sent.add(text)
        self._index = len(self.sent.entries)
        self._draft = ""

    # --- keys that cannot be bindings --------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        if self.search is not None and self._search_key(event):
            event.stop()
            event.prevent_default()
            return
        if self._prefix:
            self._prefix = False
            self.border_subtitle = ""
            if event.key in EDITOR_SECOND_KEYS:
                event.stop()
                event.prevent_default()
                self.post_message(self.EditorRequested())
                return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))

    async def _on_paste(self, event: events.Paste) -> None:
        """Keep every line of a paste (terminals may send CR or CRLF line ends)."""
        event.prevent_default()
        event.stop()
        if self.read_only:
            return
        if self.search is not None:
            self._end_search(accept=True)
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if result := self._replace_via_keyboard(text, *self.selection):
            self.move_cursor(result.end_location)
        self.focus()

    # --- actions ------------------------------------------------------------------------------

    def action_newline(self) -> None:
        self._replace_via_keyboard("\n", *self.selection)

    def action_page(self, step: int) -> None:
        self.post_message(self.PageRequested(step))

    def action_editor_prefix(self) -> None:
        self._prefix = True
        prefix = self.key_name("editor_prefix")
        self.border_subtitle = f"{prefix}: press Ctrl+E to edit in $EDITOR"

    def action_kill_to_end(self) -> None:
        """Ctrl+K: kill to the end of the line; at the end, join the next line."""
        start = self.selection.end
        end = self.get_cursor_line_end_location()
        if start == end and not self.cursor_at_end_of_text:
            end = (start[0] + 1, 0)
        self._kill_range(start, end)

    def action_kill_to_start(self) -> None:
        """Ctrl+U: kill from the start of the line to the cursor."""
        end = self.selection.end
        self._kill_range((end[0], 0), end)

    def action_kill_word_back(self) -> None:
        """Ctrl+W: kill back to the previous whitespace (readline's unix-word-rubout)."""
        row, col = self.selection.end
        line = self.document[row][:col]
        stripped = line.rstrip()
        start = len(stripped) - len(stripped.split()[-1]) if stripped.split() else 0
        if start == col and row > 0:  # at the start of a line: join with the line above
            self._kill_range((row - 1, len(self.document[row - 1])), (row, col))
            return
        self._kill_range((row, start), (row, col))

    def action_yank(self) -> None:
        """Ctrl+Y: insert the last killed text at the cursor."""
        if self._kill:
            self._replace_via_keyboard(self._kill, *self.selection)

    def _kill_range(self, start: Location, end: Location) -> None:
        if start == end:
            return
        lo, hi = sorted((start, end))
        self._kill = self.get_text_range(lo, hi)
        self._delete_via_keyboard(lo, hi)

    # --- history ------------------------------------------------------------------------------

    def action_history_up(self) -> None:
        if not self.cursor_at_first_line:
            self.action_cursor_up()
            return
        self._walk(-1)

    def action_history_down(self) -> None:
        if not self.cursor_at_last_line:
            self.action_cursor_down()
            return
        self._walk(1)

    def _walk(self, step: int) -> None:
        entries = self.sent.entries
        if not entries:
            return
        if self._index >= len(entries):
            self._index = len(entries)
            if step < 0:
                self._draft = self.text
        new = max(0, min(len(entries), self._index + step))
        if new == self._index:
            return
        self._index = new
        self.restore(self._draft if new == len(entries) else entries[new])

    # --- reverse search (Ctrl+R) ----------------------------------------------------------------

    def action_search_history(self) -> None:
        if self.search is None:
            self.search = ReverseSearch("", None, self.text)
            self._show_search()
            return
        self._search_step(older=True)

    def _search_key(self, event: events.Key) -> bool:
        """Handle a key during a search; ``False`` lets it act on the accepted text."""
        search = self.search
        assert search is not None
        if event.key in self.keys_of("search_history"):
            self._search_step(older=True)
        elif event.key == "escape":
            self._end_search(accept=False)
        elif event.key == "enter":
            self._end_search(accept=True)
        elif event.key in ("backspace", "ctrl+h"):
            search.query = search.query[:-1]
            search.index = self.sent.search(search.query)
            self._show_search()
        elif event.is_printable and event.character:
            search.query += event.character
            self._search_step(older=False)
        else:  # any other key ends the search and acts on the text found, as in a shell
            self._end_search(accept=True)
            return False
        return True

    def _search_step(self, *, older: bool) -> None:
        search = self.search
        assert search is not None
        before = search.index if older else (None if search.index is None else search.index + 1)
        found = self.sent.search(search.query, before)
        if found is not None:
            search.index = found
        elif not older:
            search.index = None
        self._show_search(failed=found is None and bool(search.query))

    def _show_search(self, *, failed: bool = False) -> None:
        search = self.search
        assert search is not None
        shown = search.original if search.index is None else self.sent.entries[search.index]
        if shown != self.text:
            self.restore(shown)
        word = "failing reverse search" if failed else "reverse search"
        self.border_title = f"{word}: {search.query!r}"
        self.border_subtitle = f"{self.key_name('search_history')} older · Enter keep · Esc cancel"

    def _end_search(self, *, accept: bool) -> None:
        search = self.search
        if search is None:
            return
        self.search = None
        self.border_title = ""
        self.border_subtitle = ""
        if not accept:
            self.restore(search.original)
        elif search.index is not None:
            self._index = search.index
