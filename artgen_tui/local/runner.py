"""Run the local backend: in a background thread (``LocalBackend``) or in the foreground (``serve``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from artgen_tui.local.child import bind as _bind
from artgen_tui.local.child import url_of as _url
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.server import LocalApi, create_app

START_TIMEOUT = 15.0


class _Server(uvicorn.Server):
    """Ends open chat streams first on shutdown, so they close cleanly instead of timing out."""

    def __init__(self, config: uvicorn.Config, api: LocalApi) -> None:
        super().__init__(config)
        self.api = api

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.api.close_streams()
        await super().shutdown(sockets=sockets)


def _server(data_dir: Path, options: LocalOptions) -> _Server:
    app = create_app(data_dir, options)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        ws="none",
    )
    return _Server(config, app.state.api)


class LocalBackend:
    """The local backend on its own thread and event loop.

    ``start()`` returns once it listens; ``url`` is its base URL; ``stop()`` shuts it down. Also a
    context manager. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        options: LocalOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.options = options or LocalOptions()
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def start(self) -> LocalBackend:
        if self._thread is not None:
            return self
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = _server(self.data_dir, self.options)
        self._server = server

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="artgen-local-backend", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local backend did not start: {self._error or 'timed out'}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalBackend:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    data_dir: Path,
    options: LocalOptions | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
) -> None:
    """Run in the foreground until Ctrl+C (``artgen serve-local``). Raises ``OSError`` when the
    port is taken and ``FaultSpecError`` (a ``ValueError``) for a bad fault spec."""
    options = options or LocalOptions()
    server = _server(data_dir, options)
    sock = _bind(host, port)
    actual = sock.getsockname()[1]
    print(
        f"artgen local backend on {_url(host, actual)}  data: {data_dir}",
        file=sys.stderr,
        flush=True,
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def serve_on(
    sock: socket.socket,
    data_dir: Path,
    options: LocalOptions,
    *,
    until: Callable[[Callable[[], None]], None],
) -> None:
    """Serve on an already bound socket until ``until`` (run on a daemon thread) calls the stop
    function it is given: the embedded backend's child process (:mod:`.child`)."""
    server = _server(data_dir, options)

    def stop() -> None:
        server.should_exit = True

    threading.Thread(target=until, args=(stop,), name="artgen-backend-until", daemon=True).start()
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        with contextlib.suppress(OSError):
            sock.close()
