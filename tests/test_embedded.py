"""``is_embedded``: whether an API URL is a backend this process started, asked by name."""

from __future__ import annotations

from pathlib import Path

from artgen_tui.core.workspace import identity_for, is_embedded, register_local_backend


def test_only_a_registered_local_backend_is_embedded(tmp_path: Path) -> None:
    url = "http://127.0.0.1:45999"
    assert not is_embedded(url)
    register_local_backend(url, tmp_path / "backend")
    assert is_embedded(url) and is_embedded(url + "/")
    assert identity_for(url).startswith("local ")
    assert not is_embedded("http://127.0.0.1:45998")  # a loopback server someone else runs
    assert not is_embedded("https://mega-api-prod.nemovideo.ai")
