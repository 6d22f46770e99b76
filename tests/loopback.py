"""A real HTTP server on a free loopback port for API-client tests (uvicorn in a thread).

Tests hand it a small Starlette app that sends hand-written responses, and read back what the
client actually put on the wire through :class:`Seen`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Seen:
    """Every request the server received, in order (thread-safe append)."""

    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def record(self, request: Request, *, read_body: bool = True) -> Hit:
        body = await request.body() if read_body else b""
        hit = Hit(request.method, request.url.path, dict(request.headers), body)
        with self.lock:
            self.hits.append(hit)
        return hit

    def paths(self) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits]

    def to(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]


@contextmanager
def serve(app: Any, **config: Any) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 at a free port; yields the base URL.

    ``config`` goes to ``uvicorn.Config`` (e.g. ``ssl_certfile``/``ssl_keyfile`` for https).
    """
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, **config)
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("loopback test server did not start")
        time.sleep(0.005)
    try:
        scheme = "https" if config.get("ssl_certfile") else "http"
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A loopback port nothing listens on (for connection-refused tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def token_response(seen: Seen, request: Request, prefix: str, user_id: str) -> JSONResponse:
    """An anonymous-token answer numbered by how many token requests ``seen`` holds."""
    n = len(seen.to(request.url.path))
    return JSONResponse({"code": 0, "data": {"token": f"nmv_usr_{prefix}{n}", "user_id": user_id}})


class ServiceSlot:
    """One loopback server for a whole test module, with a fresh scripted service per test.

    ``routes`` maps a path template to the name of the service method that answers it; tests
    call :meth:`install` to put a new service behind the running server.
    """

    def __init__(self, routes: dict[str, str], methods: tuple[str, ...] = ("GET", "POST")) -> None:
        self.routes = routes
        self.methods = list(methods)
        self.current: Any = None

    def install(self, service: Any) -> Any:
        self.current = service
        return service

    @contextmanager
    def serve(self) -> Iterator[str]:
        from starlette.applications import Starlette
        from starlette.routing import Route

        def delegate(name: str) -> Any:
            async def endpoint(request: Request) -> Any:
                return await getattr(self.current, name)(request)

            return endpoint

        app = Starlette(
            routes=[Route(p, delegate(n), methods=self.methods) for p, n in self.routes.items()]
        )
        with serve(app) as url:
            yield url
