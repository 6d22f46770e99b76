"""Output size, frame rate and encoder quality from the render request, canvas and draft."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_FPS = 1920, 1080, 24
MIN_SIDE, MAX_SIDE = 16, 3840
MIN_FPS, MAX_FPS = 1, 60
CRF_BY_QUALITY = {"high": 21, "medium": 23, "standard": 23, "low": 28, "draft": 30, "preview": 30}
DEFAULT_CRF = 23
_ASPECT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:x/×]\s*(\d+(?:\.\d+)?)\s*$")
_RES_RE = re.compile(r"^\s*(\d{2,4})\s*p?\s*$", re.IGNORECASE)
_NAMED_RES = {
    "sd": 480,
    "hd": 720,
    "fhd": 1080,
    "fullhd": 1080,
    "2k": 1440,
    "4k": 2160,
    "uhd": 2160,
}


@dataclass(frozen=True)
class OutputSpec:
    width: int
    height: int
    fps: int
    crf: int


def _pos(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        f = float(value)
    except ValueError:
        return None
    return f if math.isfinite(f) and f > 0 else None


def parse_aspect(value: Any) -> float | None:
    """``"16:9"`` → 1.777…; also accepts ``"9x16"``, ``"1/1"`` and plain numbers."""
    if isinstance(value, str):
        m = _ASPECT_RE.match(value)
        if m:
            w, h = float(m.group(1)), float(m.group(2))
            return w / h if w > 0 and h > 0 else None
    ratio = _pos(value)
    return ratio if ratio is not None and 0.1 <= ratio <= 10 else None


def parse_resolution(value: Any) -> int | None:
    """``"720p"`` → 720 (the short side)."""
    if isinstance(value, str):
        named = _NAMED_RES.get(value.strip().lower())
        if named:
            return named
        m = _RES_RE.match(value)
        if m:
            return int(m.group(1))
        return None
    v = _pos(value)
    return int(v) if v is not None else None


def _even(v: float) -> int:
    return max(MIN_SIDE, min(MAX_SIDE, 2 * round(v / 2)))


def _size_from(src: Mapping[str, Any]) -> tuple[float, float] | None:
    w, h = _pos(src.get("width")), _pos(src.get("height"))
    return (w, h) if w is not None and h is not None else None


def _shape(short: float, aspect: float) -> tuple[float, float]:
    """Width and height for a short side and an aspect ratio."""
    return (short * aspect, short) if aspect >= 1 else (short, short / aspect)


def _fps_from(src: Mapping[str, Any]) -> int | None:
    f = _pos(src.get("fps", src.get("frame_rate")))
    return None if f is None else max(MIN_FPS, min(MAX_FPS, round(f)))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def resolve_output(
    output: Mapping[str, Any] | None,
    canvas: Mapping[str, Any] | None,
    meta: Mapping[str, Any] | None,
) -> OutputSpec:
    """Pick size and fps by precedence: ``output`` → ``canvas`` → draft ``m`` → 1920×1080 @ 24.

    A ``resolution`` applies to the short side, so "720p" is 1280×720 at 16:9, 720×1280 at 9:16
    and 720×720 at 1:1. Dimensions are always even (yuv420p needs it).
    """
    out, cv, m = _mapping(output), _mapping(canvas), _mapping(meta)

    size: tuple[float, float] | None = None
    aspect: float | None = None
    for src, akey in ((out, "aspect_ratio"), (cv, "aspect_ratio"), (m, "aspect")):
        size = _size_from(src)
        aspect = parse_aspect(src.get(akey, src.get("aspect")))
        if size is not None or aspect is not None:
            break
    if aspect is None and size is not None:
        aspect = size[0] / size[1]
    aspect = aspect if aspect is not None and 0.1 <= aspect <= 10 else 16 / 9

    short = parse_resolution(out.get("resolution"))
    if short is not None:
        w, h = _shape(max(MIN_SIDE, min(MAX_SIDE, short)), aspect)
    elif size is not None:
        w, h = size
        if abs(w / h - aspect) > 0.01:
            # The canvas names an aspect its size disagrees with: keep the short side, fix the shape.
            w, h = _shape(min(w, h), aspect)
    else:
        w, h = _shape(DEFAULT_HEIGHT, aspect)
    scale = min(1.0, MAX_SIDE / max(w, h))
    width, height = _even(w * scale), _even(h * scale)

    fps = _fps_from(out) or _fps_from(cv) or _fps_from(m) or DEFAULT_FPS
    quality = out.get("quality")
    crf = (
        CRF_BY_QUALITY.get(quality.lower(), DEFAULT_CRF)
        if isinstance(quality, str)
        else DEFAULT_CRF
    )
    return OutputSpec(width, height, fps, crf)
