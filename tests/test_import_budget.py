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
from typing import Any

import pytest

HEAVY = (
    *("av", "numpy", "PIL", "uvicorn", "starlette", "textual", "textual_image"),
    *("click", "pygments", "markdown_it"),
)
"""Modules no command loads unless it needs them (tops of packages). click and pygments come
with httpx's command-line tool, which we never run."""

AFTER_FIRST_FRAME = (
    "httpx",
    "markdown_it",
    "artgen_tui.api.client",
    "artgen_tui.api.models",
    "artgen_tui.core.workspace",
    "artgen_tui.core.conversation",
    "artgen_tui.local.runner",
    "artgen_tui.tui.screens.file_picker",
    "artgen_tui.tui.screens.error",
    "artgen_tui.core.uploads",
    "artgen_tui.core.intents",
    "artgen_tui.core.batch_file",
    "artgen_tui.tui.screens.help",
    "artgen_tui.tui.screens.sessions",
    "artgen_tui.tui.screens.rename",
    "artgen_tui.tui.screens.quit",
    *("av", "numpy", "PIL", "uvicorn", "starlette", "textual_image"),
)
"""What the app's first frame must not wait for: loaded when the connection or a turn needs it
(the command router with the first line typed, the help with F1)."""

NOT_HEADLESS = (
    *("artgen_tui.core.batch_file", "artgen_tui.core.uploads", "artgen_tui.core.intents"),
    *("artgen_tui.api.download", "artgen_tui.api.events", "artgen_tui.api.transfer"),
)
"""What these headless commands do not use: product rules (building the parser names the export
sizes and the session formats, nothing more), and the client's downloads, uploads and chat
stream (loaded with their first use)."""

_RUN = """
import json, sys
{prelude}
from artgen_tui import cli
code = cli.main({argv!r})
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
tops = sorted({{name.split(".")[0] for name in loaded}})
print("\\nMODULES " + json.dumps({{"code": code, "tops": tops, "all": loaded}}))
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
    code, tops, loaded = _loaded(argv, local_backend, isolated_home)
    assert code == 0
    assert "httpx" in tops  # it really talked to the backend
    assert sorted(set(HEAVY) & tops) == []
    assert sorted(set(NOT_HEADLESS) & loaded) == []


def test_the_budget_sees_a_heavy_import(local_backend: str, isolated_home: Path) -> None:
    """The check can fail: a module loaded on the way is seen in the report."""
    code, tops, _ = _loaded(["credits", "--json"], local_backend, isolated_home, "import PIL")
    assert code == 0
    assert "PIL" in tops


_FIRST_FRAME = """
import asyncio, json, sys
from artgen_tui import cli
from artgen_tui.config import load_settings
settings = load_settings(None)
app_module = __import__("artgen_tui.tui.app", fromlist=["ArtgenApp"])

seen = {}

class Probe(app_module.ArtgenApp):
    CSS_PATH = app_module.__file__.replace("app.py", "app.tcss")  # relative to this class's file

    def on_ready(self):  # Ready: the first frame is on screen (runs before the app's on_ready)
        seen["painted"] = "Timeline" in str(self.screen.query_one("#timeline").border_title or "")
        seen["all"] = sorted(m for m, v in sys.modules.items() if v is not None)

async def main():
    app = Probe(settings, autoconnect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    print("MODULES " + json.dumps(seen))

asyncio.run(main())
"""


def test_the_first_frame_waits_for_no_client_model_or_parser(isolated_home: Path) -> None:
    env = dict(os.environ, ARTGEN_HOME=str(isolated_home))
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_FRAME], capture_output=True, text=True, env=env, timeout=60
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    found = json.loads(line.removeprefix("MODULES "))
    loaded = set(found["all"])
    assert found["painted"] and "artgen_tui.tui.screens.main" in loaded
    early = sorted(
        name
        for name in AFTER_FIRST_FRAME
        if any(m == name or m.startswith(name + ".") for m in loaded)
    )
    assert early == []


BEFORE_VALIDATION = ("pydantic", "pydantic_core", "pydantic_settings", "artgen_tui.config")
"""What the app's first frame does not wait for when the settings are validated after it
(:class:`artgen_tui.config_file.LateSettings`, how ``artgen`` starts the app)."""

_LATE_FIRST_FRAME = """
import asyncio, json, sys
from artgen_tui.config_file import LateSettings, first_frame
app_module = __import__("artgen_tui.tui.app", fromlist=["ArtgenApp"])
seen = {}

def load():
    from artgen_tui.config import load_settings
    return load_settings(None)

class Probe(app_module.ArtgenApp):
    CSS_PATH = app_module.__file__.replace("app.py", "app.tcss")  # relative to this class's file

    def on_ready(self):  # Ready: the first frame is on screen (runs before the app's on_ready)
        seen["painted"] = "Timeline" in str(self.screen.query_one("#timeline").border_title or "")
        seen["all"] = sorted(m for m, v in sys.modules.items() if v is not None)

async def main():
    app = Probe(LateSettings(first_frame(None), load), autoconnect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        seen["settings"] = type(app.settings).__name__
        seen["threshold"] = app.settings.low_credits_threshold
    print("MODULES " + json.dumps(seen))

asyncio.run(main())
"""


def test_the_first_frame_waits_for_no_settings_validation(isolated_home: Path) -> None:
    """Settings are validated once the first frame is painted, and pydantic loads only then."""
    env = dict(os.environ, ARTGEN_HOME=str(isolated_home))
    (isolated_home / "config").mkdir(parents=True)
    (isolated_home / "config" / "config.toml").write_text("low_credits_threshold = 7\n")
    found = _run_for_modules(_LATE_FIRST_FRAME, env)
    loaded = set(found["all"])
    assert found["painted"] and "artgen_tui.tui.screens.main" in loaded
    assert (found["settings"], found["threshold"]) == ("Settings", 7)
    assert _among(loaded, (*BEFORE_VALIDATION, *AFTER_FIRST_FRAME)) == []


def _run_for_modules(code: str, env: dict[str, str]) -> Any:
    """Run ``code`` in a fresh interpreter; what it printed after ``MODULES `` (JSON)."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stderr
    return json.loads(line.removeprefix("MODULES "))


def _among(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages included) are loaded."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in loaded))


_BEFORE_THE_APP = """
import json, sys
from artgen_tui import cli
from artgen_tui.cli_checks import argv_problem
args = cli.build_parser().parse_args({argv!r})
assert argv_problem(args) is None and cli._first_frame(args) is not None
print("MODULES " + json.dumps(sorted(m for m, v in sys.modules.items() if v is not None)))
"""


@pytest.mark.parametrize("argv", [["--local"], []], ids=["local", "remote"])
def test_what_main_does_before_the_app_loads_nothing_for_later(
    argv: list[str], isolated_home: Path
) -> None:
    """The command line's parser and checks, run before the app starts, load none of what the
    first frame does not wait for."""
    env = dict(os.environ, ARTGEN_HOME=str(isolated_home))
    loaded = set(_run_for_modules(_BEFORE_THE_APP.format(argv=argv), env))
    assert _among(loaded, (*BEFORE_VALIDATION, *AFTER_FIRST_FRAME, *NOT_HEADLESS)) == []
