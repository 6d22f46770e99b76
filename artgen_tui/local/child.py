"""The embedded backend in a child process, for ``artgen --local``'s app.

Started first thing in ``main()``, so the backend's imports and start-up run on another core while
the app paints. The parent binds the listening socket itself: the URL is known at once, and a
request made before the child serves waits in the backlog instead of failing. The child loads the
same settings (same config file, same environment) and serves on that socket until its stdin
closes, which happens when the parent exits for any reason; so it never outlives the app.

Only the standard library is imported here: the parent pays nothing for the backend's modules.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from artgen_tui.config import LocalBackendSettings

YIELD_NICE = 10
"""How far the backend steps back for the app it serves when the CPU is short (see
:func:`_yield_to_the_app`)."""

STOP_TIMEOUT = 10.0
FAILURE_LINES = 10
"""At most this many last lines of what a failed child wrote are reported."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it every
    # small response after the first on a kept-alive connection waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def data_dir_for(local: LocalBackendSettings, override: Path | None = None) -> Path:
    """Where the embedded backend keeps its state: the flag, the config, or the data dir."""
    from artgen_tui import paths

    return (override or local.data_dir or paths.local_backend_dir()).expanduser()


class ChildBackend:
    """The backend in a child process serving on a socket bound here.

    ``url`` is valid as soon as :meth:`start` returns (before the child serves). :meth:`stop` ends
    it and returns what it wrote on stderr (its end) when it failed (``""`` otherwise).
    """

    def __init__(self, config: Path | None, host: str = "127.0.0.1") -> None:
        self.config = config
        self.host = host
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return url_of(self.host, self.port)

    def start(self) -> ChildBackend:
        sock = bind(self.host, 0)
        self.port = sock.getsockname()[1]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (kept until stop())
        argv = [sys.executable, "-m", "artgen_tui.local.child", str(sock.fileno())]
        try:
            self._proc = subprocess.Popen(
                [*argv, str(self.config or "")],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(sock.fileno(),),
                # Its own session: the terminal's signals go to the app alone, and where the
                # scheduler shares CPU per session it does not take the app's share.
                start_new_session=True,
            )
        finally:
            # The child holds the socket now: if it dies, connecting fails at once, not by timeout.
            sock.close()
        return self

    def stop(self) -> str:
        proc, self._proc = self._proc, None
        if proc is None:
            return ""
        failed = proc.poll() not in (None, 0)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        failure = self._failure() if failed else ""
        if self._stderr is not None:
            self._stderr.close()
        return failure

    def _failure(self) -> str:
        if self._stderr is None:
            return "it stopped"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return "\n".join(lines[-FAILURE_LINES:]) if lines else "it stopped"


def _run(fd: int, config: Path | None) -> int:
    from artgen_tui.config import ConfigError, load_settings
    from artgen_tui.local.options import LocalOptions
    from artgen_tui.local.runner import serve_on

    sock = socket.socket(fileno=fd)
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        print(f"the config file: {exc}", file=sys.stderr)
        return 1
    options = LocalOptions.from_settings(settings.local)
    try:
        serve_on(sock, data_dir_for(settings.local), options, until=_serving)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"the local backend could not start: {exc}", file=sys.stderr)
        return 1
    return 0


def _serving(stop: Callable[[], None]) -> None:
    """Run as the server starts: what it loaded lives as long as it (never scanned again), the
    collector runs from now on; then wait for the parent to go (:func:`_stdin_closed`)."""
    gc.freeze()
    gc.enable()
    _stdin_closed(stop)


def _yield_to_the_app() -> None:
    """Give way to the app when both want the CPU (a busy machine): they start together, and the
    app's first frame is what the user waits for; the backend has time to spare until the app
    connects. Where the scheduler shares the CPU per session (autogroup), the session's nice value
    is what counts; the process's own counts otherwise. It only ever lowers the priority."""
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(YIELD_NICE))
    with contextlib.suppress(OSError, AttributeError):
        os.nice(YIELD_NICE)


def _stdin_closed(stop: Callable[[], None]) -> None:
    """Wait until the parent closes our stdin (it quit, or died), then ask the server to stop."""
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):
            pass
    stop()


if __name__ == "__main__":
    # Like the app: no garbage collection while the backend loads (it shares the machine with the
    # app starting up); the collector is back once it serves (see _serving).
    gc.disable()
    _yield_to_the_app()
    raise SystemExit(_run(int(sys.argv[1]), Path(sys.argv[2]) if sys.argv[2] else None))
