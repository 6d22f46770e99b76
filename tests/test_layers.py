"""The wire, the core and the local backend must work without textual (headless CLI, backend)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "artgen_tui.api.client",
    "artgen_tui.api.events",
    "artgen_tui.api.models",
    "artgen_tui.api.errors",
    "artgen_tui.api.files",
    "artgen_tui.config",
    "artgen_tui.paths",
    "artgen_tui.core.credentials",
    "artgen_tui.core.conversation",
    "artgen_tui.core.intents",
    "artgen_tui.core.jobs",
    "artgen_tui.core.timeline",
    "artgen_tui.core.uploads",
    "artgen_tui.core.workspace",
    "artgen_tui.local.server",
    "artgen_tui.local.runner",
    "artgen_tui.local.render",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_without_textual(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "", f"{module} pulled in textual: {out.stdout.strip()}"


def test_the_check_itself_detects_textual() -> None:
    """Guard against a check that cannot fail: importing the TUI must show textual."""
    code = "import sys, textual.app\nprint('textual' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "True"
