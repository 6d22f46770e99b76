from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from artgen_tui.api.models import SessionInfo, Token
from artgen_tui.core.credentials import CredentialStore, as_dict, redact


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_client_id_is_made_once_and_kept(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "state", "http://a")
    first = store.client_id()
    assert len(first) == 36
    assert CredentialStore(tmp_path / "state", "http://b").client_id() == first
    assert mode(store.client_id_file) == 0o600
    assert mode(store.client_id_file.parent) == 0o700


def test_token_round_trip_private_and_per_api(tmp_path: Path) -> None:
    a = CredentialStore(tmp_path / "state", "http://127.0.0.1:9/")
    b = CredentialStore(tmp_path / "state", "https://mega-api-prod.nemovideo.ai")
    expires = datetime.now(UTC) + timedelta(days=7)
    a.save_token(Token(token="nmv_usr_abcdefgh", user_id="anon_1", expires_at=expires))
    loaded = a.load_token()
    assert loaded is not None and loaded.token == "nmv_usr_abcdefgh"
    assert b.load_token() is None, "a local backend's token must never be sent to the cloud"
    assert mode(a.token_file) == 0o600
    assert mode(a.token_file.parent) == 0o700
    assert mode(a.directory) == 0o700


def test_expired_or_corrupt_token_is_ignored(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, "http://x")
    store.save_token(Token(token="nmv_usr_old", expires_at=datetime.now(UTC) - timedelta(hours=1)))
    assert store.load_token() is None
    store.token_file.write_text("{not json")
    assert store.load_token() is None
    store.clear_token()
    assert not store.token_file.exists()


def test_session_round_trip(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, "http://x")
    assert store.load_session() is None
    store.save_session(SessionInfo(session_id="5529798706024415232", task_id="task_1"))
    loaded = store.load_session()
    assert loaded is not None and loaded.session_id == "5529798706024415232"
    assert mode(store.session_file) == 0o600


def test_redact_masks_tokens_and_bearer() -> None:
    text = "Authorization: Bearer abc.def.ghi token=nmv_usr_0123456789abcdef done"
    out = redact(text)
    assert "abc.def.ghi" not in out and "0123456789abcdef" not in out
    assert out.endswith("done")
    assert as_dict(Token(token="nmv_usr_0123456789abcdef"))["token"].startswith("nmv_usr_")
    assert "0123456789abcdef" not in as_dict(Token(token="nmv_usr_0123456789abcdef"))["token"]
