"""Checking and uploading media: local files (streamed, with progress) and URLs.

:func:`check_file` is the one refusal rule (both faces use it); :func:`validate` refuses the whole
batch before a byte is sent if any file breaks a rule, naming each file and the rule. :func:`upload` sends files one request per file (so progress and errors are
per file), URLs in one request, then refreshes the session state. :func:`upload_each` is the
forgiving variant for several files at once: it reports every file's outcome (done, refused with
the reason, or skipped), keeps going past a refused file and refreshes the state once at the end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from artgen_tui.api.errors import ApiError, FileTooLarge, UnsupportedFileType
from artgen_tui.api.files import check_upload, file_kind, human_size

if TYPE_CHECKING:
    from artgen_tui.api.models import SessionState, UploadedFile
    from artgen_tui.core.timeline import TimelineDiff
    from artgen_tui.core.workspace import Workspace

log = logging.getLogger(__name__)


class UploadRefused(ApiError):
    """One or more files break the upload rules; nothing was sent."""

    default_hint = "Nothing was uploaded. Remove or fix the files listed and try again."

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Cannot upload: " + "; ".join(problems))


@dataclass(frozen=True)
class ValidatedFile:
    path: Path
    size: int
    kind: str
    """``video``, ``image`` or ``audio``."""

    @property
    def size_text(self) -> str:
        return human_size(self.size)


@dataclass(frozen=True)
class UploadProgress:
    """Progress of one item: ``name`` is the file name (or URL), ``index`` counts from 0."""

    name: str
    index: int
    count: int
    done_bytes: int
    total_bytes: int | None

    @property
    def fraction(self) -> float | None:
        if not self.total_bytes:
            return None
        return min(1.0, self.done_bytes / self.total_bytes)


@dataclass(frozen=True)
class UploadOutcome:
    files: list[UploadedFile] = field(default_factory=list)
    state: SessionState | None = None
    diff: TimelineDiff | None = None

    def sentence(self) -> str:
        names = ", ".join(f.filename for f in self.files) or "nothing"
        text = f"Uploaded {names}."
        if self.diff is not None and not self.diff.empty:
            text += " " + self.diff.sentence
        return text


def is_url(item: str | Path) -> bool:
    """An http(s) address with a host (anything else is taken for a file path)."""
    if not isinstance(item, str):
        return False
    parts = urlsplit(item.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _url_problem(item: str | Path) -> str | None:
    """Why an address-looking argument (``ftp://…``, ``http://`` with no host) cannot be
    uploaded; ``None`` for anything else, including a file that happens to exist by that name."""
    if not isinstance(item, str) or is_url(item) or not _SCHEME.match(item.strip()):
        return None
    if Path(item).expanduser().exists():
        return None
    scheme = item.strip().split(":", 1)[0].lower()
    if scheme in ("http", "https"):
        return f"{item}: not a complete web address (no host)."
    return f"{item}: only http(s) URLs can be uploaded."


def items_from_args(args: Sequence[str]) -> list[Path | str]:
    """Upload arguments (already split, see :func:`artgen_tui.core.intents.split_args`) as URLs
    and expanded file paths; other addresses stay text, for :func:`validate` to refuse."""
    return [a if is_url(a) or _url_problem(a) else Path(a).expanduser() for a in args]


def parse_urls(text: str) -> tuple[list[str], str | None]:
    """Split pasted text into web addresses; the second item explains the first bad one."""
    urls: list[str] = []
    for raw in text.replace(",", " ").split():
        if not is_url(raw):
            return [], f"“{raw}” is not a web address; paste a link starting with https://."
        urls.append(raw)
    return urls, None


def check_file(item: Path | str) -> ValidatedFile | str:
    """The file checked against the service's rules, or why it is refused (naming it).

    The one refusal rule: the picker, ``artgen upload`` and batch files all say the same thing
    for the same file. Text that looks like a web address but is not an http(s) one is refused
    here too (see :func:`items_from_args`).
    """
    bad_url = _url_problem(item)
    if bad_url is not None:
        return bad_url
    path = Path(item).expanduser()
    try:
        size = check_upload(path)
    except (UnsupportedFileType, FileTooLarge) as exc:
        return exc.user_text()  # the hint says what to do (other formats, trim it)
    except OSError as exc:
        return _unreadable(path, exc)
    return ValidatedFile(path, size, file_kind(path) or "video")


def _unreadable(path: Path, exc: OSError) -> str:
    """:func:`check_upload` words its own refusals; an error straight from the system (a
    symlink loop, a name too long) gets the same shape, naming the file."""
    if exc.strerror:
        return f"{path}: cannot be read ({exc.strerror.lower()})."
    return str(exc) or f"{path}: cannot be read."


def refusal(item: Path | str) -> str | None:
    """Why ``item`` cannot be uploaded, or ``None`` when it can (see :func:`check_file`)."""
    checked = check_file(item)
    return checked if isinstance(checked, str) else None


def validate(paths: Sequence[Path | str]) -> list[ValidatedFile]:
    """Check every file against the service's rules; raise :class:`UploadRefused` listing all
    problems if any file fails (so nothing is sent)."""
    result: list[ValidatedFile] = []
    problems: list[str] = []
    for raw in paths:
        checked = check_file(raw)
        if isinstance(checked, str):
            problems.append(checked)
        else:
            result.append(checked)
    if problems:
        raise UploadRefused(problems)
    return result


async def upload(
    ws: Workspace,
    items: Sequence[Path | str],
    progress: Callable[[UploadProgress], None] | None = None,
) -> UploadOutcome:
    """Upload local files and/or http(s) URLs to the current session, then refresh the state."""
    urls = [str(i) for i in items if is_url(i)]
    files = validate([i for i in items if not is_url(i)])
    if not urls and not files:
        raise UploadRefused(["no files or URLs given"])
    before = ws.last_state
    uploaded: list[UploadedFile] = []
    count = len(files) + (1 if urls else 0)
    for index, item in enumerate(files):

        def report(done: int, total: int | None, _i: int = index, _f: ValidatedFile = item) -> None:
            if progress is not None:
                progress(UploadProgress(_f.path.name, _i, count, done, total or _f.size))

        report(0, item.size)
        result = await ws.upload_files([item.path], progress=report)
        report(item.size, item.size)
        uploaded.extend(result.files)
    if urls:
        label = urls[0] if len(urls) == 1 else f"{len(urls)} URLs"
        if progress is not None:
            progress(UploadProgress(label, len(files), count, 0, None))
        result = await ws.upload_urls(urls)
        uploaded.extend(result.files)
        if progress is not None:
            progress(UploadProgress(label, len(files), count, 1, 1))
    try:
        state: SessionState | None = await ws.state()
    except ApiError as exc:
        log.info("state after the upload unavailable: %s", exc)
        state = None
    from artgen_tui.core.timeline import diff

    change = diff(before, state) if state is not None else None
    return UploadOutcome(uploaded, state, change)


FileStatus = Literal["done", "refused", "skipped"]


@dataclass(frozen=True)
class FileResult:
    """One item's outcome in :func:`upload_each`; ``reason`` says why it was refused or skipped."""

    name: str
    status: FileStatus
    reason: str = ""

    @property
    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class BatchUploadOutcome(UploadOutcome):
    results: list[FileResult] = field(default_factory=list)

    @property
    def refused(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "refused"]

    def sentence(self) -> str:
        """The plain sentence when every item was sent; else a count and one line per item."""
        done = sum(r.status == "done" for r in self.results)
        if self.results and done == len(self.results):
            return super().sentence()
        head = f"Uploaded {done} of {len(self.results)}."
        if self.diff is not None and not self.diff.empty:
            head += " " + self.diff.sentence
        return "\n".join([head, *(f"  {r.line}" for r in self.results)])


async def upload_each(
    ws: Workspace,
    items: Sequence[Path | str],
    progress: Callable[[UploadProgress], None] | None = None,
) -> BatchUploadOutcome:
    """Upload each item on its own; a refused item does not stop the others. An error that is
    not about the file (the connection, the session) skips the items not yet sent."""
    before = ws.last_state
    results: list[FileResult] = []
    uploaded: list[UploadedFile] = []
    fatal: ApiError | None = None
    seen: set[str] = set()
    for index, item in enumerate(items):
        name = str(item) if is_url(item) else Path(item).name
        if str(item) in seen:
            results.append(FileResult(name, "skipped", "listed twice"))
            continue
        seen.add(str(item))
        if fatal is not None:
            results.append(FileResult(name, "skipped", f"not sent after: {fatal.message}"))
            continue
        try:
            files = await _send_one(ws, item, index, len(items), progress)
        except UploadRefused as exc:
            results.append(FileResult(name, "refused", "; ".join(exc.problems)))
            continue
        except (UnsupportedFileType, FileTooLarge) as exc:
            results.append(FileResult(name, "refused", exc.message))
            continue
        except ApiError as exc:
            log.info("upload of %s failed: %s", name, exc)
            results.append(FileResult(name, "refused", exc.message))
            fatal = exc if exc.transient or exc.code is None else None
            continue
        uploaded.extend(files)
        results.append(FileResult(name, "done"))
    state: SessionState | None = None
    if uploaded:
        try:
            state = await ws.state()
        except ApiError as exc:
            log.info("state after the upload unavailable: %s", exc)
    from artgen_tui.core.timeline import diff

    change = diff(before, state) if state is not None else None
    return BatchUploadOutcome(uploaded, state, change, results)


async def _send_one(
    ws: Workspace,
    item: Path | str,
    index: int,
    count: int,
    progress: Callable[[UploadProgress], None] | None,
) -> list[UploadedFile]:
    if is_url(item):
        url = str(item)
        if progress is not None:
            progress(UploadProgress(url, index, count, 0, None))
        return (await ws.upload_urls([url])).files
    checked = check_file(item)
    if isinstance(checked, str):
        raise UploadRefused([checked])

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(UploadProgress(checked.path.name, index, count, done, total or checked.size))

    report(0, checked.size)
    result = await ws.upload_files([checked.path], progress=report)
    report(checked.size, checked.size)
    return result.files
