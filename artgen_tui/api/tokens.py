"""What the client needs from a token store: the seam that keeps the wire layer below the core.

:class:`~artgen_tui.core.credentials.CredentialStore` implements it on disk; tests may pass any
object with these methods.
"""

from __future__ import annotations

from typing import Protocol

from artgen_tui.api.models import Token


class TokenStore(Protocol):
    """Where the client keeps its identity for one API base URL."""

    def client_id(self) -> str:
        """The stable ``X-Client-Id`` sent with every token request."""
        ...

    def load_token(self) -> Token | None:
        """The saved token if it is still usable, else ``None``."""
        ...

    def save_token(self, token: Token) -> None:
        """Keep a freshly issued token for the next run."""
        ...
