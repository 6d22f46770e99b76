"""What a command imports is part of how fast it starts (issue 9, ``bench/startup.py``).

Each case runs a real command in a fresh interpreter against the real local backend and reads
``sys.modules`` afterwards: a headless command loads no renderer, imaging, server or UI modules it
does not use, and the app's first frame waits for none of the client, the models or the markdown
parser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("av", "numpy", "PIL", "uvicorn", "starlette", "textual", "textual_image")
"""Modules no command loads unless it needs them (tops of packages)."""

_RUN = """
import json, sys
{prelude}
from artgen_tui import cli
code = cli.main({argv!r})
tops = sorted({{name.split(".")[0] for name in sys.modules}})
print("\\nMODULES " + json.dumps({{"code": code, "tops": tops, "all": sorted(sys.modules)}}))
"""


def _loaded(
    argv: list[str], url: str, home: Path, prelude: str = ""
) -> tuple[int, set[str], set[str]]:
    env = dict(os.environ, NEMO_API_URL=url, ARTGEN_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-c", _RUN.format(argv=argv, prelude=prelude)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    found = json.loads(line.removeprefix("MODULES "))
    return int(found["code"]), set(found["tops"]), set(found["all"])


@pytest.mark.parametrize(
    "argv",
    [["credits", "--json"], ["state", "--json"], ["jobs", "list", "--json"]],
    ids=["credits", "state", "jobs"],
)
def test_headless_commands_load_no_heavy_module(
    argv: list[str], local_backend: str, isolated_home: Path
) -> None:
    code, tops, _ = _loaded(argv, local_backend, isolated_home)
    assert code == 0
    assert "httpx" in tops  # it really talked to the backend
    assert sorted(set(HEAVY) & tops) == []


def test_the_budget_sees_a_heavy_import(local_backend: str, isolated_home: Path) -> None:
    """The check can fail: a module loaded on the way is seen in the report."""
    code, tops, _ = _loaded(["credits", "--json"], local_backend, isolated_home, "import PIL")
    assert code == 0
    assert "PIL" in tops
