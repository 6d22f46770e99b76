"""Stopping from outside: a terminal that goes away (no SIGHUP: the app is in its own session, as
under ``setsid``, or ``nohup`` after a dropped SSH connection) closes artgen, where Textual's driver
would read on and on at 100% of a core (Textualize/textual#6690); SIGTERM and SIGHUP end it as
quitting does, the terminal restored. See :mod:`artgen_tui.tui.outside_stop`."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.drivers._writer_thread import WriterThread

from artgen_tui.tui.outside_stop import TERMINAL_GONE, TERMINATED, DrainingWriterThread

pytestmark = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="reads /proc")

BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self):
            yield Label("BARE-UP")

    Bare().run()
    """
)
SPINNING_READS = 1000
"""Read calls in half a second that only a loop reading an ended input makes (an idle app makes a
handful; a spinning one makes hundreds of thousands)."""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX")}
    env.update(ARTGEN_HOME=str(home), TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
    return env


def _reads(pid: int) -> int:
    """Read system calls the process has made so far."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError("no syscr in /proc/<pid>/io")


def _reads_in_half_a_second(pid: int) -> int:
    before = _reads(pid)
    time.sleep(0.5)
    return _reads(pid) - before


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


@contextlib.contextmanager
def _on_a_terminal(
    argv: list[str], env: dict[str, str], shown: str
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``argv`` on a fresh pty, in its own session (so no SIGHUP reaches it), once ``shown`` is
    on screen: the process and the terminal's master end (the test closes it)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    closed = False
    try:
        raw, deadline = b"", time.monotonic() + 30
        while shown.encode() not in raw and time.monotonic() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                raw += os.read(master, 1 << 16)
        assert shown.encode() in raw, raw[-500:]
        yield proc, master
        closed = True
    finally:
        if not closed:
            with contextlib.suppress(OSError):
                os.close(master)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(10)


def test_textual_alone_spins_once_its_terminal_is_gone(tmp_path: Path) -> None:
    """What the work-around is for; when this fails, Textual has fixed it: drop outside_stop.py."""
    script = tmp_path / "bare.py"
    script.write_text(BARE_APP)
    with _on_a_terminal([sys.executable, str(script)], _env(tmp_path), "BARE-UP") as (proc, master):
        assert _reads_in_half_a_second(proc.pid) < SPINNING_READS
        os.close(master)
        time.sleep(0.3)
        assert proc.poll() is None
        assert _reads_in_half_a_second(proc.pid) > SPINNING_READS


def _gone(pids: list[int]) -> bool:
    """Whether every one of ``pids`` has ended (a zombie has)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        with contextlib.suppress(OSError):
            alive = [
                p
                for p in alive
                if Path(f"/proc/{p}/stat").read_text().split(")")[1].split()[0] != "Z"
            ]
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _read_until_exit(proc: subprocess.Popen[bytes], master: int) -> bytes:
    """What the app writes from now until it exits (its last words to the terminal)."""
    raw, deadline = b"", time.monotonic() + 20
    while time.monotonic() < deadline:
        chunk = b""
        if select.select([master], [], [], 0.05)[0]:
            with contextlib.suppress(OSError):  # EIO: every writer has closed the terminal
                chunk = os.read(master, 1 << 16)
            raw += chunk
        if not chunk and proc.poll() is not None:
            break
    return raw


def test_artgen_stops_when_its_terminal_is_gone(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "artgen_tui", "--local"]
    with _on_a_terminal(argv, _env(tmp_path / "home"), "Ready") as (proc, master):
        backend = _children(proc.pid)
        assert backend, "the embedded backend runs as a child"
        os.close(master)
        assert proc.wait(20) == TERMINAL_GONE
        assert _gone(backend)


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGTERM, TERMINATED), (signal.SIGHUP, TERMINAL_GONE)],
    ids=["SIGTERM", "SIGHUP"],
)
def test_a_signal_to_stop_ends_artgen_as_quitting_does(
    tmp_path: Path, signum: int, status: int
) -> None:
    """The terminal is given back (main screen, mouse reporting off, cursor shown) and the
    backend stops: ``kill`` leaves a usable shell behind."""
    argv = [sys.executable, "-m", "artgen_tui", "--local"]
    with _on_a_terminal(argv, _env(tmp_path / "home"), "Ready") as (proc, master):
        backend = _children(proc.pid)
        proc.send_signal(signum)
        last_words = _read_until_exit(proc, master)
        assert proc.wait(5) == status
        for restore in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h"):
            assert restore in last_words, restore
        assert _gone(backend)
        os.close(master)


def test_input_that_is_not_a_terminal_just_stops_being_read(tmp_path: Path) -> None:
    """``artgen < /dev/null``: nothing to read, nothing spun; Ctrl+C still ends it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", "--local"],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=_env(tmp_path / "home"),
        start_new_session=True,
    )
    os.close(slave)
    try:
        raw, deadline = b"", time.monotonic() + 30
        while b"Ready" not in raw and time.monotonic() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                raw += os.read(master, 1 << 16)
        assert b"Ready" in raw
        assert proc.poll() is None
        assert _reads_in_half_a_second(proc.pid) < SPINNING_READS
    finally:
        os.close(master)
        proc.kill()
        proc.wait(10)


def _settled_threads(pid: int) -> int:
    """How many threads the process has once that number holds for half a second."""
    seen: list[int] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(seen) < 3 or len(set(seen[-3:])) > 1):
        seen.append(len(list(Path(f"/proc/{pid}/task").iterdir())))
        time.sleep(0.25)
    return seen[-1]


class _GoneTerminal(io.StringIO):
    """A terminal that went away: every write fails as a closed pty's does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EIO, "Input/output error")


def _writes_then_stops(writer: WriterThread, count: int) -> threading.Thread:
    """``count`` writes then ``stop()``, on a thread of their own (it may hang: a daemon)."""

    def run() -> None:
        for n in range(count):
            writer.write(f"frame {n}")
        writer.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_textuals_output_thread_hangs_its_writers_once_the_terminal_is_gone() -> None:
    """What DrainingWriterThread is for; when this fails, Textual has fixed it."""
    writer = WriterThread(_GoneTerminal())
    writer.start()
    writes = _writes_then_stops(writer, 100)
    writes.join(2)
    assert writes.is_alive()  # blocked for good: the output thread died at the first write


def test_our_output_thread_drops_what_it_cannot_write_and_stops() -> None:
    writer = DrainingWriterThread(_GoneTerminal())
    writer.start()
    writes = _writes_then_stops(writer, 100)
    writes.join(10)
    assert not writes.is_alive() and not writer.is_alive()


def test_a_stray_sigcont_starts_nothing_twice(tmp_path: Path) -> None:
    """The SIGCONT that comes with a hang-up (or ``kill -CONT``) resumes only a suspended app:
    Textual would start a second output and input thread."""
    argv = [sys.executable, "-m", "artgen_tui", "--local"]
    with _on_a_terminal(argv, _env(tmp_path / "home"), "Ready") as (proc, master):
        threads = _settled_threads(proc.pid)  # once the work started after Ready has its own
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        assert _settled_threads(proc.pid) == threads
        os.close(master)
        assert proc.wait(20) == TERMINAL_GONE
