"""Per-frame composition: the active video segment's picture, scaled into a yuv420p frame
(dissolving from the previous segment at a cut), then the titles on top.

Scaling and the RGB → YUV conversion happen in one swscale call, so procedural art can be
computed at a reduced size and only the titles are drawn at full resolution.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
from av.video.plane import VideoPlane
from av.video.reformatter import VideoReformatter

from artgen_tui.local.art.output import OutputSpec
from artgen_tui.local.art.sources import (
    GeneratedSource,
    ImageSource,
    Picture,
    Source,
    VideoSource,
)
from artgen_tui.local.art.spec import DraftSpec, VideoItem, stable_seed
from artgen_tui.local.art.text import TitleLayer

log = logging.getLogger(__name__)

CROSSFADE_MS = 400
"""Adjacent video segments dissolve into each other over this long (at most half of either)."""


def to_yuv(
    picture: Picture, width: int, height: int, scaler: VideoReformatter | None = None
) -> av.VideoFrame:
    """Scale (bicubic, or nearest for pixel art) and convert to a yuv420p frame.

    Pass the same ``scaler`` for every frame of a render: it keeps swscale's context (and its
    filter tables) instead of building a new one per frame.
    """
    frame = _rgb_frame(picture.rgb)
    interp = "POINT" if picture.nearest else "BICUBIC"
    if scaler is None:
        return frame.reformat(width=width, height=height, format="yuv420p", interpolation=interp)
    return scaler.reformat(
        frame, width=width, height=height, format="yuv420p", interpolation=interp
    )


def _rgb_frame(rgb: np.ndarray) -> av.VideoFrame:
    """An RGB frame of ``rgb`` (h, w, 3): planar (gbrp) when it is a view of planes."""
    planes = rgb.transpose(2, 0, 1)
    if not planes.flags.c_contiguous:
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], "gbrp")
    for plane, channel in zip(frame.planes, (1, 2, 0), strict=True):
        plane_array(plane)[:] = planes[channel]
    return frame


def plane_array(plane: VideoPlane) -> np.ndarray:
    """A writable 2-D uint8 view of a frame's plane (rows may be padded to ``line_size``)."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    view: np.ndarray = rows[:, : plane.width]
    return view


def resolve_asset(src: str, assets: Mapping[str, Path]) -> Path | None:
    """The local file the render request supplied for ``src``, if it exists.

    Only files handed over in ``assets`` are read, never paths named inside the draft.
    """
    raw = assets.get(src) if src else None
    if not isinstance(raw, str | Path):
        return None
    path = Path(raw)
    return path if path.is_file() else None


class Compositor:
    """Builds each output frame; opens a segment's source when it starts, closes it after."""

    def __init__(self, spec: DraftSpec, out: OutputSpec, assets: Mapping[str, Path]) -> None:
        self._spec = spec
        self._w, self._h = out.width, out.height
        self._assets = assets
        self._black = Picture(np.zeros((out.height // 4 or 1, out.width // 4 or 1, 3), np.uint8))
        self._titles = [TitleLayer(t, out.width, out.height) for t in spec.titles]
        self._sources: dict[int, Source] = {}
        self._scaler = VideoReformatter()
        self.fallbacks: list[str] = []

    def _active(self, t_ms: float) -> int | None:
        found = None
        for i, item in enumerate(self._spec.video):
            if item.start_ms <= t_ms < item.end_ms:
                found = i  # later segments draw over earlier ones
        return found

    def _open(self, item: VideoItem) -> Source:
        if item.kind in ("image", "video"):
            path = resolve_asset(item.src, self._assets)
            try:
                if path is None:
                    raise FileNotFoundError(f"no local file for {item.src or item.label!r}")
                if item.kind == "image":
                    seed = stable_seed(item.key, item.seed)
                    return ImageSource(path, self._w, self._h, seed, item.duration_ms / 1000)
                return VideoSource(path, self._w, self._h)
            except Exception as exc:  # any unreadable asset becomes generated art
                log.warning(
                    "Rendering generated art for %s segment %s: %s", item.kind, item.key, exc
                )
                self.fallbacks.append(item.key)
            item = replace(item, kind="generated", prompt=item.prompt or item.label or item.kind)
        return GeneratedSource(item, self._w, self._h)

    def _source(self, index: int, keep: int | None = None) -> Source:
        src = self._sources.get(index)
        if src is None:
            for old in [k for k in self._sources if k not in (index, keep)]:
                self._sources.pop(old).close()
            src = self._sources[index] = self._open(self._spec.video[index])
        return src

    def _picture(self, index: int, t: float, keep: int | None = None) -> Picture:
        item = self._spec.video[index]
        local = t - item.start_ms / 1000
        try:
            return self._source(index, keep).frame(local)
        except Exception as exc:  # a source that breaks mid-way continues as generated art
            log.warning("Segment %s failed at %.2fs (%s); using generated art", item.key, t, exc)
            broken = self._sources.pop(index, None)
            if broken is not None:
                broken.close()
            fallback = replace(item, kind="generated", prompt=item.prompt or item.label)
            self._sources[index] = GeneratedSource(fallback, self._w, self._h)
            self.fallbacks.append(item.key)
            return self._sources[index].frame(local)

    def _previous(self, index: int) -> int | None:
        """The segment that ends where ``index`` starts (within a frame), for a crossfade."""
        start = self._spec.video[index].start_ms
        found = None
        for j, item in enumerate(self._spec.video):
            if j != index and item.start_ms < start and abs(item.end_ms - start) <= 50:
                found = j
        return found

    def _video_frame(self, t: float) -> av.VideoFrame:
        t_ms = t * 1000
        index = self._active(t_ms)
        if index is None:
            return to_yuv(self._black, self._w, self._h, self._scaler)
        prev = self._previous(index)
        item = self._spec.video[index]
        if prev is not None:
            before = self._spec.video[prev]
            fade = min(CROSSFADE_MS, item.duration_ms / 2, before.duration_ms / 2)
            into = t_ms - item.start_ms
            if 0 <= into < fade:
                w = into / fade
                w = w * w * (3 - 2 * w)
                a = to_yuv(
                    self._picture(prev, t, keep=index), self._w, self._h, self._scaler
                ).to_ndarray()
                b = to_yuv(
                    self._picture(index, t, keep=prev), self._w, self._h, self._scaler
                ).to_ndarray()
                k = np.uint16(round(w * 256))
                mixed = (a.astype(np.uint16) * (256 - k) + b.astype(np.uint16) * k + 128) >> 8
                return av.VideoFrame.from_ndarray(mixed.astype(np.uint8), format="yuv420p")
        return to_yuv(self._picture(index, t), self._w, self._h, self._scaler)

    def frame(self, t: float) -> av.VideoFrame:
        """The finished yuv420p output frame at ``t`` seconds."""
        frame = self._video_frame(t)
        t_ms = t * 1000
        active = [layer for layer in self._titles if layer.opacity(t_ms) > 0]
        if not active:
            return frame
        y, u, v = (plane_array(plane) for plane in frame.planes)
        for layer in active:
            layer.blend_planes(y, u, v, t_ms)
        return frame

    def close(self) -> None:
        for src in self._sources.values():
            src.close()
        self._sources.clear()
