"""Uploads in the app: the picker's choice, ``/upload`` arguments or pasted paths, with the
progress bar, then each file's outcome in the chat and the timeline (refreshed once). The rules (what is refused, how items are parsed)
are :mod:`artgen_tui.core.uploads`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artgen_tui.api.errors import ApiError
from artgen_tui.tui.host import AppServices, MainParts
from artgen_tui.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from artgen_tui.config import Settings
    from artgen_tui.core.workspace import Workspace
    from artgen_tui.tui.errors import ErrorView
    from artgen_tui.tui.screens.batch import BatchPlan
    from artgen_tui.tui.screens.file_picker import UploadChoice
    from artgen_tui.tui.widgets.upload_bar import UploadBar


class UploadHost(AppServices, MainParts, Protocol):
    """What uploading uses of the app."""

    ws: Workspace | None
    ready: bool

    @property
    def settings(self) -> Settings: ...

    errors: ErrorView

    @property
    def upload_bar(self) -> UploadBar: ...
    def refresh_credits(self) -> object: ...
    async def say(self, text: str, kind: str) -> None: ...


class UploadFlow:
    def __init__(self, app: UploadHost) -> None:
        self.app = app
        self.uploaded: dict[str, Path] = {}
        """Local files uploaded in this run, by name (a segment's label is its file's name)."""

    def pick(self) -> None:
        """F2: the file picker; its choice is uploaded, or run as one video per file."""
        if not self.app.ready:
            self.app.notify("Not connected yet.", severity="warning")
            return

        def chosen(choice: UploadChoice | None) -> None:
            if choice is not None and choice.one_video_per_file:
                from artgen_tui.tui.screens.batch import BatchSetup

                self.app.push_screen(BatchSetup(choice.paths), self.run_batch)
            elif choice is not None and (choice.paths or choice.urls):
                self.start([*choice.paths, *choice.urls])

        from artgen_tui.tui.screens.file_picker import FilePickerScreen

        self.app.push_screen(FilePickerScreen(Path.cwd()), chosen)

    def run_batch(self, plan: BatchPlan | None) -> None:
        """One video per file: a batch screen prices the plan, then runs it."""
        from artgen_tui.tui.screens.batch import batch_screen

        if plan is not None and self.app.ws is not None:
            self.app.push_screen(batch_screen(self.app.ws, self.app.settings, plan))

    def start(self, items: list[Path | str]) -> None:
        self.app.run_worker(
            self.upload(items), name="upload", group="upload", exclusive=True, exit_on_error=False
        )

    async def upload(self, items: list[Path | str]) -> None:
        """Upload with progress, then say what became of each item and show the timeline."""
        from artgen_tui.core import uploads  # the upload rules: not for the first frame

        app, ws = self.app, self.app.ws
        if ws is None:
            return
        self.uploaded.update({i.name: i for i in items if isinstance(i, Path)})
        bar = app.upload_bar
        bar.begin()
        try:
            outcome = await uploads.upload_each(ws, items, progress=bar.show)
        except ApiError as exc:
            await app.errors.api_error(exc)
            return
        finally:
            bar.end()
        await app.say(outcome.sentence(), "warning" if outcome.refused else "info")
        if outcome.state is not None:
            app.timeline.show_state(outcome.state, outcome.diff)
        if outcome.files:
            app.refresh_credits()

    def offer(self, items: list[Path | str]) -> None:
        """Pasted or dropped paths: ask before uploading them (they might be meant as text)."""
        names = ", ".join(Path(i).name if isinstance(i, Path) else i for i in items)
        what = "this file" if len(items) == 1 else f"these {len(items)} files"

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(items)

        self.app.push_screen(
            ConfirmScreen(
                f"Upload {what}: {names}?", title="Upload", yes="Upload", default_yes=True
            ),
            answered,
        )
