"""The client id, the token and the last session, kept in the state dir (0700 dir, 0600 files).

Writes run under the file's inter-process lock (:func:`artgen_tui.paths.locked`); each file holds
one value, so the last writer wins, and the client id is made only once.

The token is never logged or printed; :func:`redact` (from the wire layer) masks it wherever text
might carry it. :class:`CredentialStore` is the :class:`~artgen_tui.api.tokens.TokenStore` the
client reads and writes tokens through.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from artgen_tui import paths
from artgen_tui.api.logsafe import redact
from artgen_tui.api.models import SessionInfo, Token

__all__ = ["CredentialStore", "as_dict", "redact"]


@dataclass
class CredentialStore:
    """Persistent identity for one API base URL.

    Tokens are stored per API URL so a local backend's token never goes to the cloud.
    """

    directory: Path
    api_url: str

    @classmethod
    def default(cls, api_url: str) -> CredentialStore:
        return cls(paths.state_dir(), api_url)

    @property
    def _key(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "_", self.api_url).strip("_")[:80] or "default"

    @property
    def client_id_file(self) -> Path:
        return self.directory / "client_id"

    @property
    def token_file(self) -> Path:
        return self.directory / "tokens" / f"{self._key}.json"

    @property
    def session_file(self) -> Path:
        return self.directory / "sessions" / f"{self._key}.json"

    def _saved_client_id(self) -> str | None:
        try:
            value = self.client_id_file.read_text("utf-8").strip()
        except (OSError, ValueError):
            return None
        return (
            value
            if value and len(value) <= 64 and value.isascii() and value.isprintable()
            else None
        )

    def client_id(self) -> str:
        """The stable ``X-Client-Id``: made once (a UUID4) and reused for every token request.

        Made under the file's lock, so two first runs at once agree on one id."""
        value = self._saved_client_id()
        if value is not None:
            return value
        with paths.locked(self.client_id_file):
            value = self._saved_client_id() or str(uuid.uuid4())
            paths.atomic_write_text(self.client_id_file, value + "\n")
        return value

    def renew_client_id(self, refused: str | None = None) -> str:
        """A new ``X-Client-Id`` replacing the stored one (the service asks for that after it
        refuses an id).

        Under the file's lock: when the stored id is no longer ``refused``, another process has
        already replaced it, and that one is kept and returned (two runs refused at once then
        agree on one new id instead of each writing its own).
        """
        with paths.locked(self.client_id_file):
            stored = self._saved_client_id()
            if refused is not None and stored is not None and stored != refused:
                return stored
            value = str(uuid.uuid4())
            paths.atomic_write_text(self.client_id_file, value + "\n")
        return value

    def load_token(self) -> Token | None:
        """The saved token if present and not within a minute of expiry."""
        raw = paths.read_json(self.token_file)
        if not isinstance(raw, dict):
            return None
        try:
            token = Token.model_validate(raw)
        except ValueError:
            return None
        if token.expires_at is not None:
            expires = token.expires_at
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            if expires - timedelta(minutes=1) <= datetime.now(UTC):
                return None
        return token

    def save_token(self, token: Token) -> None:
        paths.ensure_private_dir(self.directory)
        with paths.locked(self.token_file):
            paths.atomic_write_json(self.token_file, token.model_dump(mode="json"))

    def clear_token(self) -> None:
        with paths.locked(self.token_file):
            self.token_file.unlink(missing_ok=True)

    def load_session(self) -> SessionInfo | None:
        raw = paths.read_json(self.session_file)
        if not isinstance(raw, dict):
            return None
        try:
            return SessionInfo.model_validate(raw)
        except ValueError:
            return None

    def save_session(self, session: SessionInfo) -> None:
        paths.ensure_private_dir(self.directory)
        with paths.locked(self.session_file):
            paths.atomic_write_json(self.session_file, session.model_dump(mode="json"))


def as_dict(token: Token | None) -> dict[str, Any]:
    """A printable view of a token with the secret masked."""
    if token is None:
        return {}
    data = token.model_dump(mode="json")
    data["token"] = redact(token.token)
    return data
