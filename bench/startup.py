"""How fast artgen opens, side by side with bare baselines from the same run.

Measured in a real pseudo-terminal (120×40) that this script drives, from process start:

* ``bare_frame``: a bare Textual app (Header + Label + Footer) paints its first frame;
* ``layout_frame``: a Textual app with artgen's main-screen layout and nothing else (the same
  widget classes, as many of each, the same ones hidden; no artgen code, settings or backend)
  paints its first frame: what Textual alone takes to draw that screen, which no change to
  artgen's own code can take off ``app_frame``;
* ``app_frame``: ``artgen --local`` paints its layout (the status bar's "Connecting…" or "Ready");
* ``app_ready``: ``artgen --local`` shows "Ready" (token, session and backend up).

And headless, against an ``artgen serve-local`` started once for the run:

* ``bare_httpx``: ``python -c "import httpx; httpx.get(URL)"`` to the same backend;
* ``credits``: ``artgen credits`` wall time (a complete headless command).

Targets (issue #9): app_frame ≤ 1.2× and app_ready ≤ 1.5× bare_frame; credits ≤ 2× bare_httpx.
Each figure is the median of ``--runs`` (default 5); the ratios are of medians.

Next to on-screen times, the CPU seconds spent by then, from Linux ``/proc``: ``*_own_cpu`` by
the app's process, ``*_cpu`` by it and its children (the embedded backend). A frame is painted by
one thread, so it cannot come before the process's own CPU time; on N cores, "Ready" cannot come
before the CPU time of the app and the backend / N, however the work is spread.

Usage: ``python bench/startup.py [--runs K] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

SIZE = (120, 40)
PACKAGE = Path(__file__).resolve().parent.parent / "artgen_tui"
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[P_^X][^\x1b]*\x1b\\|.)"
)

BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield Label("BARE-FIRST-FRAME")
            yield Footer()

    Bare().run()
    """
)


LAYOUT_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.binding import Binding
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.widgets import DataTable, Footer, ProgressBar, Static, TextArea

    KEYS = "f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 ctrl+q".split()

    class Layout(App[None]):
        BINDINGS = [Binding(key, "bell", f"Key {n}") for n, key in enumerate(KEYS)]
        CSS = (
            "#status { height: 1; } #status Static { width: auto; } #connection { width: 1fr; }"
            "#chat-pane, #side { width: 1fr; } #chat { height: 1fr; } #prompt { height: 3; }"
            ".hidden { display: none; } #timeline { height: 1fr; } #jobs { height: 3; }"
        )

        def compose(self):
            with Horizontal(id="status"):
                yield Static("LAYOUT-FIRST-FRAME", id="connection")
                for n in range(5):
                    yield Static(f"s{n}", classes="hidden" if n in (1, 2, 4) else "")
            with Horizontal(id="body"):
                with Vertical(id="chat-pane"):
                    yield VerticalScroll(id="chat")
                    with Horizontal(classes="hidden"):
                        yield Static("upload")
                        yield ProgressBar()
                    yield TextArea(id="prompt")
                    yield Static("queue", classes="hidden")
                with Vertical(id="side"):
                    table = DataTable(id="timeline")
                    table.add_columns("#", "Clip", "Start", "Length", "Label")
                    yield table
                    yield Static("detail", classes="hidden")
                    with Vertical(id="jobs"):
                        yield DataTable(classes="hidden")
                        yield Static("strip", classes="hidden")
                        yield Static("No exports yet")
            yield Footer()

        def on_mount(self):
            self.query_one(TextArea).focus()

    Layout().run()
    """
)


IGNORED_ENV = ("NO_COLOR", "TMUX", "TEXTUAL_THEME", "PYTHONDONTWRITEBYTECODE")
"""Not passed on. ``PYTHONDONTWRITEBYTECODE`` would make every run compile the package from
source: an installed artgen, like the bare app's Textual, runs from cached bytecode."""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in IGNORED_ENV}
    env.update(
        ARTGEN_HOME=str(home),
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
        COLUMNS=str(SIZE[0]),
        LINES=str(SIZE[1]),
    )
    return env


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int, descendants: bool = True) -> float:
    """CPU seconds (user + system) of ``pid`` and (unless told not to) its living descendants,
    from ``/proc``; 0 where there is no ``/proc``."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        proc = Path(f"/proc/{current}")
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
            if not descendants:
                break
            for task in (proc / "task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return total


def time_markers(
    argv: list[str], markers: dict[str, str], env: dict[str, str], timeout: float = 30.0
) -> dict[str, float]:
    """Seconds from spawning ``argv`` in a fresh pty until each marker's text is on screen, and
    (as ``<name>_cpu``) the CPU seconds the process tree had used by then."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    found: dict[str, float] = {}
    raw = b""
    try:
        while not set(markers) <= set(found) and time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.01)
            if not ready:
                continue
            try:
                raw += os.read(master, 1 << 16)
            except OSError:
                break
            now = time.perf_counter() - started
            screen = _ANSI.sub("", raw.decode("utf-8", "replace"))
            for name, text in markers.items():
                if name not in found and text in screen:
                    found[name] = now
                    found[f"{name}_cpu"] = tree_cpu(proc.pid)
                    found[f"{name}_own_cpu"] = tree_cpu(proc.pid, descendants=False)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    missing = set(markers) - set(found)
    if missing:
        raise RuntimeError(f"never saw {sorted(missing)} from {argv[-2:]}")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[-2:]} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return took


def _serve_local(env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "artgen_tui", "serve-local", "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return proc, url
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("serve-local did not start")


def run(runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        samples.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory(prefix="artgen-startup-") as tmp:
        root = Path(tmp)
        bare = root / "bare.py"
        bare.write_text(BARE_APP)
        layout = root / "layout.py"
        layout.write_text(LAYOUT_APP)
        server_env = _env(root / "server-home")
        server, url = _serve_local(server_env, root / "backend")
        try:
            # The package's bytecode, as `pip install` leaves it (Textual's already is).
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=False)
            cli_env = _env(root / "cli-home") | {"NEMO_API_URL": url}
            # Warm the token and session files once: the fast path every later call takes.
            _wall([sys.executable, "-m", "artgen_tui", "credits"], cli_env)
            probe = f"import httpx; httpx.get({url + '/'!r})"
            for i in range(runs):
                frame = time_markers(
                    [sys.executable, str(bare)], {"frame": "BARE-FIRST-FRAME"}, _env(root / "b")
                )
                add("bare_frame", frame["frame"])
                add("bare_frame_cpu", frame["frame_cpu"])
                frame = time_markers(
                    [sys.executable, str(layout)], {"frame": "LAYOUT-FIRST-FRAME"}, _env(root / "l")
                )
                add("layout_frame", frame["frame"])
                app = time_markers(
                    [sys.executable, "-m", "artgen_tui", "--local"],
                    {"frame": "Connecting", "ready": "Ready"},
                    _env(root / f"app-{i}"),
                )
                add("app_frame", min(app["frame"], app["ready"]))
                add("app_ready", app["ready"])
                first = "frame" if app["frame"] <= app["ready"] else "ready"
                add("app_frame_own_cpu", app[f"{first}_own_cpu"])
                add("app_ready_cpu", app["ready_cpu"])
                add("app_ready_own_cpu", app["ready_own_cpu"])
                add("bare_httpx", _wall([sys.executable, "-c", probe], cli_env))
                add("credits", _wall([sys.executable, "-m", "artgen_tui", "credits"], cli_env))
        finally:
            server.terminate()
            server.wait(10)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.runs)
    ratios = {
        "app_frame/bare_frame": figures["app_frame"] / figures["bare_frame"],
        "app_ready/bare_frame": figures["app_ready"] / figures["bare_frame"],
        "credits/bare_httpx": figures["credits"] / figures["bare_httpx"],
    }
    targets = {"app_frame/bare_frame": 1.2, "app_ready/bare_frame": 1.5, "credits/bare_httpx": 2.0}
    if args.json:
        print(json.dumps({"runs": args.runs, "seconds": figures, "ratios": ratios}))
        return 0
    print(f"startup, median of {args.runs} runs ({SIZE[0]}×{SIZE[1]} pty)")
    for name, value in figures.items():
        print(f"  {name:<17} {value:6.3f} s")
    for name, value in ratios.items():
        verdict = "ok" if value <= targets[name] else "over"
        print(f"  {name:<22} {value:5.2f}×  (target ≤ {targets[name]}×, {verdict})")
    cores = os.cpu_count() or 1
    floor = figures["app_ready_cpu"] / cores
    print(
        f"  CPU of the app's process by its first frame: {figures['app_frame_own_cpu']:.3f} s ="
        f" {figures['app_frame_own_cpu'] / figures['bare_frame']:.2f}× bare_frame"
    )
    print(
        f"  Textual alone, drawing this layout: layout_frame = "
        f"{figures['layout_frame'] / figures['bare_frame']:.2f}× bare_frame; artgen's own part:"
        f" app_frame = {figures['app_frame'] / figures['layout_frame']:.2f}× layout_frame"
    )
    print(
        f"  CPU of the app's process by Ready: {figures['app_ready_own_cpu']:.3f} s ="
        f" {figures['app_ready_own_cpu'] / figures['bare_frame']:.2f}× bare_frame (its Python"
        " work runs one thread at a time, so Ready can't come before most of it)"
    )
    print(
        f"  CPU used by Ready (app and backend): {figures['app_ready_cpu']:.3f} s on {cores} cores,"
        f" so Ready can't come before {floor:.3f} s = {floor / figures['bare_frame']:.2f}×"
        " bare_frame"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
