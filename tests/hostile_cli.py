"""The ``artgen`` command as a subprocess against the hostile proxy: timed, with small deadlines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostile import HostileProxy, Mode, hostile
from local_http import backend

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"

SMALL_DEADLINES = {
    "ARTGEN_NETWORK__REQUEST_DEADLINE": "2",
    "ARTGEN_NETWORK__STREAM_IDLE": "2",
    "ARTGEN_NETWORK__MIN_DOWNLOAD_RATE": "20000",
    "ARTGEN_NETWORK__DOWNLOAD_WINDOW": "2",
    "ARTGEN_NETWORK__RENDER_WAIT": "4",
    "ARTGEN_NETWORK__RECOVERY_DELAYS": "[0, 0.3]",
    "ARTGEN_NETWORK__SETTLE_RECHECK": "0",
    "ARTGEN_REQUEST_TIMEOUT": "20",
}
"""Deadlines a test can wait out: each slow answer must end the command within ~10 s."""


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def clean(self) -> bool:
        """No traceback anywhere in the output."""
        return "Traceback" not in self.stderr and "Traceback" not in self.stdout


def artgen(
    *args: str,
    url: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 90,
) -> Ran:
    """Run ``artgen ARGS`` against ``url`` with :data:`SMALL_DEADLINES` (plus ``env``)."""
    full = dict(os.environ)
    full.update(SMALL_DEADLINES)
    full["NEMO_API_URL"] = url
    full.update(env or {})
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


@dataclass
class Rig:
    proxy: HostileProxy
    data_dir: Path

    @property
    def url(self) -> str:
        return self.proxy.url

    def renders(self) -> list[Path]:
        """The render jobs the backend holds (one file per render it accepted)."""
        found = (self.data_dir / "renders").glob("*.json")
        return sorted(p for p in found if p.name.count(".") == 1)  # not <id>.spec.json

    def timeline(self) -> None:
        """Make a clip through the proxy with no modes, so there is something to export."""
        modes = self.proxy.modes
        self.proxy.set_modes()
        made = artgen("chat", GENERATE, url=self.url)
        assert made.returncode == 0, made.stderr
        self.proxy.modes = modes


@contextmanager
def rig(tmp_path: Path, *modes: str | Mode, **options: Any) -> Iterator[Rig]:
    """A local backend (fast, plus ``options``) behind the hostile proxy with ``modes``."""
    data_dir = tmp_path / "backend"
    options.setdefault("silent_close_rate", 0.0)
    with backend(data_dir, **options) as upstream, hostile(upstream, *modes) as proxy:
        yield Rig(proxy, data_dir)
