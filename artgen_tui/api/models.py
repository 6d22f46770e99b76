"""Typed views of the service's JSON. Every model tolerates unknown fields and missing optionals.

The draft uses the service's compact keys: ``t`` tracks, ``tt`` track type, ``sg`` segments,
``d`` duration in ms, ``m`` metadata. Segment internals are not documented, so a segment keeps
every key it was sent (``extra="allow"``) and :mod:`artgen_tui.core.timeline` reads the variants.

Numbers are read totally: ``1e999``, ``Infinity``, NaN and 400-digit integers never raise; figures
shown to people are clamped to sane ranges (credits never negative or absurd, durations finite and
non-negative, progress 0–100). Strings meant only for display (a render's error) are cleaned with
:func:`~artgen_tui.api.untrusted.clean`; identifiers are kept as sent (they go back to the server)
and are cleaned where they are drawn.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from artgen_tui.api.untrusted import MAX_COUNT, PARSE_ERRORS, clean, count, finite

DURATION_MAX_MS = 7 * 24 * 3600 * 1000.0
"""A week: any longer draft duration is absurd and clamped."""


# defer_build: each model's validator is built when it first validates, not on import (a
# headless command or the app's connect uses a few of them; building all took ~5 ms).


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class TrackType(IntEnum):
    VIDEO = 0
    AUDIO = 1
    TEXT = 7


class Token(_Model):
    token: str = Field(repr=False)
    user_id: str | None = None
    expires_at: datetime | None = None
    credits: int | None = None

    @field_validator("expires_at", mode="before")
    @classmethod
    def _expiry(cls, v: Any) -> Any:
        """An expiry that cannot be read is no expiry (the token is renewed when refused)."""
        if isinstance(v, datetime) or v is None:
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v if finite(v, 0, 10**11) == v else None
        return v if isinstance(v, str) and len(v) < 64 else None

    @field_validator("credits", mode="before")
    @classmethod
    def _credits(cls, v: Any) -> Any:
        return None if v is None else count(v)


class SessionInfo(_Model):
    task_id: str | None = None
    session_id: str
    user_id: str | None = None

    @field_validator("session_id", mode="before")
    @classmethod
    def _as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class Credits(_Model):
    available: int = 0
    frozen: int = 0
    total: int = 0

    @field_validator("available", "frozen", "total", mode="before")
    @classmethod
    def _figure(cls, v: Any) -> int:
        """Never negative, never absurd, never a crash: ``-5`` → 0, ``1e999`` → the cap.

        Something that is no number at all (``"lots"``, NaN) is refused, not read as 0.
        """
        number = finite(v, 0, MAX_COUNT)
        if number is None:
            raise ValueError("not a number")
        return int(number)


class UploadedFile(_Model):
    filename: str
    file_type: str | None = None
    cdn_url: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    hash: str | None = None

    @field_validator("duration", "fps", mode="before")
    @classmethod
    def _measure(cls, v: Any) -> Any:
        return finite(v, 0.0, 10.0**7)

    @field_validator("width", "height", mode="before")
    @classmethod
    def _pixels(cls, v: Any) -> Any:
        return None if v is None else count(v, high=10**6)


class UploadResult(_Model):
    files: list[UploadedFile] = Field(default_factory=list)
    session_state_applied: bool | None = None


class Segment(BaseModel):
    """One timeline segment. Opaque: every key the server sent is kept and passed back unchanged."""

    model_config = ConfigDict(extra="allow", defer_build=True)


class Track(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    tt: int = -1
    sg: list[Segment] = Field(default_factory=list)

    @field_validator("tt", mode="before")
    @classmethod
    def _track_type(cls, v: Any) -> Any:
        """An unknown or malformed type reads as -1 ("other") instead of failing the whole state."""
        return _int_or(v, -1)

    @field_validator("sg", mode="before")
    @classmethod
    def _segments(cls, v: Any) -> Any:
        if v is None:
            return []
        return [s for s in v if isinstance(s, dict)] if isinstance(v, list) else []


class Draft(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    t: list[Track] = Field(default_factory=list)
    d: int | float | None = None
    m: dict[str, Any] = Field(default_factory=dict)

    @field_validator("d", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        number = finite(v, 0.0, DURATION_MAX_MS)
        if number is None:
            return None
        return v if isinstance(v, int | float) and v == number else number

    @field_validator("t", mode="before")
    @classmethod
    def _tracks(cls, v: Any) -> Any:
        if v is None:
            return []
        return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []

    @field_validator("m", mode="before")
    @classmethod
    def _meta(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}

    def to_wire(self, *, exclude_unset: bool = True) -> dict[str, Any]:
        """The draft as plain data, every key as received: what an export sends back.

        Like ``model_dump(mode="json", exclude_unset=...)`` but it never fails on a deeply nested
        segment (pydantic stops serialising at about 250 levels; the values here came from JSON,
        so they need no conversion).
        """

        def own(model: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
            set_ = model.model_fields_set
            out = {n: getattr(model, n) for n in names if not exclude_unset or n in set_}
            out.update(model.model_extra or {})
            return out

        out = own(self, ("t", "d", "m"))
        if "t" in out:
            out["t"] = tracks = []
            for track in self.t:
                data = own(track, ("tt", "sg"))
                if "sg" in data:
                    data["sg"] = [dict(seg.model_extra or {}) for seg in track.sg]
                tracks.append(data)
        return out

    @property
    def ready_for_export(self) -> bool:
        """The service's rule: at least one track with a non-empty segment list."""
        return any(track.sg for track in self.t)


class StateBody(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    draft: Draft | None = None
    video_infos: list[dict[str, Any]] = Field(default_factory=list)
    canvas_config: dict[str, Any] = Field(default_factory=dict)
    video_analyses: Any = None
    generated_media: Any = None

    @field_validator("draft", mode="before")
    @classmethod
    def _draft(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else None

    @field_validator("video_infos", mode="before")
    @classmethod
    def _infos(cls, v: Any) -> Any:
        return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []

    @field_validator("canvas_config", mode="before")
    @classmethod
    def _canvas(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}


class SessionState(_Model):
    session_id: str | None = None
    task_id: str | None = None
    task_name: str | None = None
    user_id: str | None = None
    state: StateBody = Field(default_factory=StateBody)

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}

    @property
    def draft(self) -> Draft:
        return self.state.draft or Draft()


RenderStatus = Literal["pending", "processing", "completed", "failed", "cancelled", "unknown"]


class RenderJob(_Model):
    """A render as seen by a poll; built from either documented shape (A or B)."""

    id: str
    status: RenderStatus = "unknown"
    progress: int = 0
    output_url: str | None = None
    error: str | None = None
    created_at: float | None = None
    completed_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


_STATUS_ALIASES = {
    "queued": "pending",
    "waiting": "pending",
    "running": "processing",
    "rendering": "processing",
    "in_progress": "processing",
    "done": "completed",
    "succeeded": "completed",
    "success": "completed",
    "finished": "completed",
    "error": "failed",
    "canceled": "cancelled",
}


def parse_render_job(body: Any, fallback_id: str | None = None) -> RenderJob:
    """Read a render submit/poll response in shape A (``success``/``data``) or B (top level).

    Raises ``ValueError`` when no id can be found anywhere.
    """
    if not isinstance(body, dict):
        raise ValueError("render response is not an object")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    assert isinstance(data, dict)

    def pick(*keys: str) -> Any:
        for src in (data, body):
            for key in keys:
                if src.get(key) is not None:
                    return src[key]
        return None

    job_id = pick("id", "taskId", "render_id", "renderId")
    if not isinstance(job_id, str | int) or isinstance(job_id, bool) or len(str(job_id)) > 200:
        job_id = fallback_id
    if not job_id:
        raise ValueError("render response has no id")
    raw = pick("status")
    raw_status = raw.lower() if isinstance(raw, str) else "unknown"
    status = _STATUS_ALIASES.get(raw_status, raw_status)
    if status not in ("pending", "processing", "completed", "failed", "cancelled"):
        status = "unknown"
    url = data.get("outputUrl") or data.get("output_url")
    for src in (body, data):
        out = src.get("output")
        if not url and isinstance(out, dict) and isinstance(out.get("url"), str):
            url = out["url"]
    if not url:
        url = body.get("outputUrl")
    progress = count(pick("progress"), high=100)
    err = pick("error", "errorMessage", "error_message")
    return RenderJob(
        id=str(job_id),
        status=status,
        progress=progress,
        output_url=url if isinstance(url, str) else None,
        error=clean(err) if err is not None else None,
        created_at=_num(pick("createdAt", "created_at")),
        completed_at=_num(pick("completedAt", "completed_at")),
    )


def _int_or(v: Any, default: int) -> int:
    if isinstance(v, bool):
        return default
    try:
        return int(v)
    except PARSE_ERRORS:
        return default


def _num(v: Any) -> float | None:
    """A timestamp: finite and not before 1970, else ``None``."""
    return finite(v, 0.0, 10.0**11)
