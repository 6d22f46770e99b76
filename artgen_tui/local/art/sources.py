"""Frame sources for video segments: generated art, Ken-Burns stills and decoded clips.

Every source returns a :class:`Picture` (RGB uint8 with the output's aspect, at the output
size or a reduced working size) for a time in seconds since the segment start, and is
closed when its segment is over.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import av
import numpy as np
from PIL import Image, ImageOps

from artgen_tui.local.art.fields import vignette
from artgen_tui.local.art.palettes import palette_for, words
from artgen_tui.local.art.scene import SceneContext
from artgen_tui.local.art.spec import VideoItem, stable_seed
from artgen_tui.local.art.styles import SCENES, pick_style, speed_for
from artgen_tui.local.art.weather import weather_for

_GRAIN_FRAMES = 8
_GRAIN_FPS = 24


class Picture(NamedTuple):
    """RGB uint8 pixels (h, w, 3) with the output's aspect; the encoder path scales them to size.

    Generated art gives a view of planes (3, h, w), which go to the scaler as they are.
    """

    rgb: np.ndarray
    nearest: bool = False


class Source(Protocol):
    def frame(self, t: float) -> Picture: ...

    def close(self) -> None: ...


def _work_size(width: int, height: int, short_at_1080: int) -> tuple[int, int]:
    """The size a scene is computed at: its ``work_short`` for a 1080-line output, the same
    fraction of the frame below that (so every resolution gets the same look and a smaller
    output costs less), never more than the output itself."""
    out_short = min(width, height)
    short = max(min(out_short, 48), short_at_1080 * min(1.0, out_short / 1080))
    scale = min(1.0, short / out_short)
    return max(8, round(width * scale)), max(8, round(height * scale))


def letterbox_rows(width: int, height: int) -> int:
    """Bar height for the cinematic 2.39:1 look (a thinner band on tall frames)."""
    if width >= height:
        return max(0, round((height - width / 2.39) / 2)) if width / height < 2.3 else 0
    return round(height * 0.06)


class GeneratedSource:
    """Procedural art for a prompt + style + seed (see :mod:`artgen_tui.local.art.styles`)."""

    def __init__(self, item: VideoItem, width: int, height: int) -> None:
        self.width, self.height = width, height
        prompt = item.prompt or item.label
        self.style = pick_style(item.style, prompt)
        cls = SCENES[self.style]
        ww, wh = _work_size(width, height, cls.work_short)
        rng = np.random.default_rng([item.seed & 0xFFFFFFFF, stable_seed(prompt, self.style)])
        # Style words lead the palette ("noir", "pastel", "vaporwave"…), the prompt fills in.
        palette = palette_for(f"{item.style} {prompt}", item.seed, style_hint=self.style)
        ctx = SceneContext(
            ww,
            wh,
            palette,
            rng,
            frozenset(words(f"{item.style} {prompt}")),
            item.duration_ms / 1000,
            speed_for(prompt),
        )
        self.scene = cls(ctx)
        self.weather = weather_for(ctx.words, ww, wh, item.seed) if not cls.no_weather else None
        fin = self.scene.finish
        self.bars = round(letterbox_rows(width, height) * wh / height) if fin.letterbox else 0
        top, bottom = self.bars, wh - self.bars
        if self.bars:
            self.scene.bottom = bottom  # rows under the lower bar need not be drawn
        # Finishing in 0–255 units on the rows between the bars (the bars stay black): one
        # multiply (vignette), one add (grain), one clip.
        gain = vignette(ww, wh, fin.vignette) if fin.vignette else np.ones((wh, ww, 1))
        self.gain = (gain[top:bottom, :, 0] * 255).astype(np.float32)
        # Grain shows in the mid-tones, as on film: its amplitude is 4·l·(1 − l) of the green
        # channel l (0–1), i.e. y·(255 − y)·4/255² for y in 0–255; the constant is folded in.
        self.grain = (
            [
                (rng.standard_normal((wh, ww, 1)) * (fin.grain * 255 * 4 / 255**2)).astype(
                    np.float32
                )[top:bottom, :, 0]
                for _ in range(_GRAIN_FRAMES)
            ]
            if fin.grain
            else None
        )
        self.nearest = fin.nearest
        self._shape = (3, wh, ww)

    def frame(self, t: float) -> Picture:
        img = np.asarray(self.scene.render(t), dtype=np.float32)  # fresh planes, ours to modify
        if self.weather is not None:
            self.weather.draw(img.transpose(1, 2, 0), t)  # drawn through an (h, w, 3) view
        band = img[:, self.bars : img.shape[1] - self.bars]
        band *= self.gain
        if self.grain is not None:
            # Leaving near-black areas clean also keeps the encoder from spending bits (and
            # time) on noise in the shadows.
            y = band[1]
            amount = np.subtract(255, y)
            amount *= y
            amount *= self.grain[int(t * _GRAIN_FPS) % _GRAIN_FRAMES]
            band += amount
        np.clip(band, 0, 255, out=band)
        # A new array each frame: the caller may hold on to the picture (crossfades, caching).
        out = (
            np.zeros(self._shape, dtype=np.uint8) if self.bars else np.empty(self._shape, np.uint8)
        )
        np.copyto(out[:, self.bars : self._shape[1] - self.bars], band, casting="unsafe")
        return Picture(out.transpose(1, 2, 0), self.nearest)

    def close(self) -> None:
        pass


class ImageSource:
    """A still image with a slow Ken-Burns zoom and pan, cropped to fill the frame."""

    def __init__(self, path: Path, width: int, height: int, seed: int, duration_s: float) -> None:
        with Image.open(path) as im:
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
        # Cover-crop to the output aspect at a size with headroom for the zoom.
        target = (round(width * 1.35), round(height * 1.35))
        self.img = ImageOps.fit(img, target, Image.Resampling.LANCZOS)
        self.width, self.height = width, height
        rng = np.random.default_rng(seed & 0xFFFFFFFF)
        self.zoom_in = bool(rng.random() < 0.6)
        self.pan = rng.uniform(-1, 1, 2)
        self.duration = max(0.001, duration_s)

    def frame(self, t: float) -> Picture:
        p = min(1.0, max(0.0, t / self.duration))
        p = p * p * (3 - 2 * p)  # ease in/out
        sw, sh = self.img.size
        zoom = 1.15 + 0.12 * (p if self.zoom_in else 1 - p)
        cw, ch = sw / zoom, sh / zoom
        cx = sw / 2 + self.pan[0] * (sw - cw) / 2 * p
        cy = sh / 2 + self.pan[1] * (sh - ch) / 2 * p
        x0, y0 = min(max(0.0, cx - cw / 2), sw - cw), min(max(0.0, cy - ch / 2), sh - ch)
        box = (x0, y0, x0 + cw, y0 + ch)
        return Picture(
            np.asarray(
                self.img.resize((self.width, self.height), Image.Resampling.BILINEAR, box=box)
            )
        )

    def close(self) -> None:
        self.img.close()


class VideoSource:
    """A decoded clip, scaled to fit (letterboxed), looped when shorter than its segment.

    Frames are decoded in order as the segment time advances; each output frame shows the
    latest source frame whose timestamp is not after it.
    """

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.path = path
        self.width, self.height = width, height
        self.container: Any = None
        self.frames: Any = None
        self.start: float | None = None
        self.loop_offset = 0.0
        self.last_local = 0.0
        self.gap = 1 / 24
        self.current: np.ndarray | None = None
        self._open()
        self.pending = self._next()
        if self.pending is None:
            self.close()
            raise ValueError(f"{path.name} has no decodable video frames")

    def _open(self) -> None:
        self.container = av.open(str(self.path))
        stream = self.container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.average_rate:
            self.gap = 1 / float(stream.average_rate)
        self.frames = self.container.decode(stream)
        self.start = None

    def _fit(self, frame: Any) -> np.ndarray:
        fw, fh = frame.width, frame.height
        scale = min(self.width / fw, self.height / fh)
        w = max(2, min(self.width, round(fw * scale)))
        h = max(2, min(self.height, round(fh * scale)))
        rgb: np.ndarray = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
        if (w, h) == (self.width, self.height):
            return rgb
        canvas = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        y0, x0 = (self.height - h) // 2, (self.width - w) // 2
        canvas[y0 : y0 + h, x0 : x0 + w] = rgb
        return canvas

    def _next(self) -> tuple[float, Any] | None:
        """The next decoded frame as (segment time, frame), or None at the end of the clip."""
        try:
            frame = next(self.frames)
        except (StopIteration, av.FFmpegError, ValueError):
            return None
        t = float(frame.time) if frame.time is not None else self.last_local + self.gap
        if self.start is None:
            self.start = t
        self.last_local = max(0.0, t - self.start)
        return self.loop_offset + self.last_local, frame

    def _loop(self) -> tuple[float, Any] | None:
        """Start the clip again after its last frame; a single-frame clip is held instead."""
        if self.last_local <= 0:
            return None
        self.close()
        self.loop_offset += self.last_local + self.gap
        try:
            self._open()
        except (OSError, av.FFmpegError, IndexError):
            return None
        return self._next()

    def frame(self, t: float) -> Picture:
        shown = None
        while self.pending is not None and self.pending[0] <= t + 1e-6:
            shown = self.pending[1]
            self.pending = self._next() or self._loop()
        if shown is not None:
            self.current = self._fit(shown)  # only the frame that is shown gets scaled
        if self.current is None:
            assert self.pending is not None
            self.current = self._fit(self.pending[1])
        return Picture(self.current)

    def close(self) -> None:
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.container.close()
            self.container = None
