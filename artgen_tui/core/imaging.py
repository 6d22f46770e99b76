"""Small pictures of media files: a frame strip of a video, a thumbnail of an image or clip.

Everything here is synchronous and CPU-bound (call it through ``asyncio.to_thread`` from a UI),
returns small RGB Pillow images, and turns every way a file can be broken (missing, truncated, not
a video, no video stream, undecodable) into :class:`MediaError` with a sentence to show. PyAV and
Pillow are imported inside the functions, so importing ``core`` stays light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_STRIP_COUNT = 5
DEFAULT_STRIP_WIDTH = 160
"""Pixel width of each strip frame: ample for half-blocks (1 px per cell) and small sixels."""
MAX_COUNT = 24
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
_MAX_DECODE_AFTER_SEEK = 600
"""Frames decoded forward from a keyframe before settling for the last one seen (GOP bound)."""


class MediaError(Exception):
    """A file that cannot be pictured; ``str()`` is a sentence for the user."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    duration_s: float | None
    fps: float | None

    @property
    def resolution(self) -> str:
        """``"640x360"``."""
        return f"{self.width}x{self.height}"


def _fit(image: Image.Image, width: int) -> Image.Image:
    """RGB, ``width`` pixels wide (never upscaled past 2x), aspect kept."""
    from PIL import Image

    rgb = image.convert("RGB")
    w, h = rgb.size
    width = max(1, min(width, w * 2))
    height = max(1, round(h * width / w))
    return rgb.resize((width, height), Image.Resampling.BILINEAR)


def _open_video(path: Path) -> Any:
    import av

    if not path.is_file():
        raise MediaError(f"{path.name}: no such file.")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"{path.name} is not a readable video ({_why(exc)}).") from exc
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path.name} has no video stream.")
    return container


def _why(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).strip().rstrip(".")


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        value = float(stream.duration * stream.time_base)
        if value > 0 and math.isfinite(value):
            return value
    if container.duration:
        return float(container.duration) / 1_000_000
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate)
    return None


def probe_video(path: Path) -> VideoInfo:
    """Size, duration and frame rate of a video file (headers only, nothing decoded)."""
    import av

    container = _open_video(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else None
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            raise MediaError(f"{path.name} has a video stream with no size.")
        return VideoInfo(int(width), int(height), _duration(container, stream), fps)
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name} could not be probed ({_why(exc)}).") from exc
    finally:
        container.close()


def extract_strip(
    path: Path, count: int = DEFAULT_STRIP_COUNT, width: int = DEFAULT_STRIP_WIDTH
) -> list[Image.Image]:
    """``count`` frames evenly spaced over the video (the middle of each of ``count`` equal
    parts), each ``width`` pixels wide.

    Seeks to the keyframe before each target time and decodes forward to it, so the cost is a
    few GOPs, not the whole file. Fewer frames come back only when the video has fewer frames.
    """
    import av

    count = max(1, min(MAX_COUNT, count))
    container = _open_video(Path(path))
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = _duration(container, stream)
        if not duration or stream.time_base is None:
            frames = _strip_by_decoding_all(container, stream, count, width)
        else:
            frames = _strip_by_seeking(container, stream, duration, count, width)
    except av.FFmpegError as exc:
        raise MediaError(f"{Path(path).name} could not be decoded ({_why(exc)}).") from exc
    finally:
        container.close()
    if not frames:
        raise MediaError(f"{Path(path).name} has no decodable frames.")
    return frames


def _strip_by_seeking(
    container: Any, stream: Any, duration: float, count: int, width: int
) -> list[Image.Image]:
    start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    targets = [start + duration * (i + 0.5) / count for i in range(count)]
    result: list[Image.Image] = []
    for target in targets:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        chosen = None
        for n, frame in enumerate(container.decode(stream)):
            chosen = frame
            if frame.time is None or frame.time + 1e-6 >= target or n >= _MAX_DECODE_AFTER_SEEK:
                break
        if chosen is not None:
            result.append(_fit(chosen.to_image(), width))
    return result


def _strip_by_decoding_all(
    container: Any, stream: Any, count: int, width: int
) -> list[Image.Image]:
    """For streams with no known duration: keep small copies of every frame, then pick."""
    small = [_fit(frame.to_image(), width) for frame in container.decode(stream)]
    if not small:
        return []
    picks = sorted({min(len(small) - 1, int(len(small) * (i + 0.5) / count)) for i in range(count)})
    return [small[i] for i in picks]


def thumbnail(
    path: Path, width: int = DEFAULT_STRIP_WIDTH, at: Literal["first", "middle"] = "middle"
) -> Image.Image:
    """A small picture of an uploaded image or clip: the image itself, or a clip's first or
    middle frame."""
    path = Path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return image_thumbnail(path, width)
    if at == "first":
        import av

        container = _open_video(path)
        try:
            frame = next(container.decode(container.streams.video[0]), None)
        except av.FFmpegError as exc:
            raise MediaError(f"{path.name} could not be decoded ({_why(exc)}).") from exc
        finally:
            container.close()
        if frame is None:
            raise MediaError(f"{path.name} has no decodable frames.")
        return _fit(frame.to_image(), width)
    return extract_strip(path, 1, width)[0]


def image_thumbnail(path: Path, width: int = DEFAULT_STRIP_WIDTH) -> Image.Image:
    """An image file, upright (EXIF orientation applied), ``width`` pixels wide."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            image.draft("RGB", (width * 2, width * 2))
            upright = ImageOps.exif_transpose(image) or image
            return _fit(upright, width)
    except FileNotFoundError as exc:
        raise MediaError(f"{path.name}: no such file.") from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"{path.name} is not a readable image ({_why(exc)}).") from exc
