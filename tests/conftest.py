"""Shared fixtures: every test gets its own ARTGEN_HOME and no real-cloud environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import artgen as artgen  # the in-process `artgen` fixture, for every test


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "artgen-home"
    monkeypatch.setenv("ARTGEN_HOME", str(home))
    # COLUMNS/LINES: set in parallel test workers; Textual would take them as the terminal's size.
    for var in (
        "NEMO_TOKEN",
        "NEMO_API_URL",
        "ARTGEN_CONFIG",
        "NO_COLOR",
        "TEXTUAL_THEME",
        "COLUMNS",
        "LINES",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def backend_dir(tmp_path: Path) -> Path:
    return tmp_path / "backend"


@pytest.fixture
def local_backend(backend_dir: Path) -> Iterator[str]:
    """A real local backend on a free loopback port, fast timings; yields its base URL."""
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import LocalBackend

    options = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05, silent_close_rate=0.3, seed=7)
    with LocalBackend(backend_dir, options=options) as backend:
        yield backend.url
