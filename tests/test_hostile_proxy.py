"""The hostile proxy itself: it passes flows through untouched, and its modes really spoil them."""

from __future__ import annotations

from pathlib import Path

from hostile import ESCAPES, hostile, map_strings, raw_controls
from local_http import account, backend, chat, new_session


def test_without_modes_the_proxy_is_transparent(tmp_path: Path) -> None:
    with backend(tmp_path / "b") as upstream, hostile(upstream) as proxy:
        acct = account(proxy.url)
        sid = new_session(acct)
        turn = chat(acct, sid, 'add title "Hello"')
        assert turn.status == 200 and turn.events
        assert not raw_controls(turn.raw)
        assert [e.path for e in proxy.exchanges][:2] == [
            "/api/auth/anonymous-token",
            "/api/tasks/me/with-session/nemo_agent",
        ]


def test_escapes_mode_puts_control_sequences_in_every_string(tmp_path: Path) -> None:
    with backend(tmp_path / "b") as upstream, hostile(upstream, "escapes") as proxy:
        acct = account(proxy.url)
        sid = new_session(acct)
        turn = chat(acct, sid, 'add title "Hello"')
        strings: list[str] = []
        map_strings(turn.frames, lambda text: strings.append(text) or text)
        assert strings and all(text.startswith(ESCAPES) for text in strings if text)
        body = acct.get(f"/api/state/nemo_agent/me/{sid}/latest").json()
        assert body["data"]["session_id"].startswith(ESCAPES)
