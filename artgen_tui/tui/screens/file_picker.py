"""The upload picker: choose local files (checked before anything is sent) or paste URLs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, OptionList, Static, Tree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from artgen_tui.api.files import (
    ACCEPTED_EXTENSIONS,
    AUDIO_EXTENSIONS,
    IMAGE_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    VIDEO_EXTENSIONS,
    file_kind,
    human_size,
)
from artgen_tui.api.untrusted import clean
from artgen_tui.core.uploads import check_file, parse_urls, refusal
from artgen_tui.tui.keys import bound_key, key_display
from artgen_tui.tui.widgets.thumbnail import is_media, thumbnail_text


def formats_line() -> str:
    """What the service takes, from the upload rules themselves (:mod:`artgen_tui.api.files`)."""
    kinds = (("Video", VIDEO_EXTENSIONS), ("Image", IMAGE_EXTENSIONS), ("Audio", AUDIO_EXTENSIONS))
    listed = " · ".join(f"{name} {' '.join(sorted(exts))}" for name, exts in kinds)
    mib = MAX_UPLOAD_BYTES / (1024 * 1024)
    limit = f"{mib:.0f} MB" if mib.is_integer() else human_size(MAX_UPLOAD_BYTES)
    return f"{listed} · up to {limit} a file"


@dataclass(frozen=True)
class UploadChoice:
    """What the user chose to upload: local files (already checked) and/or web addresses."""

    paths: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    one_video_per_file: bool = False
    """Make a separate video of each file (a batch) instead of uploading them to this session."""


def display_path(path: Path) -> str:
    """The path with the home folder written as ``~`` (shorter, and it hides the user name)."""
    home = Path.home()
    try:
        rel = path.relative_to(home)
    except ValueError:
        return str(path)
    return "~" if rel == Path() else f"~/{rel.as_posix()}"


class UploadTree(DirectoryTree):
    """A directory tree of folders and uploadable files, with sizes and selection marks."""

    ICON_NODE_EXPANDED = "▾ "
    ICON_NODE = "▸ "
    ICON_FILE = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Select", show=False),
    ]

    class MarkToggled(Message):
        """Space on a file: the screen decides whether it may be selected."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, path: Path, *, id: str | None = None) -> None:
        super().__init__(path, id=id)
        self.marked: set[Path] = set()
        self._sizes: dict[Path, int | None] = {}
        self.root.set_label(display_path(path))

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        # Runs in a worker thread: no DOM access here.
        return [
            p
            for p in paths
            if not p.name.startswith(".")
            and (self._safe_is_dir(p) or p.suffix.lower() in ACCEPTED_EXTENSIONS)
        ]

    async def watch_path(self) -> None:
        self._sizes.clear()
        await super().watch_path()
        self.root.set_label(display_path(Path(self.path)))

    def size_of(self, path: Path) -> int | None:
        if path not in self._sizes:
            try:
                self._sizes[path] = path.stat().st_size
            except OSError:
                self._sizes[path] = None
        return self._sizes[path]

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        if node.allow_expand or node.data is None or node is self.root:
            return label
        path = node.data.path
        size = self.size_of(path)
        mark = ("✔ ", "bold green") if path in self.marked else ("  ", "")
        tail: list[tuple[str, str]] = []
        if size is not None:
            tail.append((f"  {human_size(size)}", "dim"))
            if size > MAX_UPLOAD_BYTES:
                tail.append((" too large", "bold red"))
        return Text.assemble(mark, label, *tail)

    def action_toggle_mark(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.allow_expand:
            self.action_toggle_node()
        else:
            self.post_message(self.MarkToggled(node.data.path))

    def refresh_path(self, path: Path) -> None:
        """Repaint the node showing ``path`` (after its mark changed)."""
        self._sizes.pop(path, None)
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.path == path:
                node.refresh()
                return
            stack.extend(node.children)


class SelectedList(OptionList):
    """The files chosen so far; delete removes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove", "Remove", show=False),
    ]

    class RemoveRequested(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def action_remove(self) -> None:
        index = self.highlighted
        if index is None:
            return
        option_id = self.get_option_at_index(index).id
        if option_id is not None:
            self.post_message(self.RemoveRequested(Path(option_id)))


class FilePickerScreen(ModalScreen[UploadChoice | None]):
    """Pick files to upload (space selects, enter adds) or paste URLs; Esc cancels."""

    DEFAULT_CSS = """
    FilePickerScreen {
        align: center middle;
    }
    #picker-dialog {
        width: 96%;
        max-width: 120;
        height: 94%;
        max-height: 40;
        border: thick $primary;
        border-title-align: left;
        background: $surface;
        padding: 0 1;
    }
    #picker-dialog Label.picker-caption {
        width: 8;
        padding: 1 0 0 0;
        color: $text-muted;
    }
    #picker-formats {
        height: auto;
        color: $text-muted;
    }
    #picker-root-row, #picker-url-row {
        height: 3;
    }
    #picker-root, #picker-url {
        width: 1fr;
    }
    #picker-body {
        height: 1fr;
    }
    #picker-tree {
        width: 3fr;
        border: round $panel;
    }
    #picker-tree:focus {
        border: round $accent;
    }
    #picker-side {
        width: 2fr;
        min-width: 28;
    }
    #picker-thumb { height: auto; padding: 0 1; }
    #picker-details {
        height: auto;
        min-height: 4;
        border: round $panel;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    #picker-selected {
        height: 1fr;
        border: round $panel;
        border-title-color: $text-muted;
    }
    #picker-selected:focus {
        border: round $accent;
    }
    #picker-total {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    #picker-message {
        height: auto;
        min-height: 1;
        padding: 0 1;
    }
    #picker-message.-error {
        color: $error;
        text-style: bold;
    }
    #picker-message.-info {
        color: $text-muted;
    }
    #picker-buttons {
        height: 3;
        align-horizontal: right;
    }
    #picker-hint {
        width: 1fr;
        padding: 1 0 0 0;
        color: $text-muted;
    }
    #picker-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        start = start if start is not None else Path.cwd()
        self._start = start if start.is_dir() else Path.home()
        self._selected: dict[Path, int] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog") as dialog:
            dialog.border_title = "Upload files"
            yield Static(formats_line(), id="picker-formats", markup=False)
            with Horizontal(id="picker-root-row"):
                yield Label("Folder", classes="picker-caption")
                yield Input(
                    display_path(self._start),
                    placeholder="a folder to browse, or a file to add",
                    id="picker-root",
                )
            with Horizontal(id="picker-body"):
                yield UploadTree(self._start, id="picker-tree")
                with Vertical(id="picker-side"):
                    details = Static("", id="picker-details", markup=False)
                    details.border_title = "File"
                    yield details
                    thumb = Static("", id="picker-thumb")
                    thumb.display = False
                    yield thumb
                    selected = SelectedList(id="picker-selected")
                    selected.border_title = "Selected"
                    yield selected
                    yield Static("", id="picker-total", markup=False)
            yield Static("", id="picker-message", markup=False)
            with Horizontal(id="picker-url-row"):
                yield Label("URL", classes="picker-caption")
                yield Input(placeholder="…or paste https:// links instead", id="picker-url")
            with Horizontal(id="picker-buttons"):
                cancel = bound_key(self.BINDINGS, getattr(self.app, "keymap", {}), "cancel")
                yield Static(
                    f"space select · enter add · del remove · {key_display(cancel).lower()} cancel",
                    id="picker-hint",
                    markup=False,
                )
                yield Button("Upload", variant="primary", id="picker-upload")
                yield Button("One video per file", id="picker-batch")
                yield Button("Cancel", id="picker-cancel")

    def on_mount(self) -> None:
        self._show_total()
        self.query_one(UploadTree).focus()

    # -- selection ---------------------------------------------------------------------------

    @property
    def selected(self) -> list[Path]:
        return list(self._selected)

    def add_path(self, path: Path) -> bool:
        """Check ``path`` and add it to the selection; on refusal show why and return False."""
        checked = check_file(path)
        if isinstance(checked, str):
            self.show_error(checked)
            return False
        if path not in self._selected:
            self._selected[path] = checked.size
            self._sync_selection(path)
        self.show_info(f"Added {path.name} ({checked.size_text}).")
        return True

    def remove_path(self, path: Path) -> None:
        if self._selected.pop(path, None) is not None:
            self._sync_selection(path)
            self.show_info(f"Removed {path.name}.")

    def _sync_selection(self, changed: Path) -> None:
        tree = self.query_one(UploadTree)
        tree.marked = set(self._selected)
        tree.refresh_path(changed)
        listing = self.query_one(SelectedList)
        listing.clear_options()
        listing.add_options(
            Option(
                Text.assemble(display_path(p), (f"  {human_size(size)}", "dim")),
                id=str(p),
            )
            for p, size in self._selected.items()
        )
        self._show_total()

    def _show_total(self) -> None:
        count = len(self._selected)
        total = self.query_one("#picker-total", Static)
        if count == 0:
            total.update("Nothing selected yet")
        else:
            noun = "file" if count == 1 else "files"
            total.update(f"{count} {noun} · {human_size(sum(self._selected.values()))}")

    # -- messages ----------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        message = self.query_one("#picker-message", Static)
        message.set_classes("-error")
        message.update(f"✗ {clean(text)}")

    def show_info(self, text: str) -> None:
        message = self.query_one("#picker-message", Static)
        message.set_classes("-info")
        message.update(clean(text))

    def _show_details(self, path: Path, is_dir: bool) -> None:
        details = self.query_one("#picker-details", Static)
        self._show_thumbnail(None if is_dir else path)
        if is_dir:
            details.update(Text.assemble((f"{path.name}/", "bold"), "\nfolder · enter opens it"))
            return
        checked = check_file(path)
        kind = file_kind(path) or "file"
        if isinstance(checked, str):
            details.update(
                Text.assemble((path.name, "bold"), f"\n{kind}\n", (f"✗ {checked}", "red"))
            )
        else:
            details.update(
                Text.assemble(
                    (path.name, "bold"),
                    f"\n{kind} · {checked.size_text}\n",
                    ("✓ can be uploaded", "green"),
                )
            )

    # -- events ------------------------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#picker-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[DirEntry]) -> None:
        data = event.node.data
        if data is not None:
            self._show_details(data.path, event.node.allow_expand)

    @on(UploadTree.MarkToggled)
    def _toggle(self, event: UploadTree.MarkToggled) -> None:
        if event.path in self._selected:
            self.remove_path(event.path)
        else:
            self.add_path(event.path)

    @on(DirectoryTree.FileSelected, "#picker-tree")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.add_path(event.path)

    @on(SelectedList.RemoveRequested)
    def _remove(self, event: SelectedList.RemoveRequested) -> None:
        self.remove_path(event.path)

    @on(Input.Submitted, "#picker-root")
    def _root_submitted(self, event: Input.Submitted) -> None:
        raw = event.value.strip()
        tree = self.query_one(UploadTree)
        if not raw:
            self.show_error("Type a folder to browse or a file to add.")
            return
        target = Path(raw).expanduser()
        if not target.is_absolute():
            target = Path(tree.path) / target
        target = Path(os.path.normpath(target))
        if target.is_dir():
            tree.path = target
            event.input.value = display_path(target)
            self.show_info(f"Showing {display_path(target)}.")
            tree.focus()
        elif target.exists():
            if self.add_path(target):
                event.input.value = display_path(Path(tree.path))
        else:
            self.show_error(f"No file or folder at {display_path(target)}; check the path.")

    @on(Input.Submitted, "#picker-url")
    def _url_submitted(self) -> None:
        self.action_upload()

    @on(Button.Pressed, "#picker-upload")
    def _upload_pressed(self) -> None:
        self.action_upload()

    @on(Button.Pressed, "#picker-batch")
    def _batch_pressed(self) -> None:
        self.action_one_video_per_file()

    @on(Button.Pressed, "#picker-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # -- actions -----------------------------------------------------------------------------

    def action_upload(self) -> None:
        urls, problem = parse_urls(self.query_one("#picker-url", Input).value)
        if problem is not None:
            self.show_error(problem)
            self.query_one("#picker-url", Input).focus()
            return
        for path in list(self._selected):
            # Files can change while the picker is open: check again right before sending.
            reason = refusal(path)
            if reason is not None:
                self.remove_path(path)
                self.show_error(reason)
                return
        if not self._selected and not urls:
            self.show_error("Nothing to upload yet: press space on a file, or paste a URL.")
            return
        self.dismiss(UploadChoice(paths=list(self._selected), urls=urls))

    def action_one_video_per_file(self) -> None:
        """A batch of the selected files (each its own video); links are not batched here."""
        if not self._selected:
            self.show_error("Select files first (space on each), then make one video per file.")
            return
        for path in list(self._selected):
            reason = refusal(path)
            if reason is not None:
                self.remove_path(path)
                self.show_error(reason)
                return
        self.dismiss(UploadChoice(paths=list(self._selected), one_video_per_file=True))

    def _show_thumbnail(self, path: Path | None) -> None:
        thumb = self.query_one("#picker-thumb", Static)
        if path is None or not is_media(path):
            thumb.display = False
            return
        self._thumbnail(path)

    @work(exclusive=True, group="picker-thumb", exit_on_error=False)
    async def _thumbnail(self, path: Path) -> None:
        picture = await thumbnail_text(path)
        thumb = self.query_one("#picker-thumb", Static)
        if picture is not None:
            thumb.update(picture)
        thumb.display = picture is not None

    def action_cancel(self) -> None:
        self.dismiss(None)
