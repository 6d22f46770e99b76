"""One user's connection to the service: the client, the token and the current session.

Both faces (TUI and CLI) hold one :class:`Workspace`. It resumes the last session saved for the API
URL, and whenever the server says a session is gone (code 1002) it creates a new one, saves it and
tells the user through ``on_notice``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import ApiError, SessionNotFound
from artgen_tui.api.models import Credits, SessionInfo, SessionState, UploadResult
from artgen_tui.config import Settings
from artgen_tui.core.credentials import CredentialStore
from artgen_tui.core.identities import identity_for as identity_for
from artgen_tui.core.identities import is_embedded as is_embedded
from artgen_tui.core.identities import register_local_backend as register_local_backend
from artgen_tui.core.sessions import SessionGone as SessionGone
from artgen_tui.core.sessions import SessionIndex

log = logging.getLogger(__name__)

NoticeCallback = Callable[[str], None]
T = TypeVar("T")

SESSION_LOST_NOTICE = "The previous session no longer exists on the server; started a new one."


class NotReady(ApiError):
    """A session call was made before :meth:`Workspace.ready`."""

    default_hint = "This is a bug in artgen: the workspace was used before it was ready."


class Workspace:
    """Owns the :class:`NemoClient` and the current session. Use as an async context manager."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_notice: NoticeCallback | None = None,
        credentials: CredentialStore | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity_for(settings.api_url)
        """Key for persisted tokens, sessions and jobs (the API URL, or a local backend's dir)."""
        self.credentials = credentials or CredentialStore.default(self.identity)
        self._on_notice = on_notice
        token = settings.token.get_secret_value() if settings.token is not None else None
        self.client = NemoClient(
            ClientOptions(
                api_url=settings.api_url,
                skill_source=settings.skill_source,
                skill_version=settings.skill_version,
                skill_platform=settings.skill_platform,
                language=settings.language,
                request_timeout=settings.request_timeout,
                stream_timeout=settings.stream_timeout,
                max_retry_after=settings.network.max_retry_after,
                request_deadline=settings.network.request_deadline,
                stream_idle=settings.network.stream_idle,
                stream_event_idle=settings.network.stream_event_idle,
                turn_deadline=settings.network.turn_deadline,
                min_download_rate=settings.network.min_download_rate,
                download_window=settings.network.download_window,
            ),
            self.credentials,
            static_token=token or None,
            on_notice=self.notice,
            fast_downloads=settings.fast_downloads,
        )
        self._session: SessionInfo | None = None
        self.last_state: SessionState | None = None
        """The latest state fetched by :meth:`state` (or ``None`` before the first)."""
        self.last_credits: Credits | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Workspace:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    def notice(self, text: str) -> None:
        """Tell the user something happened (new token, new session, a rate-limit wait)."""
        if self._on_notice is not None:
            self._on_notice(text)

    def set_notice_callback(self, callback: NoticeCallback | None) -> None:
        self._on_notice = callback

    @contextlib.contextmanager
    def capture_notices(self) -> Iterator[list[str]]:
        """Collect notices in a list instead of passing them on (a turn yields them as events,
        in order with its reply)."""
        captured: list[str] = []
        previous, self._on_notice = self._on_notice, captured.append
        try:
            yield captured
        finally:
            self._on_notice = previous

    # --- session -----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def session(self) -> SessionInfo:
        """The current session; raises :class:`NotReady` before :meth:`ready`."""
        if self._session is None:
            raise NotReady("No session yet.")
        return self._session

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def has_timeline(self) -> bool | None:
        """Whether the session's timeline can be exported (what prices a message as an edit
        rather than a generation); ``None`` before its state is known."""
        return None if self.last_state is None else self.last_state.draft.ready_for_export

    @property
    def user_id(self) -> str | None:
        uid = self.client.user_id
        if uid:
            return uid
        if self._session is not None and self._session.user_id:
            return self._session.user_id
        if self.last_state is not None:
            return self.last_state.user_id
        return None

    @property
    def sessions(self) -> SessionIndex:
        """This identity's local session list (kept beside the credentials)."""
        saved = self.credentials.load_session()
        return SessionIndex(
            self.identity,
            state_dir=self.credentials.directory,
            remembered=saved.session_id if saved else None,
        )

    async def ready(self, session_id: str | None = None, new: bool = False) -> SessionInfo:
        """Get a token, then the session: ``new`` creates one; ``session_id`` is opened (see
        :meth:`open_session`: :class:`SessionGone` if the server does not have it, and the
        remembered session stays); else the saved session is verified with a state call (and
        replaced, with a notice, if the server lost it)."""
        await self.client.ensure_token()
        if new:
            return await self.new_session()
        if session_id:
            return await self.open_session(session_id)
        wanted = self.credentials.load_session()
        if wanted is None:
            return await self.new_session()
        self._session = wanted
        try:
            self.last_state = await self.client.state(wanted.session_id)
        except SessionNotFound:
            log.info(
                "saved session %s is gone on the server; starting a new one", wanted.session_id
            )
            self._session = None
            info = await self.new_session(parent=wanted.session_id)
            self.notice(SESSION_LOST_NOTICE)
            return info
        self._remember(wanted)
        return wanted

    async def open_session(self, session_id: str) -> SessionInfo:
        """Make ``session_id`` (or the one local session it abbreviates) current after checking
        the server has it; raises :class:`SessionGone` and changes nothing if it does not."""
        known = self.sessions.find(session_id)
        full = known.session_id if known is not None else session_id
        saved = self.credentials.load_session()
        wanted = (
            saved
            if saved is not None and saved.session_id == full
            else SessionInfo(session_id=full)
        )
        try:
            state = await self.client.state(full)
        except SessionNotFound as exc:
            message = (
                f"The server no longer has session {full!r}; its transcript is still here."
                if known is not None
                else f"The server has no session {full!r}, and there is no local record of it."
            )
            raise SessionGone(message, http_status=exc.http_status) from exc
        self._session, self.last_state = wanted, state
        self._remember(wanted)
        return wanted

    def _remember(self, info: SessionInfo, parent: str | None = None) -> None:
        self.credentials.save_session(info)
        self.sessions.touch(info.session_id, parent=parent)

    async def new_session(self, *, parent: str | None = None) -> SessionInfo:
        """Create a fresh session, make it current and remember it for next time; ``parent``
        is a session it continues (its transcript is shown for reference)."""
        info = await self.client.create_session(language=self.settings.language)
        self._session = info
        self.last_state = None
        self._remember(info, parent)
        return info

    async def recover_session(self) -> SessionInfo:
        """After a 1002: create a new session and tell the user."""
        log.info("session lost on the server; starting a new one")
        lost = self._session.session_id if self._session is not None else None
        info = await self.new_session(parent=lost)
        self.notice(SESSION_LOST_NOTICE)
        return info

    async def with_session(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call(session_id)``; on 1002 start a new session (with a notice) and retry once."""
        try:
            return await call(self.session_id)
        except SessionNotFound:
            await self.recover_session()
            return await call(self.session_id)

    # --- calls -------------------------------------------------------------------------------

    async def credits(self) -> Credits:
        self.last_credits = await self.client.credits()
        return self.last_credits

    async def state(self) -> SessionState:
        """Fetch the current session's state and keep it as :attr:`last_state`."""
        self.last_state = await self.with_session(self.client.state)
        return self.last_state

    async def upload_files(
        self, files: list[Path], progress: Callable[[int, int | None], None] | None = None
    ) -> UploadResult:
        return await self.with_session(
            lambda sid: self.client.upload_files(sid, files, progress=progress)
        )

    async def upload_urls(self, urls: list[str]) -> UploadResult:
        return await self.with_session(lambda sid: self.client.upload_urls(sid, urls))
