"""Streamed file transfer for the local backend: multipart uploads straight to disk, file responses.

:func:`receive_multipart` parses the request body as it arrives (python-multipart's push parser),
writing each file part to a hidden temp file in the destination folder while counting its size and
computing its SHA-256; nothing is held whole in memory. A part over ``max_bytes`` or with a refused
file name is discarded as it streams and reported with :class:`TransferRejected` once the body has
been read to the end (so the client always gets the answer rather than a broken pipe); every file
of a rejected request is deleted. Finished files are renamed to a unique, sanitised name.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response

log = logging.getLogger(__name__)

CODE_BAD_TYPE = 4001
CODE_TOO_LARGE = 4002
CODE_BAD_BODY = 400


@dataclass(frozen=True)
class ReceivedFile:
    field: str
    filename: str
    path: Path
    size: int
    sha256: str


class TransferRejected(Exception):
    """The upload was refused; ``code`` is the business code (4001, 4002) or 400."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def safe_name(name: str) -> str:
    """A file name safe to store and put in a URL path: no folders, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\-() ]+", "_", base).strip(" .")
    return base[:120] or "upload"


def claim_name(folder: Path, name: str, tmp: Path) -> Path:
    """Move ``tmp`` to ``folder/name``, or ``name-1``, ``name-2``… if taken (race-free)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 0
    while True:
        candidate = folder / (name if n == 0 else f"{stem}-{n}{suffix}")
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # no hard links on this filesystem: check, then rename
            if candidate.exists():
                n += 1
                continue
            os.replace(tmp, candidate)
            return candidate
        tmp.unlink()
        return candidate


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    headers: dict[bytes, bytes] = field(default_factory=dict)
    fh: IO[bytes] | None = None
    tmp: Path | None = None
    size: int = 0
    digest: Any = None
    skip: bool = False


class _Receiver:
    def __init__(
        self,
        dest: Path,
        fields: Collection[str],
        max_bytes: int,
        accept: Callable[[str], str | None],
    ) -> None:
        self.dest = dest
        self.fields = set(fields)
        self.max_bytes = max_bytes
        self.accept = accept
        self.part = _Part()
        self.header_name = b""
        self.header_value = b""
        self.done: list[ReceivedFile] = []
        self.temps: list[Path] = []
        self.error: TransferRejected | None = None

    def _reject(self, code: int, message: str) -> None:
        if self.error is None:
            self.error = TransferRejected(code, message)

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.header_name.lower()] = self.header_value
        self.header_name = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        part = self.part
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = _decode(options.get(b"name", b""))
        raw_name = options.get(b"filename")
        if raw_name is None or part.name not in self.fields or self.error is not None:
            part.skip = True
            return
        part.filename = _decode(raw_name)
        refusal = self.accept(part.filename)
        if refusal:
            part.skip = True
            self._reject(CODE_BAD_TYPE, refusal)
            return
        part.tmp = self.dest / f".upload-{secrets.token_hex(8)}.part"
        self.temps.append(part.tmp)
        part.fh = open(part.tmp, "wb")  # noqa: SIM115 - closed in on_part_end / cleanup
        part.digest = hashlib.sha256()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if part.skip or part.fh is None:
            return
        chunk = data[start:end]
        part.size += len(chunk)
        if part.size > self.max_bytes:
            self._drop(part)
            limit = self.max_bytes / (1024 * 1024)
            self._reject(
                CODE_TOO_LARGE,
                f"{part.filename} is larger than the {limit:g} MB limit; "
                "trim or compress it, then upload again.",
            )
            return
        part.fh.write(chunk)
        part.digest.update(chunk)

    def _drop(self, part: _Part) -> None:
        if part.fh is not None:
            part.fh.close()
            part.fh = None
        if part.tmp is not None:
            with contextlib.suppress(OSError):
                part.tmp.unlink()
        part.skip = True

    def on_part_end(self) -> None:
        part = self.part
        if part.skip or part.fh is None or part.tmp is None or part.filename is None:
            return
        part.fh.close()
        part.fh = None
        final = claim_name(self.dest, safe_name(part.filename), part.tmp)
        self.temps.remove(part.tmp)
        self.done.append(
            ReceivedFile(part.name, part.filename, final, part.size, part.digest.hexdigest())
        )

    def cleanup(self) -> None:
        """Delete everything this request wrote (used when the request is rejected)."""
        self._drop(self.part)
        for tmp in self.temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        for rec in self.done:
            with contextlib.suppress(OSError):
                rec.path.unlink()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


async def receive_multipart(
    request: Request,
    dest: Path,
    *,
    fields: Collection[str] = ("files", "file"),
    max_bytes: int,
    accept: Callable[[str], str | None],
) -> list[ReceivedFile]:
    """Stream the multipart body's file parts named in ``fields`` into ``dest``.

    ``accept(filename)`` returns ``None`` to take the file or a message refusing it (code 4001).
    Raises :class:`TransferRejected`; on any failure nothing from this request stays on disk.
    """
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise TransferRejected(CODE_BAD_BODY, "multipart body without a boundary")
    dest.mkdir(parents=True, exist_ok=True)
    rx = _Receiver(dest, fields, max_bytes, accept)
    callbacks: Any = {
        "on_part_begin": rx.on_part_begin,
        "on_part_data": rx.on_part_data,
        "on_part_end": rx.on_part_end,
        "on_header_field": rx.on_header_field,
        "on_header_value": rx.on_header_value,
        "on_header_end": rx.on_header_end,
        "on_headers_finished": rx.on_headers_finished,
    }
    parser = MultipartParser(boundary, callbacks)
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        rx.cleanup()
        raise TransferRejected(CODE_BAD_BODY, f"malformed multipart body: {exc}") from exc
    except ClientDisconnect as exc:
        # Nobody is left to answer: drop what arrived, note it, and keep the log free of tracebacks.
        rx.cleanup()
        log.info("upload abandoned: the client closed the connection before the upload finished")
        raise TransferRejected(CODE_BAD_BODY, "the upload was abandoned") from exc
    except BaseException:
        rx.cleanup()
        raise
    if rx.error is not None:
        rx.cleanup()
        raise rx.error
    if not rx.done:
        raise TransferRejected(
            CODE_BAD_BODY,
            "no file in the request; send one or more multipart fields named 'files' (or 'file')",
        )
    return rx.done


FILE_CHUNK_BYTES = 1024 * 1024


class _LargeChunkFileResponse(FileResponse):
    """Starlette's file response reading 1 MiB per step instead of 64 KiB: a sixteenth of the
    worker-thread hand-offs and socket writes, so big downloads run at disk and loopback speed."""

    chunk_size = FILE_CHUNK_BYTES


def file_response(
    path: Path, *, media_type: str | None = None, filename: str | None = None
) -> Response:
    """Serve a file; ``Range`` requests get 206 partial content."""
    return _LargeChunkFileResponse(path, media_type=media_type, filename=filename)
