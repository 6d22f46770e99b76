"""``cli.main`` in the test's own process (fast), with what it printed: the ``artgen`` fixture."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from artgen_tui import cli


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def artgen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``artgen(*args, url=…)`` runs one command against ``url`` and returns its output."""

    def call(*args: str, url: str | None = None) -> Result:
        if url is not None:
            monkeypatch.setenv("NEMO_API_URL", url)
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


def interruptible() -> None:
    """``preexec_fn`` for a command a test interrupts with SIGINT: Ctrl+C as a terminal gives it.
    A child inherits an ignored SIGINT, and Python then never raises KeyboardInterrupt; the test
    process may have it ignored (a worker of pytest-xdist, a library in an earlier test)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
