"""Where a video may be saved: checked before a render is submitted, and again before a download.

A target must be, or become, a regular file in a folder this process can write to. The checks use
``stat`` and a throwaway file in the folder, never the target itself: a device (``/dev/full``,
``/dev/null``), FIFO or socket is refused without being opened, so it is never written to or
replaced by the finished file's rename.

A missing folder is not an error: the download creates it (as it does the default output folder),
after the render, so a refused or failed export leaves no folder behind. What is checked now is
that it *can* be created: the nearest folder that exists is writable and nothing on the way is a
file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from artgen_tui.api.errors import ApiError
from artgen_tui.api.files import special_file_kind


class BadOutputPath(ApiError):
    """The video could not be saved where asked; nothing was submitted."""

    default_hint = "Nothing was rendered. Pick a file in a folder you can write to."


def _stat(path: Path) -> os.stat_result | None:
    """``stat`` of ``path`` (following links), ``None`` when nothing is there."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (or in it once created), or ``None``."""
    missing: list[Path] = []
    current = folder
    try:
        info = _stat(current)
        while info is None and current != current.parent:
            missing.append(current)
            current = current.parent
            info = _stat(current)
    except NotADirectoryError:
        info = None
    except OSError as exc:
        return f"{current}: cannot be checked ({exc.strerror or exc})."
    if info is None or not stat.S_ISDIR(info.st_mode):
        if current == folder:
            return f"{folder} is not a folder."
        return f"{current} is not a folder, so the folder {folder} cannot be made."
    try:
        fd, probe = tempfile.mkstemp(prefix=".artgen-check-", suffix=".tmp", dir=current)
    except OSError as exc:
        return f"cannot write in {current} ({exc.strerror or exc})."
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def output_problem(target: Path) -> str | None:
    """Why the video cannot be saved as ``target``, or ``None``; touches nothing at ``target``."""
    try:
        info = _stat(target)
    except NotADirectoryError:
        info = None  # a file where a folder should be: folder_problem names it
    except OSError as exc:
        return f"{target}: cannot be checked ({exc.strerror or exc})."
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            return f"{target} is a folder; name the file to write, like {target / 'video.mp4'}."
        special = special_file_kind(info.st_mode)
        if special is not None:
            return f"{target} is {special}; a video can only be saved as a regular file."
    part = target.with_name(target.name + ".part")
    try:
        part_info = _stat(part)
    except OSError:
        part_info = None
    if part_info is not None and not stat.S_ISREG(part_info.st_mode):
        return f"{part} (where the download goes first) is not a regular file."
    return folder_problem(target.parent)


def check_output(output_path: Path) -> Path:
    """The absolute target for ``-o output_path``; raises :class:`BadOutputPath` when the video
    cannot be saved there."""
    try:
        target = Path(output_path).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable folder
        raise BadOutputPath(f"{output_path}: cannot be used ({exc}).") from exc
    problem = output_problem(target)
    if problem is not None:
        raise BadOutputPath(problem)
    return target


def check_folder(folder: Path) -> None:
    """Raise :class:`BadOutputPath` when videos cannot be saved in ``folder``."""
    problem = folder_problem(folder)
    if problem is not None:
        raise BadOutputPath(f"Output folder: {problem}")
