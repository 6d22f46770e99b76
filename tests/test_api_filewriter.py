"""The one file writer both download paths use: order, batching, and errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artgen_tui.api.transfer import WRITE_BYTES, FileWriter


async def test_submits_and_writes_land_in_order(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    seen: list[BaseException | None] = []
    try:
        writer = FileWriter(fd, batch_bytes=8, depth=1)
        writer.submit(b"a" * (WRITE_BYTES + 3), seen.append)  # sliced into several writes
        for n in range(10):
            await writer.write(bytes([48 + n]) * 3)
        writer.submit(memoryview(b"-end"), seen.append)
        await writer.drain()
    finally:
        os.close(fd)
    expected = b"a" * (WRITE_BYTES + 3) + b"".join(bytes([48 + n]) * 3 for n in range(10)) + b"-end"
    assert path.read_bytes() == expected
    assert seen == [None, None]


async def test_a_write_error_is_reported_and_raised(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "ro.bin", os.O_RDONLY | os.O_CREAT, 0o600)
    seen: list[BaseException | None] = []
    try:
        writer = FileWriter(fd)
        writer.submit(b"x", seen.append)
        with pytest.raises(OSError):
            await writer.drain()
    finally:
        os.close(fd)
    assert len(seen) == 1 and isinstance(seen[0], OSError)


async def test_abort_drops_the_unsent_batch(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        writer = FileWriter(fd, batch_bytes=1024)
        await writer.write(b"never written")
        await writer.abort()
    finally:
        os.close(fd)
    assert path.read_bytes() == b""
