"""The client's upload check and the local backend's own rules are separate copies: they agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from artgen_tui.api import files as client
from artgen_tui.api.errors import UnsupportedFileType
from artgen_tui.local import upload_rules as server
from artgen_tui.local.options import LocalOptions


def test_same_accepted_types_and_kinds() -> None:
    assert client.ACCEPTED_EXTENSIONS == server.ACCEPTED_EXTENSIONS
    for ext in sorted(client.ACCEPTED_EXTENSIONS | {".txt", ".exe", ""}):
        name = f"clip{ext}"
        assert client.file_kind(name) == server.file_kind(name), ext


def test_same_size_limit() -> None:
    assert client.MAX_UPLOAD_BYTES == server.MAX_UPLOAD_BYTES == LocalOptions().max_upload_bytes


def test_the_refusal_names_every_accepted_type() -> None:
    named = {
        f".{word.strip().lower()}" for word in server.ACCEPTED.replace(" or ", ", ").split(",")
    }
    assert named == server.ACCEPTED_EXTENSIONS - {".jpeg"}  # JPG stands for both spellings


def test_the_clients_hint_names_every_accepted_type() -> None:
    """The hint after a client-side or server 4001 refusal is prose; it must list what
    api.files.ACCEPTED_EXTENSIONS accepts, no more and no less."""
    hint = UnsupportedFileType.default_hint
    assert hint.startswith("Use ") and hint.endswith(".")
    named = {
        f".{word.strip().lower()}"
        for word in hint.removeprefix("Use ").removesuffix(".").replace(" or ", ", ").split(",")
    }
    assert named == client.ACCEPTED_EXTENSIONS - {".jpeg"}  # JPG stands for both spellings
    assert UnsupportedFileType("x").user_text().endswith(hint)


@pytest.mark.parametrize("name", ["notes.txt", "README", "clip.MP4.exe"])
def test_both_refuse_the_same_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(UnsupportedFileType):
        client.check_upload(path)
    refusal = server.refusal(name)
    assert refusal is not None and refusal.startswith(f"{name}: ")


def test_server_accepts_upper_case_like_the_client() -> None:
    assert server.refusal("HOLIDAY.JPEG") is None
    assert client.file_kind("HOLIDAY.JPEG") == "image"
