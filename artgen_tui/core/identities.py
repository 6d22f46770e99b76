"""Which key tokens, sessions and jobs are kept under for an API URL, and whether that URL is the
embedded backend this process started. Standard library only: ``artgen --local`` registers its
backend before the app's first frame, long before the client is loaded."""

from __future__ import annotations

from pathlib import Path

_LOCAL_IDENTITIES: dict[str, str] = {}


def register_local_backend(url: str, data_dir: Path) -> None:
    """Key credentials and jobs for an embedded backend by its data dir, not its (random) port,
    so separate ``--local`` runs share the token and the last session."""
    _LOCAL_IDENTITIES[url.rstrip("/")] = f"local {data_dir.expanduser().resolve()}"


def identity_for(api_url: str) -> str:
    """The key under which tokens, sessions and jobs for ``api_url`` are kept."""
    return _LOCAL_IDENTITIES.get(api_url.rstrip("/"), api_url)


def is_embedded(api_url: str) -> bool:
    """True when ``api_url`` is a backend this process started (``--local``)."""
    return api_url.rstrip("/") in _LOCAL_IDENTITIES
