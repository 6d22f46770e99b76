"""Media facts about an uploaded file: duration, size and frame rate (PyAV for audio/video, Pillow
for images). Blocking; call it from a thread."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any


class ProbeError(Exception):
    """The file could not be read as the media type its extension claims."""


def probe(path: Path, kind: str) -> dict[str, Any]:
    """``{"duration", "width", "height", "fps"}`` (missing facts are ``None``)."""
    if kind == "image":
        return _probe_image(path)
    return _probe_av(path, kind)


def _probe_image(path: Path) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
            frames = int(getattr(img, "n_frames", 1) or 1)
            duration = None
            if frames > 1:
                total = 0
                for i in range(frames):
                    img.seek(i)
                    total += int(img.info.get("duration", 0) or 0)
                duration = round(total / 1000, 3) if total else None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ProbeError(f"{path.name} is not a readable image") from exc
    return {"duration": duration, "width": width, "height": height, "fps": None}


def _probe_av(path: Path, kind: str) -> dict[str, Any]:
    import av

    try:
        with av.open(str(path)) as container:
            duration = None
            if container.duration is not None:
                duration = container.duration / 1_000_000
            width = height = None
            fps: float | None = None
            if container.streams.video:
                stream = container.streams.video[0]
                width, height = stream.codec_context.width, stream.codec_context.height
                rate = stream.average_rate or stream.guessed_rate
                fps = round(float(Fraction(rate)), 3) if rate else None
                if duration is None and stream.duration is not None and stream.time_base:
                    duration = float(stream.duration * stream.time_base)
            elif kind == "video":
                raise ProbeError(f"{path.name} has no video stream")
            if kind == "audio" and not container.streams.audio:
                raise ProbeError(f"{path.name} has no audio stream")
    except ProbeError:
        raise
    except Exception as exc:  # PyAV raises many error types for unreadable files
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ProbeError(f"{path.name} is not a readable {kind} file ({reason})") from exc
    return {
        "duration": round(duration, 3) if duration is not None else None,
        "width": width,
        "height": height,
        "fps": fps,
    }
