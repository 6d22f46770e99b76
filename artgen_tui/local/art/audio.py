"""Generated background music: a soft, slowly changing chord pad per BGM segment.

Synthesis is additive (a few detuned sine partials per note) and computed from absolute
sample positions, so any chunk can be produced independently and the result is seamless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from artgen_tui.local.art.spec import BgmItem

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
_CLIP_EDGE = SAMPLE_RATE // 50  # 20 ms ramps so clip sound starts and stops without clicks
CHORD_SECONDS = 4.0
_CROSSFADE = 1.2

# Chord progressions as semitone offsets from A3 (220 Hz).
_PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "warm": ((3, 7, 10, 14), (0, 3, 7, 12), (-4, 0, 3, 7), (-2, 2, 5, 10)),  # Cadd9 Am Fmaj7 G
    "dark": ((0, 3, 7, 10), (-4, 0, 3, 7), (-7, -4, 0, 5), (-5, -1, 2, 7)),  # Am7 Fmaj7 Dm E
    # Fmaj9 Cadd9 Gmaj7 Am7
    "dreamy": ((-4, 0, 3, 7, 10), (3, 7, 10, 14), (-2, 2, 5, 9), (0, 3, 7, 10)),
    "epic": ((0, 7, 12, 15), (-4, 3, 8, 12), (-9, -2, 3, 7), (-2, 5, 10, 14)),
    "bright": ((3, 7, 10, 15), (-2, 2, 5, 10), (0, 3, 7, 12), (-4, 0, 3, 8)),
}
_MOOD_GROUPS: dict[str, tuple[str, ...]] = {
    "dark": ("sad", "night", "mysterious", "moody", "tense", "melancholy", "noir"),
    "dreamy": ("calm", "ambient", "soft", "ethereal", "chill", "lofi"),
    "epic": ("cinematic", "dramatic", "heroic"),
    "bright": ("happy", "upbeat", "energetic", "uplifting", "cheerful"),
}
_MOOD_WORDS = {word: key for key, ws in _MOOD_GROUPS.items() for word in ws}


def mood_key(mood: str) -> str:
    """The progression a mood asks for (``warm`` unless a word says otherwise)."""
    for word in mood.lower().replace("-", " ").split():
        key = word if word in _PROGRESSIONS else _MOOD_WORDS.get(word)
        if key:
            return key
    return "warm"


_A3 = 220.0
_TABLE_SIZE = 8192
_x = np.arange(_TABLE_SIZE) / _TABLE_SIZE * 2 * np.pi
# One period of a mellow voice: the fundamental with two quiet harmonics.
_WAVE = np.sin(_x) + 0.18 * np.sin(2 * _x) + 0.05 * np.sin(3 * _x)
_WAVE = np.append(_WAVE, _WAVE[0])  # guard entry for the interpolation
_STEP = np.diff(_WAVE)  # the slope from each entry to the next


def _voice(freq: float, t: np.ndarray) -> np.ndarray:
    """The wavetable voice at ``freq`` Hz for absolute times ``t`` (seconds, non-negative).

    Linear interpolation in the table, ``wave[i] + (wave[i + 1] - wave[i]) · frac``, computed
    in place on one buffer (``x − floor(x)`` is the same exact fraction as ``x % 1``).
    """
    pos = np.multiply(t, freq)
    pos -= np.floor(pos)
    pos *= _TABLE_SIZE
    i = pos.astype(np.intp)
    pos -= i  # the fraction between entries i and i + 1
    out: np.ndarray = _STEP.take(i)
    out *= pos
    out += _WAVE.take(i)
    return out


class Pad:
    """One BGM segment's pad voice."""

    def __init__(self, item: BgmItem) -> None:
        self.item = item
        self.start = round(item.start_ms * SAMPLE_RATE / 1000)
        self.end = round(item.end_ms * SAMPLE_RATE / 1000)
        key = mood_key(f"{item.mood} {item.label}")
        self.chords = _PROGRESSIONS[key]
        self.pulse = key == "bright"  # a gentle eighth-note pulse at 112 bpm
        self.shift = -12 if key == "dark" else 0  # dark moods sit an octave lower
        rng = np.random.default_rng(item.seed & 0xFFFFFFFF)
        self.rotate = int(rng.integers(0, len(self.chords)))
        self.detune = rng.uniform(0.997, 1.003, 3)
        self.pan = rng.uniform(-0.35, 0.35, 8)
        fade = min(item.fade_ms, (item.end_ms - item.start_ms) / 2) / 1000
        self.fade = max(1, round(fade * SAMPLE_RATE))

    def _chord(self, index: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        notes = tuple(n + self.shift for n in self.chords[(index + self.rotate) % len(self.chords)])
        left = np.zeros_like(t)
        right = np.zeros_like(t)
        # A soft bass an octave below the chord's lowest note, centred.
        bass = 0.6 * _voice(_A3 * 2 ** ((min(notes) - 12) / 12), t)
        for k, semi in enumerate(notes):
            f = _A3 * 2 ** (semi / 12)
            v = sum(_voice(f * d, t) for d in self.detune)  # a gentle chorus
            p = self.pan[k % len(self.pan)]
            left += v * (0.5 - p / 2)
            right += v * (0.5 + p / 2)
        scale = 1 / (len(notes) * len(self.detune))
        return left * scale + bass * 0.15, right * scale + bass * 0.15

    def add_to(self, out: np.ndarray, n0: int) -> None:
        """Mix samples ``[n0, n0 + len)`` of this pad into ``out`` (2, len)."""
        n = out.shape[1]
        a, b = max(n0, self.start), min(n0 + n, self.end)
        if a >= b:
            return
        idx = np.arange(a, b, dtype=np.float64)
        t_abs = idx / SAMPLE_RATE
        t = t_abs - self.start / SAMPLE_RATE
        pos = t / CHORD_SECONDS
        chord = np.floor(pos).astype(int)
        frac = pos - chord
        # Crossfade between consecutive chords over the last part of each one.
        edge = 1 - _CROSSFADE / CHORD_SECONDS
        w_next = np.clip((frac - edge) / (1 - edge), 0, 1)
        w_next = w_next * w_next * (3 - 2 * w_next)
        left = np.zeros_like(t)
        right = np.zeros_like(t)
        for c in np.unique(chord):
            sel = chord == c
            ts = t_abs[sel]
            l1, r1 = self._chord(int(c), ts)
            wn = w_next[sel]
            if np.any(wn > 0):
                l2, r2 = self._chord(int(c) + 1, ts)
                l1, r1 = l1 * (1 - wn) + l2 * wn, r1 * (1 - wn) + r2 * wn
            left[sel], right[sel] = l1, r1
        # Slow swell, and fades at the segment edges.
        env = 0.85 + 0.15 * np.sin(2 * np.pi * t / 7.0)
        if self.pulse:
            beat = (t * 112 / 60 * 2) % 1.0
            env *= 0.6 + 0.4 * np.exp(-beat * 5)
        env *= np.clip((idx - self.start) / self.fade, 0, 1) * np.clip(
            (self.end - idx) / self.fade, 0, 1
        )
        gain = 1.4 * self.item.volume
        out[0, a - n0 : b - n0] += (left * env * gain).astype(np.float32)
        out[1, a - n0 : b - n0] += (right * env * gain).astype(np.float32)


def load_clip_audio(path: Path, max_seconds: float) -> np.ndarray | None:
    """A clip's sound as (2, n) float32 at 48 kHz, at most ``max_seconds``; None if silent."""
    chunks: list[np.ndarray] = []
    limit = round(max_seconds * SAMPLE_RATE)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
                    total += chunks[-1].shape[1]
                if total >= limit:
                    break
    except (OSError, av.FFmpegError, ValueError, IndexError) as exc:
        log.warning("Clip %s has no usable sound: %s", path.name, exc)
        return None
    if not chunks:
        return None
    samples = np.concatenate(chunks, axis=1)[:, :limit].astype(np.float32)
    return samples if samples.shape[1] > 0 else None


class ClipSound:
    """A video segment's own sound, looped like its picture, at the segment volume."""

    def __init__(self, samples: np.ndarray, start_ms: int, end_ms: int, volume: float) -> None:
        n = samples.shape[1]
        ramp = min(_CLIP_EDGE, n // 2)
        env = np.ones(n, dtype=np.float32)
        if ramp > 0:
            env[:ramp] = np.linspace(0, 1, ramp, dtype=np.float32)
            env[n - ramp :] = np.linspace(1, 0, ramp, dtype=np.float32)
        self.samples = samples * env * np.float32(volume)
        self.start = round(start_ms * SAMPLE_RATE / 1000)
        self.end = round(end_ms * SAMPLE_RATE / 1000)

    def add_to(self, out: np.ndarray, n0: int) -> None:
        n = out.shape[1]
        a, b = max(n0, self.start), min(n0 + n, self.end)
        if a >= b:
            return
        idx = (np.arange(a, b) - self.start) % self.samples.shape[1]
        out[:, a - n0 : b - n0] += self.samples[:, idx]


class AudioMix:
    """Sums BGM pads and clip sounds; ``frame(n0, n)`` gives samples ``[n0, n0+n)`` as AAC input."""

    def __init__(self, items: Sequence[BgmItem], clips: Sequence[ClipSound] = ()) -> None:
        self._voices: list[Pad | ClipSound] = [Pad(item) for item in items]
        self._voices.extend(clips)

    def samples(self, n0: int, n: int) -> np.ndarray:
        out = np.zeros((2, n), dtype=np.float32)
        for voice in self._voices:
            voice.add_to(out, n0)
        return np.tanh(out).astype(np.float32)  # gentle limiting when voices overlap

    def frame(self, n0: int, n: int) -> av.AudioFrame:
        frame = av.AudioFrame.from_ndarray(self.samples(n0, n), format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = n0
        return frame
