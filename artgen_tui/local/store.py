"""Persistent state of the local backend: plain JSON files under its data dir.

Layout::

    auth.json            tokens, the token of each X-Client-Id, new-token log per IP, claim tokens
    users.json           users and their credits (available, frozen)
    sessions/<sid>.json  one session: ids, task name, turn count, uploads, and the ADK state
    renders/<id>.json    one render job; renders/<id>.mp4 is its output once completed
    files/<sid>/<name>   uploaded files

Every write is atomic (:func:`artgen_tui.paths.atomic_write_json`) and every read goes to disk, so
a restarted backend, or a second process on the same data dir, sees the same sessions. Writes in
one process are serialised by one asyncio lock; two processes writing the same file at the same
moment is not guarded (last writer wins). Corrupt files read as empty rather than crashing.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from artgen_tui import paths

TOKEN_TTL = 7 * 24 * 3600.0
IP_WINDOW = 7 * 24 * 3600.0
CLAIM_TTL = 7 * 24 * 3600

_SID_RE = re.compile(r"^[0-9]{19}$")
_RENDER_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")

T = TypeVar("T")


class TooManyTokens(Exception):
    """Past the per-IP limit of new anonymous tokens."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many new tokens from this address; retry in {retry_after} s")
        self.retry_after = retry_after


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_session_id(sid: str) -> bool:
    return bool(_SID_RE.match(sid))


def valid_render_id(render_id: str) -> bool:
    return bool(_RENDER_ID_RE.match(render_id)) and render_id not in (".", "..")


def new_session_id() -> str:
    return str(secrets.randbelow(9 * 10**18) + 10**18)


def empty_state() -> dict[str, Any]:
    return {
        "video_infos": [],
        "draft": {"d": 0, "m": {}, "t": []},
        "canvas_config": {"width": 1920, "height": 1080, "aspect_ratio": "16:9", "fps": 24},
        "video_analyses": {},
        "generated_media": [],
    }


class Store:
    def __init__(self, root: Path, *, starting_credits: int = 500, token_ip_limit: int = 50):
        self.root = root
        self.starting_credits = starting_credits
        self.token_ip_limit = token_ip_limit
        self.lock = asyncio.Lock()
        paths.ensure_private_dir(root)
        for sub in ("sessions", "renders", "files"):
            paths.ensure_private_dir(root / sub)

    # -- paths -------------------------------------------------------------------------------
    @property
    def auth_file(self) -> Path:
        return self.root / "auth.json"

    @property
    def users_file(self) -> Path:
        return self.root / "users.json"

    def session_file(self, sid: str) -> Path:
        return self.root / "sessions" / f"{sid}.json"

    def files_dir(self, sid: str) -> Path:
        return self.root / "files" / sid

    @property
    def renders_dir(self) -> Path:
        return self.root / "renders"

    def render_file(self, render_id: str) -> Path:
        return self.renders_dir / f"{render_id}.json"

    def render_output(self, render_id: str) -> Path:
        return self.renders_dir / f"{render_id}.mp4"

    # -- raw JSON ----------------------------------------------------------------------------
    @staticmethod
    def _read_dict(path: Path) -> dict[str, Any]:
        data = paths.read_json(path)
        return data if isinstance(data, dict) else {}

    def _auth(self) -> dict[str, Any]:
        data = self._read_dict(self.auth_file)
        for key in ("tokens", "clients", "issued", "claims"):
            if not isinstance(data.get(key), dict):
                data[key] = {}
        return data

    # -- tokens and users --------------------------------------------------------------------
    async def anonymous_token(self, client_id: str, ip: str) -> dict[str, Any]:
        """The client's still-valid token, or a new one (same user as before for this client).

        Raises :class:`TooManyTokens` past ``token_ip_limit`` new tokens per IP per 7 days.
        """
        async with self.lock:
            now = time.time()
            auth = self._auth()
            users = self._read_dict(self.users_file)
            client = auth["clients"].get(client_id)
            if isinstance(client, dict):
                tok = auth["tokens"].get(client.get("token"))
                if isinstance(tok, dict) and tok.get("expires_at", 0) > now:
                    user = users.get(tok["user_id"], {})
                    return self._token_view(str(client["token"]), tok, user)
            issued = [t for t in auth["issued"].get(ip, []) if isinstance(t, int | float)]
            issued = [t for t in issued if t > now - IP_WINDOW]
            if len(issued) >= self.token_ip_limit:
                retry = max(1, int(min(issued) + IP_WINDOW - now) + 1)
                raise TooManyTokens(retry)
            user_id = client.get("user_id") if isinstance(client, dict) else None
            if not isinstance(user_id, str) or user_id not in users:
                user_id = f"anon_{secrets.token_hex(6)}"
                users[user_id] = {
                    "user_id": user_id,
                    "client_id": client_id,
                    "created_at": now,
                    "available": self.starting_credits,
                    "frozen": 0,
                }
            token = f"nmv_usr_{secrets.token_urlsafe(24).replace('-', 'x')}"
            rec = {
                "user_id": user_id,
                "client_id": client_id,
                "created_at": now,
                "expires_at": now + TOKEN_TTL,
            }
            auth["tokens"][token] = rec
            auth["clients"][client_id] = {"user_id": user_id, "token": token}
            auth["issued"][ip] = [*issued, now]
            paths.atomic_write_json(self.users_file, users)
            paths.atomic_write_json(self.auth_file, auth)
            return self._token_view(token, rec, users[user_id])

    @staticmethod
    def _token_view(token: str, rec: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": token,
            "user_id": rec["user_id"],
            "expires_at": iso(float(rec["expires_at"])),
            "credits": int(user.get("available", 0)),
        }

    async def user_for_token(self, token: str) -> str | None:
        """The user a token belongs to, or ``None`` when it is unknown or expired."""
        rec = self._auth()["tokens"].get(token)
        if not isinstance(rec, dict) or float(rec.get("expires_at", 0)) <= time.time():
            return None
        user_id = rec.get("user_id")
        return user_id if isinstance(user_id, str) else None

    async def expire_token(self, token: str) -> None:
        async with self.lock:
            auth = self._auth()
            rec = auth["tokens"].get(token)
            if isinstance(rec, dict):
                rec["expires_at"] = time.time() - 1
                paths.atomic_write_json(self.auth_file, auth)

    async def new_claim(self, user_id: str, task_id: str, session_id: str) -> dict[str, Any]:
        async with self.lock:
            auth = self._auth()
            claim = f"clm_{secrets.token_urlsafe(18)}"
            auth["claims"][claim] = {
                "user_id": user_id,
                "task_id": task_id,
                "session_id": session_id,
                "expires_at": time.time() + CLAIM_TTL,
            }
            paths.atomic_write_json(self.auth_file, auth)
            return {"claim_token": claim, "expires_in": CLAIM_TTL}

    # -- credits -----------------------------------------------------------------------------
    def _user(self, users: dict[str, Any], user_id: str) -> dict[str, Any]:
        user = users.get(user_id)
        if not isinstance(user, dict):
            user = {"user_id": user_id, "available": self.starting_credits, "frozen": 0}
            users[user_id] = user
        return user

    async def credits(self, user_id: str) -> dict[str, int]:
        user = self._user(self._read_dict(self.users_file), user_id)
        available, frozen = int(user.get("available", 0)), int(user.get("frozen", 0))
        return {"available": available, "frozen": frozen, "total": available + frozen}

    async def freeze(self, user_id: str, amount: int) -> bool:
        """Move ``amount`` from available to frozen; ``False`` (nothing changes) when short."""
        async with self.lock:
            users = self._read_dict(self.users_file)
            user = self._user(users, user_id)
            if int(user.get("available", 0)) < amount:
                return False
            user["available"] = int(user.get("available", 0)) - amount
            user["frozen"] = int(user.get("frozen", 0)) + amount
            paths.atomic_write_json(self.users_file, users)
            return True

    async def release(self, user_id: str, amount: int, *, refund: bool) -> None:
        """Settle frozen credits: spend them, or give them back when the work did not happen."""
        async with self.lock:
            users = self._read_dict(self.users_file)
            user = self._user(users, user_id)
            user["frozen"] = max(0, int(user.get("frozen", 0)) - amount)
            if refund:
                user["available"] = int(user.get("available", 0)) + amount
            paths.atomic_write_json(self.users_file, users)

    # -- sessions ----------------------------------------------------------------------------
    async def create_session(self, user_id: str, task_name: str, language: str) -> dict[str, Any]:
        async with self.lock:
            sid = new_session_id()
            while self.session_file(sid).exists():
                sid = new_session_id()
            session = {
                "session_id": sid,
                "task_id": f"task_{secrets.token_hex(8)}",
                "task_name": task_name,
                "language": language,
                "user_id": user_id,
                "created_at": time.time(),
                "turns": 0,
                "uploads": {},
                "state": empty_state(),
            }
            paths.atomic_write_json(self.session_file(sid), session)
            return session

    async def session(self, sid: str) -> dict[str, Any] | None:
        if not valid_session_id(sid):
            return None
        data = paths.read_json(self.session_file(sid))
        if not isinstance(data, dict) or not isinstance(data.get("state"), dict):
            return None
        return data

    async def update_session(self, sid: str, change: Callable[[dict[str, Any]], T]) -> T | None:
        """Apply ``change`` to the stored session and save it; ``None`` if it does not exist."""
        async with self.lock:
            session = await self.session(sid)
            if session is None:
                return None
            result = change(session)
            paths.atomic_write_json(self.session_file(sid), session)
            return result

    # -- renders -----------------------------------------------------------------------------
    async def put_render(self, job: dict[str, Any]) -> bool:
        """Store a new job; ``False`` if the id is taken."""
        async with self.lock:
            path = self.render_file(str(job["id"]))
            if path.exists():
                return False
            paths.atomic_write_json(path, job)
            return True

    async def render(self, render_id: str) -> dict[str, Any] | None:
        if not valid_render_id(render_id):
            return None
        data = paths.read_json(self.render_file(render_id))
        return data if isinstance(data, dict) else None

    async def update_render(self, render_id: str, **fields: Any) -> dict[str, Any] | None:
        async with self.lock:
            job = await self.render(render_id)
            if job is None:
                return None
            job.update(fields)
            paths.atomic_write_json(self.render_file(render_id), job)
            return job

    async def renders(self) -> list[dict[str, Any]]:
        jobs = []
        for path in sorted(self.renders_dir.glob("*.json")):
            data = paths.read_json(path)
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                jobs.append(data)
        return jobs
