"""Layers point down, and everything but the TUI works without textual (headless CLI, backend).

The import-linter contracts in pyproject.toml are the rule; these tests show they run, that they
catch a wrong import, and (by really importing each module in a fresh interpreter) that no module
outside the TUI loads textual at run time either.
"""

from __future__ import annotations

import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import artgen_tui

ROOT = Path(artgen_tui.__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _headless_modules() -> list[str]:
    """Every module of the package outside ``artgen_tui.tui``, found by walking the tree."""
    names = [
        info.name
        for info in pkgutil.walk_packages(artgen_tui.__path__, prefix="artgen_tui.")
        if not (info.name == "artgen_tui.tui" or info.name.startswith("artgen_tui.tui."))
    ]
    return sorted(names)


HEADLESS = _headless_modules()


def test_the_module_list_is_the_package_tree() -> None:
    """The walk finds the modules a hand list used to miss, including the CLI."""
    for name in (
        "artgen_tui.cli",
        "artgen_tui.api.download",
        "artgen_tui.api.fastget",
        "artgen_tui.local.agent",
        "artgen_tui.local.upload_rules",
        "artgen_tui.core.gui_phrases",
    ):
        assert name in HEADLESS
    assert not any(name.startswith("artgen_tui.tui") for name in HEADLESS)


@pytest.mark.parametrize("module", HEADLESS)
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


def _copy_project(dest: Path) -> Path:
    shutil.copytree(
        ROOT / "artgen_tui", dest / "artgen_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def _cli_modules() -> set[str]:
    """The CLI's modules: ``artgen_tui.cli`` and every top-level ``artgen_tui.cli_*``."""
    return {
        f"artgen_tui.{info.name}"
        for info in pkgutil.iter_modules(artgen_tui.__path__)
        if info.name == "cli" or info.name.startswith("cli_")
    }


def test_every_contract_that_names_the_cli_names_all_its_modules() -> None:
    """A new ``cli_*.py`` must join the contracts, or it would sit in no layer at all."""
    cli = _cli_modules()
    assert {"artgen_tui.cli", "artgen_tui.cli_checks", "artgen_tui.cli_spend"} <= cli
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    lists = 0
    for contract in contracts:
        for key in ("layers", "source_modules", "forbidden_modules"):
            names: set[str] = set()
            for entry in contract.get(key, []):
                names |= {part.strip() for part in re.split(r"[|:]", entry)}
            if names & cli:
                lists += 1
                assert cli <= names, (contract["name"], key, sorted(cli - names))
    assert lists >= 5


def test_the_contracts_hold(tmp_path: Path) -> None:
    """The contracts pass on a copy of this tree (not on whatever artgen_tui is installed)."""
    out = _lint_imports(_copy_project(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


BAD_IMPORTS = [
    ("api/logsafe.py", "from artgen_tui.core import credentials", "Faces above product rules"),
    ("api/errors.py", "import artgen_tui.core.workspace", "The wire never imports"),
    ("local/store.py", "from artgen_tui.api import files", "The local backend imports none"),
    ("core/jobs.py", "import textual.app", "Only the TUI imports textual"),
    ("core/timeline.py", "from artgen_tui.tui import messages", "Faces above product rules"),
    ("config.py", "from artgen_tui.core import intents", "Settings and paths are leaves"),
    # The CLI is cli.py and its cli_* subcommand modules: every one of them is a face.
    ("core/spend.py", "from artgen_tui import cli_checks", "Faces above product rules"),
    ("api/files.py", "from artgen_tui import cli_spend", "The wire never imports"),
    ("tui/uploads.py", "from artgen_tui import cli_checks", "The TUI never imports the CLI"),
    ("cli_sessions.py", "from artgen_tui.tui import messages", "The CLI never imports the TUI"),
    ("cli_checks.py", "import textual.app", "Only the TUI imports textual"),
]


@pytest.mark.parametrize(("module", "line", "contract"), BAD_IMPORTS)
def test_a_wrong_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    """A scratch copy with one import against the layering makes lint-imports fail, by name."""
    project = _copy_project(tmp_path)
    target = project / "artgen_tui" / module
    target.write_text(target.read_text("utf-8") + f"\n{line}  # noqa\n", "utf-8")
    out = _lint_imports(project)
    assert out.returncode != 0, out.stdout
    broken = [ln for ln in out.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), out.stdout
