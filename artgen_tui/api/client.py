"""NemoClient: every endpoint of protocol.md §4 over async httpx, with the recovery policy of design.md §3.

INTERFACE DRAFT: signatures are the contract other modules code against; bodies are being written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artgen_tui import __version__
from artgen_tui.api.events import ChatEvent
from artgen_tui.api.models import Credits, RenderJob, SessionInfo, SessionState, Token, UploadResult
from artgen_tui.core.credentials import CredentialStore

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None)."""

NoticeCallback = Callable[[str], None]
"""Called with a short human sentence when the client recovers from something (429 wait, new token)."""


@dataclass(frozen=True)
class ClientOptions:
    api_url: str
    skill_source: str = "art-generator"
    skill_version: str = __version__
    skill_platform: str = "unknown"
    language: str = "en"
    request_timeout: float = 30.0
    stream_timeout: float = 900.0


class NemoClient:
    def __init__(
        self,
        options: ClientOptions,
        credentials: CredentialStore,
        *,
        static_token: str | None = None,
        on_notice: NoticeCallback | None = None,
    ) -> None: ...

    async def __aenter__(self) -> NemoClient: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def aclose(self) -> None: ...

    @property
    def user_id(self) -> str | None: ...

    async def ensure_token(self, *, force_new: bool = False) -> Token: ...
    async def create_session(
        self, task_name: str = "project", language: str | None = None
    ) -> SessionInfo: ...
    def stream_chat(self, session_id: str, text: str) -> AsyncIterator[ChatEvent]: ...
    async def upload_files(
        self, session_id: str, files: Sequence[Path], progress: ProgressCallback | None = None
    ) -> UploadResult: ...
    async def upload_urls(self, session_id: str, urls: Sequence[str]) -> UploadResult: ...
    async def credits(self) -> Credits: ...
    async def state(self, session_id: str) -> SessionState: ...
    async def submit_render(
        self, session_id: str, draft: dict[str, Any], *, output: dict[str, Any] | None = None
    ) -> RenderJob: ...
    async def poll_render(self, render_id: str) -> RenderJob: ...
    async def cancel_render(self, render_id: str) -> RenderJob | None: ...
    async def download_render(
        self,
        render_id: str,
        dest: Path,
        *,
        url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Path: ...
