"""Draft → H.264/AAC MP4, rendered locally with PyAV, numpy and Pillow.

Frames are produced lazily, a few ahead of the encoder on a helper thread (never all held in
memory), and encoded straight into a temporary file that is renamed onto ``out_path`` only
when the render succeeds.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from artgen_tui.local.art.audio import SAMPLE_RATE, AudioMix, ClipSound, load_clip_audio
from artgen_tui.local.art.compose import Compositor, resolve_asset
from artgen_tui.local.art.output import OutputSpec, resolve_output
from artgen_tui.local.art.pipeline import FramePipeline
from artgen_tui.local.art.soundtrack import Soundtrack
from artgen_tui.local.art.spec import DraftSpec, parse_draft

__all__ = ["RenderCancelled", "RenderInfo", "render_draft"]

PRESET = "veryfast"
X264_PARAMS = "subme=1:me=dia"
"""On top of the preset: the quickest sub-pixel refinement. Film grain and procedural detail make
veryfast's finer search cost about a third of the encoder's time for ~0.2 dB of PSNR (44.3 →
44.0 dB on the cinematic bench draft at 1080p) and no larger files. The diamond motion search
suits the slow camera moves of generated art: 5–8 % less encoder time on the cinematic draft at
720p (2.5 % at 1080p) for the same PSNR within 0.01 dB and files 0.3–1.2 % larger; the other
styles are unchanged within 0.07 dB."""
_PROGRESS_STEP = 0.01


class RenderCancelled(Exception):
    """The render was cancelled through ``should_cancel``; no output file was left behind."""


@dataclass(frozen=True)
class RenderInfo:
    width: int
    height: int
    fps: int
    duration_s: float
    frames: int
    has_audio: bool
    path: Path


def _temp_path(out_path: Path) -> Path:
    return out_path.with_name(f".{out_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")


def open_encoder(path: Path, spec: OutputSpec, *, audio: bool) -> tuple[Any, Any, Any | None]:
    """An MP4 container with an H.264 stream (and an AAC stream when ``audio``)."""
    container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
    vstream = container.add_stream(
        "libx264",
        rate=spec.fps,
        options={"preset": PRESET, "crf": str(spec.crf), "x264-params": X264_PARAMS},
    )
    vstream.width, vstream.height, vstream.pix_fmt = spec.width, spec.height, "yuv420p"
    # Frame threads (x264's own pool, one frame per thread, plus its lookahead) keep both cores
    # busy while the producer thread draws the next frame; slice threads wait for each frame.
    vstream.codec_context.thread_type = "FRAME"
    vstream.codec_context.thread_count = 0
    astream = None
    if audio:
        astream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        astream.bit_rate = 160_000
    return container, vstream, astream


def _clip_sounds(spec: DraftSpec, assets: Mapping[str, Path]) -> list[ClipSound]:
    """The sound of each video segment whose clip has an audio stream (and volume > 0)."""
    sounds = []
    for item in spec.video:
        if item.kind != "video" or item.volume <= 0:
            continue
        path = resolve_asset(item.src, assets)
        samples = load_clip_audio(path, item.duration_ms / 1000) if path else None
        if samples is not None:
            sounds.append(ClipSound(samples, item.start_ms, item.end_ms, item.volume))
    return sounds


def render_draft(
    draft: dict[str, Any],
    out_path: Path,
    *,
    canvas: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    assets: Mapping[str, Path] | None = None,
    progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> RenderInfo:
    """Render ``draft`` to ``out_path`` as MP4; see the module docstring.

    Raises ``ValueError`` for a draft with nothing to render and ``RenderCancelled`` when
    ``should_cancel()`` turns true (the partial file is removed).
    """
    spec: DraftSpec = parse_draft(draft)
    out_spec = resolve_output(output, canvas, spec.meta)
    fps = out_spec.fps
    count = max(1, round(spec.duration_ms * fps / 1000))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(out_path)
    asset_map = dict(assets or {})
    comp = Compositor(spec, out_spec, asset_map)
    clips = _clip_sounds(spec, asset_map)
    mix = AudioMix(spec.bgm, clips) if spec.bgm or clips else None
    last_reported = -1.0

    def report(value: float) -> None:
        nonlocal last_reported
        if progress is not None and (value >= 1.0 or value - last_reported >= _PROGRESS_STEP):
            last_reported = value
            progress(value)

    container = None
    audio: Soundtrack | None = None
    try:
        container, vstream, astream = open_encoder(tmp, out_spec, audio=mix is not None)
        container.start_encoding()  # opens both encoders and writes the header
        # The sound is encoded on its own thread while the pictures are drawn; its packets
        # (small, 160 kb/s) are muxed in time order below, a little ahead of the video. The file
        # is the same as with the sound encoded up front. (x264 can code tiny frames, like the
        # tests' 160×90, a little differently from run to run even on one thread, and any other
        # work in the process changes how often; 720p and 1080p came out byte-identical.)
        if astream is not None and mix is not None:
            audio = Soundtrack(astream, mix, count * SAMPLE_RATE // fps)
        report(0.0)
        with FramePipeline(lambda i: comp.frame(i / fps), count) as frames:
            for i, frame in enumerate(frames):
                if should_cancel is not None and should_cancel():
                    raise RenderCancelled("The render was cancelled.")
                frame.pts = i
                container.mux(vstream.encode(frame))
                # Keep the audio a little ahead of the video so the muxer can interleave.
                if audio is not None:
                    container.mux(audio.before((i + 1) * SAMPLE_RATE // fps + SAMPLE_RATE // 4))
                report((i + 1) / count * 0.999)
        container.mux(vstream.encode())
        if audio is not None:
            container.mux(audio.rest())
        container.close()
        container = None
        os.replace(tmp, out_path)
    except BaseException:
        if audio is not None:
            audio.close()  # before the container: the thread uses its audio encoder
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        comp.close()
    report(1.0)
    return RenderInfo(
        width=out_spec.width,
        height=out_spec.height,
        fps=fps,
        duration_s=count / fps,
        frames=count,
        has_audio=mix is not None,
        path=out_path,
    )
