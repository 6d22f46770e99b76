"""The trust store for https: httpx's default TLS context, made once and shared, and loadable ahead.

Making it takes 20–30 ms, nearly all of it OpenSSL reading the CA certificates with the GIL
released. :func:`warm_up` starts that on a thread, so it runs on another core while the app does
other work (the app: right after its first frame, while it loads its settings) instead of on the
way to "Ready". The context is the one ``httpx.create_ssl_context()`` makes: ``SSL_CERT_FILE`` or
``SSL_CERT_DIR`` when set, certifi otherwise; one per value of those variables.

Importing this module is cheap: httpx is imported when a context is made or warmed up.
"""

from __future__ import annotations

import os
import ssl
import threading
from concurrent.futures import Future

from artgen_tui.api.errors import TrustStoreError
from artgen_tui.api.untrusted import clean_line

_Key = tuple[str | None, str | None]

_lock = threading.Lock()
_contexts: dict[_Key, Future[ssl.SSLContext]] = {}


def _key() -> _Key:
    return (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def _claim(key: _Key) -> tuple[Future[ssl.SSLContext], bool]:
    """The future for ``key``, and whether the caller is the one to make it."""
    with _lock:
        future = _contexts.get(key)
        if future is not None:
            return future, False
        future = _contexts[key] = Future()
        return future, True


def _make(key: _Key, future: Future[ssl.SSLContext]) -> None:
    try:
        import httpx

        future.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # handed to whoever waits; the next ask tries again
        with _lock:
            _contexts.pop(key, None)
        if isinstance(exc, OSError):  # ssl.SSLError is one
            exc = _unreadable(key, exc)
        future.set_exception(exc)


def _unreadable(key: _Key, exc: OSError) -> TrustStoreError:
    cert_file, cert_dir = key
    if cert_file:
        source, fix = f"SSL_CERT_FILE ({cert_file})", "Fix or unset SSL_CERT_FILE"
    elif cert_dir:
        source, fix = f"SSL_CERT_DIR ({cert_dir})", "Fix or unset SSL_CERT_DIR"
    else:
        source, fix = "the certifi package", "Reinstall artgen"
    if isinstance(exc, ssl.SSLError):  # "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no cert… (_ssl.c:…)"
        reason = (exc.reason or "").replace("_", " ").lower() or "not certificates"
    else:
        reason = exc.strerror or str(exc)
    return TrustStoreError(
        clean_line(f"The certificates for https could not be loaded from {source}: {reason}."),
        hint=f"{fix}, then try again.",
    )


def warm_up() -> None:
    """Start making the default context on a thread (once per trust store). httpx is imported
    here first: importing holds the GIL, so on the thread it would only slow the caller down."""
    import certifi  # noqa: F401
    import httpx  # noqa: F401

    key = _key()
    future, mine = _claim(key)
    if mine:
        threading.Thread(target=_make, args=(key, future), name="tls-warm-up", daemon=True).start()


def default_context() -> ssl.SSLContext:
    """The default context for the trust store the environment names now (made here if no
    warm-up started it; waits for one that did). Raises :class:`TrustStoreError` when the
    certificates cannot be loaded (each call tries again)."""
    key = _key()
    future, mine = _claim(key)
    if mine:
        _make(key, future)
    return future.result()
