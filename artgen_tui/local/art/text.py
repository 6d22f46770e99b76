"""Title overlays: text rendered once with Pillow (with a soft shadow), blended per frame."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from artgen_tui.local.art.spec import TitleItem

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)
FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def load_font(size: int) -> FontT:
    """A bold system font when one is present, else Pillow's bundled scalable default."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            try:
                return ImageFont.truetype(candidate, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: FontT, max_w: int) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [text]:
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if line and draw.textlength(trial, font=font) > max_w:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return [ln for ln in lines if ln] or [text]


class TitleLayer:
    """One title, rasterised once (luma + alpha at full size); ``blend`` draws it with a fade."""

    def __init__(self, item: TitleItem, width: int, height: int) -> None:
        self.item = item
        short = min(width, height)
        pos = item.position
        big = pos in ("center", "centre", "middle", "")
        size = max(10, round(short * (0.1 if big else 0.06)))
        font = load_font(size)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        max_w = int(width * 0.86)
        lines = _wrap(probe, item.text, font, max_w)
        # Shrink long titles until they fit in width and in a third of the height.
        while size > 10:
            widest = max(probe.textlength(ln, font=font) for ln in lines)
            if widest <= max_w and len(lines) * size * 1.25 <= height / 3:
                break
            size = max(10, int(size * 0.88))
            font = load_font(size)
            lines = _wrap(probe, item.text, font, max_w)
        text = "\n".join(lines)
        spacing = max(2, size // 5)
        left, top, right, bottom = probe.multiline_textbbox(
            (0, 0), text, font=font, spacing=spacing, align="center"
        )
        pad = max(4, size // 3)
        pw, ph = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        mask = Image.new("L", (pw, ph), 0)
        ImageDraw.Draw(mask).multiline_text(
            (pad - left, pad - top), text, font=font, fill=255, spacing=spacing, align="center"
        )
        off = max(1, size // 18)
        shadow = Image.new("L", (pw, ph), 0)
        shadow.paste(mask, (off, off))
        shadow = shadow.filter(ImageFilter.GaussianBlur(max(1.0, size / 14)))
        fg = np.asarray(mask, dtype=np.float32) / 255
        sh = np.asarray(shadow, dtype=np.float32) / 255 * 0.8
        # White text over its dark shadow as one alpha plus a luma value (both neutral grey,
        # so the chroma planes only need to move towards neutral by the same alpha).
        alpha = fg + sh * (1 - fg)
        grey = np.where(alpha > 1e-4, fg / np.maximum(alpha, 1e-4), 0)
        x0 = (width - pw) // 2
        if pos in ("bottom", "lower", "subtitle", "caption"):
            y0 = height - ph - round(height * 0.08)
        elif pos in ("top", "upper"):
            y0 = round(height * 0.08)
        else:
            y0 = (height - ph) // 2
        # Even offsets keep the half-resolution chroma aligned; clip the patch to the frame.
        x0, y0 = x0 - x0 % 2, y0 - y0 % 2
        self.x0, self.y0 = max(0, x0), max(0, y0)
        cx, cy = self.x0 - x0, self.y0 - y0
        alpha = alpha[cy : cy + height - self.y0, cx : cx + width - self.x0]
        grey = grey[cy : cy + height - self.y0, cx : cx + width - self.x0]
        ah, aw = alpha.shape[0] - alpha.shape[0] % 2, alpha.shape[1] - alpha.shape[1] % 2
        self.alpha = alpha[:ah, :aw].astype(np.float32)
        self.luma = (16 + 219 * grey[:ah, :aw]).astype(np.float32)
        self.chroma_alpha = self.alpha.reshape(ah // 2, 2, aw // 2, 2).mean(axis=(1, 3))

    def opacity(self, t_ms: float) -> float:
        it = self.item
        if not it.start_ms <= t_ms < it.end_ms:
            return 0.0
        fade = min(it.fade_ms, (it.end_ms - it.start_ms) / 2)
        if fade <= 0:
            return 1.0
        return float(min(1.0, (t_ms - it.start_ms) / fade, (it.end_ms - t_ms) / fade))

    def blend(self, yuv: np.ndarray, width: int, height: int, t_ms: float) -> None:
        """Draw onto a yuv420p frame array (``VideoFrame.to_ndarray`` layout), in place."""
        q = height * width // 4
        chroma = yuv[height:].reshape(-1)
        u = chroma[:q].reshape(height // 2, width // 2)
        v = chroma[q : 2 * q].reshape(height // 2, width // 2)
        self.blend_planes(yuv[:height], u, v, t_ms)

    def blend_planes(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, t_ms: float) -> None:
        """Draw onto the Y, U and V planes of a yuv420p frame (2-D uint8 views), in place."""
        o = self.opacity(t_ms)
        if o <= 0 or self.alpha.size == 0:
            return
        h, w = self.alpha.shape
        region = y[self.y0 : self.y0 + h, self.x0 : self.x0 + w]
        a = self.alpha * o
        region[:] = (region * (1 - a) + self.luma * a + 0.5).astype(np.uint8)
        ca = self.chroma_alpha * o
        cy, cx = self.y0 // 2, self.x0 // 2
        for plane in (u, v):
            reg = plane[cy : cy + h // 2, cx : cx + w // 2]
            reg[:] = (reg * (1 - ca) + 128 * ca + 0.5).astype(np.uint8)
