"""A tolerant reading of a draft into typed render items.

Drafts come from our own scripted agent but may be edited by hand or by other clients, so
every field is optional and odd values fall back to something sensible instead of raising.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DURATION_MS = 600_000
"""Longest timeline the local renderer accepts (10 minutes); longer drafts are cut."""

VIDEO_KINDS = frozenset({"generated", "image", "video"})


@dataclass(frozen=True)
class VideoItem:
    kind: str
    start_ms: int
    end_ms: int
    prompt: str
    style: str
    seed: int
    src: str
    label: str
    key: str
    volume: float = 1.0

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class TitleItem:
    text: str
    start_ms: int
    end_ms: int
    position: str
    fade_ms: int


@dataclass(frozen=True)
class BgmItem:
    start_ms: int
    end_ms: int
    mood: str
    label: str
    volume: float
    fade_ms: int
    seed: int


@dataclass(frozen=True)
class DraftSpec:
    duration_ms: int
    video: tuple[VideoItem, ...]
    titles: tuple[TitleItem, ...]
    bgm: tuple[BgmItem, ...]
    meta: Mapping[str, Any]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _ms(seg: Mapping[str, Any], keys: tuple[str, ...], sec_keys: tuple[str, ...]) -> int | None:
    for key in keys:
        v = _num(seg.get(key))
        if v is not None:
            return round(v)
    for key in sec_keys:
        v = _num(seg.get(key))
        if v is not None:
            return round(v * 1000)
    return None


def _text(seg: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        v = seg.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
    return ""


def as_int(value: Any, default: int) -> int:
    v = _num(value)
    return default if v is None else int(v)


def stable_seed(*parts: object) -> int:
    """A seed from text that is the same in every process (unlike ``hash``)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def _span(seg: Mapping[str, Any]) -> tuple[int, int] | None:
    start = _ms(seg, ("start_ms", "start", "st", "s"), ("start_s", "start_sec"))
    start = max(0, start or 0)
    dur = _ms(seg, ("duration_ms", "duration", "dur", "du"), ("duration_s", "duration_sec"))
    if dur is None:
        end = _ms(seg, ("end_ms", "end", "e"), ("end_s", "end_sec"))
        dur = None if end is None else end - start
    if dur is None or dur <= 0:
        return None
    start = min(start, MAX_DURATION_MS)
    return start, min(start + dur, MAX_DURATION_MS)


def _looks_visual(seg: Mapping[str, Any]) -> bool:
    """A segment on a track of unknown type that names a picture (prompt, style or file)."""
    return bool(_text(seg, "prompt", "style", "src", "url"))


def _segments(track: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sg = track.get("sg", track.get("segments"))
    if not isinstance(sg, list):
        return []
    return [s for s in sg if isinstance(s, Mapping)]


def parse_draft(draft: Any) -> DraftSpec:
    """Read a draft; raise ``ValueError`` only when nothing at all could be rendered."""
    if not isinstance(draft, Mapping):
        raise ValueError("The draft must be a JSON object with tracks; nothing to render.")
    meta_raw = draft.get("m")
    meta: Mapping[str, Any] = meta_raw if isinstance(meta_raw, Mapping) else {}
    m_prompt = _text(meta, "prompt", "title")
    m_style = _text(meta, "style")
    m_seed = as_int(meta.get("seed"), 0)
    tracks_raw = draft.get("t", draft.get("tracks"))
    tracks = (
        [t for t in tracks_raw if isinstance(t, Mapping)] if isinstance(tracks_raw, list) else []
    )

    video: list[VideoItem] = []
    titles: list[TitleItem] = []
    bgm: list[BgmItem] = []
    for t_index, track in enumerate(tracks):
        tt = as_int(track.get("tt", track.get("type")), -1)
        for s_index, seg in enumerate(_segments(track)):
            span = _span(seg)
            if span is None:
                continue
            start, end = span
            kind = _text(seg, "kind", "type").lower()
            fade = _num(seg.get("fade_ms"))
            volume = _num(seg.get("volume", seg.get("vol")))
            volume = 1.0 if volume is None else min(max(volume, 0.0), 2.0)
            key = _text(seg, "id") or f"{t_index}.{s_index}"
            if tt == 7 or kind in ("title", "text", "caption", "subtitle"):
                text = _text(seg, "text", "title", "name", "label")
                if text:
                    pos = _text(seg, "position", "pos").lower() or "center"
                    fade_ms = round(fade) if fade is not None and fade >= 0 else 400
                    titles.append(TitleItem(text, start, end, pos, fade_ms))
            elif tt == 1 or kind in ("bgm", "audio", "music"):
                fade_ms = round(fade) if fade is not None and fade >= 0 else 1500
                bgm.append(
                    BgmItem(
                        start,
                        end,
                        (_text(seg, "mood", "style") or m_prompt).lower() or "warm",
                        _text(seg, "label", "name", "prompt"),
                        volume,
                        fade_ms,
                        as_int(seg.get("seed"), stable_seed(key)),
                    )
                )
            elif tt == 0 or kind in VIDEO_KINDS or _looks_visual(seg):
                if kind not in VIDEO_KINDS:
                    kind = "generated"
                prompt = _text(seg, "prompt", "label", "name") or m_prompt
                video.append(
                    VideoItem(
                        kind=kind,
                        start_ms=start,
                        end_ms=end,
                        prompt=prompt,
                        style=(_text(seg, "style") or m_style).lower(),
                        seed=as_int(seg.get("seed"), m_seed),
                        src=_text(seg, "src", "url", "source"),
                        label=_text(seg, "label", "name"),
                        key=key,
                        volume=volume,
                    )
                )

    ends = [i.end_ms for i in video] + [i.end_ms for i in titles] + [i.end_ms for i in bgm]
    # ``d`` may add a silent tail; a stale, shorter ``d`` never cuts segments off.
    d = _num(draft.get("d"))
    duration = max(round(d) if d is not None and d > 0 else 0, max(ends, default=0))
    duration = min(duration, MAX_DURATION_MS)
    if duration <= 0 or not ends:
        raise ValueError(
            "The draft is empty: it has no video, audio or text segment with a positive "
            "duration. Add a segment before rendering."
        )
    video.sort(key=lambda i: i.start_ms)
    return DraftSpec(duration, tuple(video), tuple(titles), tuple(bgm), meta)
