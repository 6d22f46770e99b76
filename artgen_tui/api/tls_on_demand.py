"""The client's transport: httpx's own, with its TLS part made when an https request first needs
it.

httpx builds a client's TLS context (loading the CA bundle, ~30 ms) when the client is made, even
for a plain-http service such as the local backend, which never uses it. Here https requests go
to an ``httpx.AsyncHTTPTransport()`` made on the first of them, with httpx's defaults, so
certificates are verified exactly as before; plain-http requests go to a transport whose TLS
context has no certificates at all (it is never used: a plain-http connection has no TLS, and
were it used, it would trust no server).
"""

from __future__ import annotations

import ssl

import httpx


class TlsOnDemand(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._plain: httpx.AsyncHTTPTransport | None = None
        self._tls: httpx.AsyncHTTPTransport | None = None

    @property
    def tls_made(self) -> bool:
        """Whether an https request has needed the TLS transport yet."""
        return self._tls is not None

    def _transport(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        if url.scheme == "https":
            if self._tls is None:
                self._tls = httpx.AsyncHTTPTransport()
            return self._tls
        if self._plain is None:
            self._plain = httpx.AsyncHTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        return self._plain

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._plain, self._tls):
            if transport is not None:
                await transport.aclose()
