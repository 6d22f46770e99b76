"""The soundtrack's AAC packets, encoded on a helper thread while the pictures are drawn.

The packets are the same as when the whole soundtrack is encoded up front (one encoder, fed
the same samples in order); only the waiting moves: the consumer takes them in time order as
the video reaches them and waits only if the thread is behind, so the muxed file is the same
too.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from artgen_tui.local.art.audio import AudioMix

CHUNK = 4800
"""Samples per synthesised frame (100 ms at 48 kHz); the encoder re-cuts them to its own size."""


class Soundtrack:
    """AAC packets of ``mix`` over ``total_samples``, encoded by a daemon thread.

    Open the container (write its header) before creating one: the thread uses the audio
    stream's encoder and nothing else. An encoding error is re-raised to the consumer;
    :meth:`close` stops the thread early (cancel, error) and waits for it.
    """

    def __init__(self, astream: Any, mix: AudioMix, total_samples: int) -> None:
        self._astream = astream
        self._mix = mix
        self._total = total_samples
        self._packets: deque[Any] = deque()
        self._done = False
        self._error: BaseException | None = None
        self._stop = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="render-audio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for n0 in range(0, self._total, CHUNK):
                packets = self._astream.encode(self._mix.frame(n0, min(CHUNK, self._total - n0)))
                if not self._hand_over(packets):
                    return
            self._hand_over(self._astream.encode())
        except BaseException as exc:  # handed to the consumer, which re-raises it
            with self._cond:
                self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _hand_over(self, packets: list[Any]) -> bool:
        with self._cond:
            self._packets.extend(packets)
            self._cond.notify_all()
            return not self._stop

    def before(self, pts: int) -> list[Any]:
        """The next packets in order, up to the first one at or after ``pts`` (samples)."""
        out: list[Any] = []
        with self._cond:
            while True:
                while self._packets and (
                    self._packets[0].pts is None or self._packets[0].pts < pts
                ):
                    out.append(self._packets.popleft())
                if self._packets or self._done:
                    break
                self._cond.wait()
            self._raise()
        return out

    def rest(self) -> list[Any]:
        """Every packet not taken yet (waits for the thread to finish)."""
        self._thread.join()
        with self._cond:
            self._raise()
            out = list(self._packets)
            self._packets.clear()
        return out

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        with self._cond:
            self._stop = True
        self._thread.join()
