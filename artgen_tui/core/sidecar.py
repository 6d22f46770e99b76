"""The ``NAME.mp4.json`` written beside every downloaded MP4: what it is and how it was made.

Fields: ``session_id``, ``render_id``, ``title``, ``prompts`` (what the user typed in the session
since the previous export), ``draft`` (the timeline it was rendered from, when this process
submitted it), ``resolution``, ``width``/``height``, ``duration_s`` (probed with PyAV),
``credits_spent`` (what the export cost: the drop in available credits the spend guard measured
when it was submitted, :attr:`~artgen_tui.core.jobs.ExportJob.credits_spent`; ``null`` only when
that could not be measured, since the server never says what an export cost), ``sha256``, ``size``,
``app_version``, Unix timestamps, and for a re-export ``reexport_of`` (the source file's
name). Written atomically (mode 0600), leaving the folder's mode alone. No token and no signed
URL: URLs in the draft lose their query string and fragment, and keys that name secrets are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from artgen_tui import __version__, paths
from artgen_tui.core.history import Transcript

log = logging.getLogger(__name__)

SCHEMA = 1
SUFFIX = ".json"
_SECRET_KEY = re.compile(
    r"token|secret|password|authori[sz]ation|signature|credential|api[_-]?key", re.I
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def sidecar_path(mp4: Path) -> Path:
    """``city.mp4`` → ``city.mp4.json``."""
    return mp4.with_name(mp4.name + SUFFIX)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def scrub(value: Any) -> Any:
    """A JSON value with URL query strings/fragments removed and secret-named keys dropped."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str) and _URL.match(value):
        parts = urlsplit(value)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return value


def prompts_between(
    session_id: str, after: float | None, until: float, directory: Path | None = None
) -> list[str]:
    """What the user typed in ``session_id`` after ``after`` (exclusive) up to ``until``."""
    return [
        e.text
        for e in Transcript(session_id, directory).load()
        if e.role == "user" and (after is None or e.at > after) and e.at <= until
    ]


def previous_export_time(created_at: float, session_id: str, others: Iterable[Any]) -> float | None:
    """When the export before this one (same session) was submitted, if any."""
    earlier = [
        j.created_at
        for j in others
        if getattr(j, "session_id", None) == session_id and 0 < j.created_at < created_at
    ]
    return max(earlier, default=None)


def build(
    mp4: Path,
    *,
    session_id: str,
    render_id: str,
    title: str | None,
    resolution: str | None,
    created_at: float,
    prompts: list[str],
    draft: Mapping[str, Any] | None,
    credits_spent: int | None = None,
) -> dict[str, Any]:
    """The sidecar's content for a downloaded ``mp4`` (reads and probes the file)."""
    from artgen_tui.core.imaging import MediaError, probe_video  # PyAV/Pillow only when needed

    stat = mp4.stat()
    width = height = None
    duration = None
    try:
        info = probe_video(mp4)
        width, height, duration = info.width, info.height, info.duration_s
    except MediaError as exc:
        log.info("sidecar: %s", exc)
    return {
        "schema": SCHEMA,
        "file": mp4.name,
        "title": title,
        "session_id": session_id,
        "render_id": render_id,
        "prompts": prompts,
        "draft": scrub(dict(draft)) if draft is not None else None,
        "resolution": resolution or (f"{min(width, height)}p" if width and height else None),
        "width": width,
        "height": height,
        "duration_s": round(duration, 3) if duration is not None else None,
        "credits_spent": credits_spent,
        "size": stat.st_size,
        "sha256": sha256_file(mp4),
        "app_version": __version__,
        "created_at": created_at,
        "downloaded_at": stat.st_mtime,
        "written_at": time.time(),
    }


def write(mp4: Path, data: Mapping[str, Any]) -> Path:
    target = sidecar_path(mp4)
    paths.atomic_write_json(target, scrub(dict(data)), private_dir=False)
    return target


def write_for_job(
    job: Any,
    mp4: Path,
    *,
    journal: Iterable[Any] = (),
    draft: Mapping[str, Any] | None = None,
    transcripts: Path | None = None,
    prompts: list[str] | None = None,
) -> Path | None:
    """Write the sidecar for a finished download of export ``job``; never raises (a sidecar is
    a nicety: the download itself succeeded), returns its path or ``None``. ``prompts``: what
    made it, when known (a re-export's are its source's); else read from the transcript."""
    try:
        if prompts is None:
            after = previous_export_time(job.created_at, job.session_id, journal)
            until = job.created_at or time.time()
            prompts = prompts_between(job.session_id, after, until, transcripts)
        data = build(
            mp4,
            session_id=job.session_id,
            render_id=job.id,
            title=job.title,
            resolution=job.resolution,
            created_at=job.created_at,
            prompts=prompts,
            draft=draft,
            credits_spent=_credits(getattr(job, "credits_spent", None)),
        )
        source = getattr(job, "source", None)
        if isinstance(source, str) and source:
            data["reexport_of"] = Path(source).name
        return write(mp4, data)
    except (OSError, ValueError, TypeError) as exc:
        log.warning("could not write the sidecar of %s: %s", mp4.name, exc)
        return None


def _credits(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def read(mp4: Path) -> dict[str, Any] | None:
    """The sidecar of ``mp4`` as a dict, or ``None`` when missing or not a JSON object."""
    raw = paths.read_json(sidecar_path(mp4))
    return raw if isinstance(raw, dict) else None
