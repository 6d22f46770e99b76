"""Re-export: render a library item's stored draft again, into a new file.

The draft an MP4 was rendered from is kept in its sidecar (:mod:`artgen_tui.core.sidecar`). A
re-export submits that draft as it is through :meth:`JobManager.submit_draft
<artgen_tui.core.jobs.JobManager.submit_draft>`, so it is journaled, submitted idempotently,
resumed after a restart and downloaded like any export, at the resolution asked for (default: the
item's own). The new MP4 goes beside the original under a name that holds the new job's id, so no
file is ever replaced; no session's timeline is touched. An item whose sidecar keeps no draft
cannot be re-exported (:class:`NotReexportable` says why and what to do instead).

Both faces use this module: the Library screen's ``e`` and ``artgen library reexport FILE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgen_tui.api.errors import ApiError
from artgen_tui.core import sidecar, targets
from artgen_tui.core.sizes import RESOLUTIONS

if TYPE_CHECKING:
    from artgen_tui.core.jobs import ExportJob, JobManager


class NotReexportable(ApiError):
    """The item cannot be rendered again; nothing was submitted."""

    default_hint = "Open its session and export the timeline there."


@dataclass(frozen=True)
class ReexportSource:
    """An exported MP4 and what its sidecar says it was rendered from."""

    path: Path
    draft: dict[str, Any]
    session_id: str | None
    title: str | None
    resolution: str | None
    """The item's resolution when it is one an export can ask for, else ``None``."""


def session_hint(session_id: str | None) -> str:
    if not session_id:
        return "Export the timeline again from the session that made it."
    return (
        f"Open its session ({session_id}: s in the Library, or `artgen --session {session_id}`) "
        "and export the timeline there."
    )


def _text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value.strip() else None


def load(path: Path) -> ReexportSource:
    """What re-exporting ``path`` renders; raises :class:`NotReexportable` (with why and what
    to do) when the file is gone or its sidecar keeps no draft."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise NotReexportable(
            f"{path.name} is no longer there ({path.parent}).",
            hint="Pick another result (`artgen library` lists them).",
        )
    side = sidecar.read(path)
    session = _text(side, "session_id") if side else None
    if side is None:
        raise NotReexportable(
            f"{path.name} has no sidecar ({path.name}{sidecar.SUFFIX}), so the draft it was "
            "rendered from is unknown and it can't be re-exported.",
            hint=session_hint(session),
        )
    draft = side.get("draft")
    if not isinstance(draft, dict) or not draft:
        raise NotReexportable(
            f"{path.name} has no stored draft, so it can't be re-exported (exports made before "
            "sidecars, or finished after a restart, do not keep one).",
            hint=session_hint(session),
        )
    resolution = _text(side, "resolution")
    return ReexportSource(
        path=path,
        draft=draft,
        session_id=session,
        title=_text(side, "title"),
        resolution=resolution if resolution in RESOLUTIONS else None,
    )


def can_reexport(path: Path) -> str | None:
    """Why ``path`` cannot be re-exported (message and hint), or ``None`` when it can."""
    try:
        load(path)
    except NotReexportable as exc:
        return exc.user_text()
    return None


def target_folder(jobs: JobManager, source: ReexportSource) -> Path:
    """Beside the original when that folder takes new files, else the output folder."""
    folder = source.path.parent
    return folder if targets.folder_problem(folder) is None else jobs.output_dir


def check_target(
    jobs: JobManager, source: ReexportSource, output_path: Path | None = None
) -> Path | None:
    """Refuse, before anything is priced or submitted, an output that would replace the source
    or could not be written; returns the folder the new file goes to when ``output_path`` is
    ``None`` (see :func:`target_folder`)."""
    if output_path is None:
        folder = target_folder(jobs, source)
        targets.check_folder(folder)
        return folder
    output_path = Path(output_path).expanduser()
    if output_path.resolve() == source.path.resolve():
        raise NotReexportable(
            f"A re-export never replaces {source.path.name}.",
            hint="Name another file, or leave -o out to save it beside the original.",
        )
    jobs.check_target(output_path)
    return None


async def submit(
    jobs: JobManager,
    source: ReexportSource,
    *,
    resolution: str | None = None,
    output_path: Path | None = None,
) -> ExportJob:
    """Submit the re-export of ``source`` (see the module's rule); returns the new job, which
    :meth:`JobManager.follow <artgen_tui.core.jobs.JobManager.follow>` takes to the download."""
    folder = check_target(jobs, source, output_path)
    return await jobs.submit_draft(
        source.draft,
        session_id=source.session_id,
        title=source.title,
        resolution=resolution or source.resolution,
        output_path=Path(output_path).expanduser() if output_path is not None else None,
        output_dir=folder,
        source=source.path,
    )
