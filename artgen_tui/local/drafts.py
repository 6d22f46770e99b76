"""Small edits on the local draft shape (docs/draft-format.md), shared by the agent and uploads."""

from __future__ import annotations

import copy
import secrets
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_IDS = {VIDEO: "trk_video", AUDIO: "trk_bgm", TEXT: "trk_text"}
ASPECTS: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:3": (1440, 1080),
}
DEFAULT_FPS = 24
IMAGE_MS = 4000
TITLE_MS = 3000


def new_id(prefix: str = "seg") -> str:
    return f"{prefix}_{secrets.token_hex(3)}"


def clone(draft: Any) -> dict[str, Any]:
    """A deep copy with ``t``, ``d`` and ``m`` present and well-typed."""
    out = copy.deepcopy(draft) if isinstance(draft, dict) else {}
    if not isinstance(out.get("t"), list):
        out["t"] = []
    out["t"] = [t for t in out["t"] if isinstance(t, dict)]
    for trk in out["t"]:
        if not isinstance(trk.get("sg"), list):
            trk["sg"] = []
        trk["sg"] = [s for s in trk["sg"] if isinstance(s, dict)]
    if not isinstance(out.get("m"), dict):
        out["m"] = {}
    if not isinstance(out.get("d"), int | float):
        out["d"] = 0
    return out


def track(draft: dict[str, Any], tt: int, *, create: bool = False) -> dict[str, Any] | None:
    for existing in draft["t"]:
        if isinstance(existing, dict) and existing.get("tt") == tt:
            found: dict[str, Any] = existing
            return found
    if not create:
        return None
    trk = {"tt": tt, "id": TRACK_IDS.get(tt, new_id("trk")), "sg": []}
    draft["t"].append(trk)
    draft["t"].sort(key=lambda t: t.get("tt", 0) if isinstance(t.get("tt"), int) else 99)
    return trk


def segments(draft: dict[str, Any], tt: int) -> list[dict[str, Any]]:
    trk = track(draft, tt)
    return trk["sg"] if trk else []


def _ms(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int | float) and value >= 0 else default


def end_ms(seg: dict[str, Any]) -> int:
    return _ms(seg.get("start_ms")) + _ms(seg.get("duration_ms"))


def relayout(draft: dict[str, Any]) -> dict[str, Any]:
    """Lay video segments end to end, recompute ``d``, stretch BGM to the end, clamp titles.

    With no video the text track sets the length; with neither, BGM keeps its own length.
    """
    start = 0
    for seg in segments(draft, VIDEO):
        seg["start_ms"] = start
        start += _ms(seg.get("duration_ms"), IMAGE_MS)
    text_end = max((end_ms(s) for s in segments(draft, TEXT)), default=0)
    d = start or text_end
    if d:
        for seg in segments(draft, AUDIO):
            if seg.get("kind") == "bgm":
                seg["start_ms"] = 0
                seg["duration_ms"] = d
        for seg in segments(draft, TEXT):
            if end_ms(seg) > d:
                seg["duration_ms"] = max(500, d - _ms(seg.get("start_ms")))
    draft["t"] = [t for t in draft["t"] if t["sg"]]
    draft["d"] = max([d, *(end_ms(s) for t in draft["t"] for s in t["sg"])])
    return draft


def apply_canvas(draft: dict[str, Any], canvas: dict[str, Any]) -> None:
    m = draft["m"]
    m["width"], m["height"] = canvas["width"], canvas["height"]
    m["aspect"] = canvas.get("aspect_ratio", m.get("aspect", "16:9"))
    m.setdefault("fps", canvas.get("fps", DEFAULT_FPS))


def canvas_for(aspect: str, fps: int = DEFAULT_FPS) -> dict[str, Any]:
    width, height = ASPECTS[aspect]
    return {"width": width, "height": height, "aspect_ratio": aspect, "fps": fps}
