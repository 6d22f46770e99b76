"""Read and validate a batch file: JSON lines, or TOML with ``[[item]]`` tables.

Each item names one medium (``file`` — a path, relative to the batch file's folder — or ``url``),
optionally its own ``prompt`` (else the shared ``--prompt``), ``output`` (an MP4 path relative to
the output folder) and ``resolution``. The whole file is checked before anything is sent: every
problem is collected with its line (JSON lines) or item number (TOML) and what to do about it,
and :class:`BatchFileError` carries them all.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from artgen_tui.core.sizes import RESOLUTIONS
from artgen_tui.core.uploads import UploadRefused, is_url, validate

KEYS = ("file", "url", "prompt", "output", "resolution")


class BatchFileError(Exception):
    """The batch file cannot be run; ``problems`` has one sentence per bad line or item."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "\n".join(problems))


@dataclass(frozen=True)
class BatchItem:
    index: int
    """0-based position in the file."""
    where: str
    """``line 3`` (JSON lines) or ``item 2`` (TOML), for messages."""
    source: str
    """The absolute file path, or the URL."""
    is_url: bool
    prompt: str
    output: str | None
    resolution: str | None

    @property
    def name(self) -> str:
        """A short label for tables: the file or URL's last part."""
        return self.source.rstrip("/").rsplit("/", 1)[-1] or self.source

    def fingerprint(self) -> str:
        """Identifies the item's work across runs (same source, instruction and output)."""
        raw = json.dumps([self.source, self.prompt, self.output, self.resolution])
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class BatchFile:
    path: Path
    digest: str
    """sha256 of the file's bytes: a changed file is a different batch."""
    items: list[BatchItem]


def _is_toml(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return True
    if suffix in (".jsonl", ".ndjson", ".json"):
        return False
    return not text.lstrip().startswith("{")


def _raw_items(path: Path, text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    """``(where, raw object)`` pairs and the syntax problems found on the way."""
    problems: list[str] = []
    raws: list[tuple[str, Any]] = []
    if _is_toml(path, text):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return [], [f"not valid TOML: {exc}. Fix that line (items are [[item]] tables)."]
        unknown = sorted(set(data) - {"item"})
        if unknown:
            problems.append(
                f"unknown top-level key(s) {', '.join(unknown)}; put each item in an [[item]] "
                "table."
            )
        items = data.get("item", [])
        if not isinstance(items, list):
            return [], [*problems, "`item` must be [[item]] tables, one per video."]
        raws = [(f"item {n}", raw) for n, raw in enumerate(items, 1)]
        return raws, problems
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raws.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raws.append(
                (
                    f"line {number}",
                    _Bad(
                        f"not valid JSON ({exc.msg}); write one object per line, "
                        'e.g. {"file": "photo.png", "prompt": "add title \\"Hello\\""}'
                    ),
                )
            )
    return raws, problems


@dataclass(frozen=True)
class _Bad:
    """A line that is not JSON, kept in place so messages stay in file order."""

    message: str


def _check_source(
    where: str, raw: dict[str, Any], base: Path, problems: list[str]
) -> tuple[str, bool]:
    """The item's media as (absolute path or URL, is-a-URL); faults go to ``problems``."""
    file, url = raw.get("file"), raw.get("url")
    if (file is None) == (url is None):
        problems.append(f'{where}: give exactly one of "file" (a path) or "url" (http/https).')
        return "", False
    if file is not None:
        if not isinstance(file, str) or not file.strip():
            problems.append(f'{where}: "file" must be a non-empty path.')
            return "", False
        path = Path(file).expanduser()
        path = path if path.is_absolute() else base / path
        try:
            validate([path])
        except UploadRefused as exc:
            problems += [f"{where}: {p}" for p in exc.problems]
            return "", False
        return str(path.resolve()), False
    if not isinstance(url, str) or not is_url(url):
        problems.append(f'{where}: "url" must start with http:// or https://.')
        return "", False
    return url, True


def _check_output(where: str, output: Any, problems: list[str]) -> None:
    if output is None:
        return
    rel = PurePosixPath(output) if isinstance(output, str) else None
    if rel is None or not output.strip() or rel.is_absolute() or ".." in rel.parts:
        problems.append(
            f'{where}: "output" must be a relative path inside the output folder, e.g. "beach.mp4".'
        )
    elif rel.suffix.lower() != ".mp4":
        problems.append(f'{where}: "output" must end in .mp4.')


def _check(
    where: str, raw: Any, base: Path, shared_prompt: str | None, index: int
) -> tuple[BatchItem | None, list[str]]:
    if isinstance(raw, _Bad):
        return None, [f"{where}: {raw.message}."]
    if not isinstance(raw, dict):
        return None, [f'{where}: expected an object like {{"file": "photo.png"}}.']
    problems: list[str] = []
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KEYS)}."
        )
    source, remote = _check_source(where, raw, base, problems)
    prompt = raw.get("prompt", shared_prompt)
    if prompt is not None and not isinstance(prompt, str):
        problems.append(f'{where}: "prompt" must be text.')
        prompt = None
    if not (prompt or "").strip():
        problems.append(
            f'{where}: no instruction; add "prompt" to the item or give a shared --prompt.'
        )
    output = raw.get("output")
    _check_output(where, output, problems)
    resolution = raw.get("resolution")
    if resolution is not None and resolution not in RESOLUTIONS:
        problems.append(f'{where}: "resolution" must be one of {", ".join(RESOLUTIONS)}.')
    if problems:
        # One message per bad item, naming every fault in it.
        parts = [p.removeprefix(f"{where}: ").rstrip(".") for p in problems]
        return None, [f"{where}: " + "; ".join(parts) + "."]
    item = BatchItem(index, where, source, remote, str(prompt).strip(), output, resolution)
    return item, []


def load_batch(path: Path, shared_prompt: str | None = None) -> BatchFile:
    """Parse and check the whole file; raise :class:`BatchFileError` listing every problem."""
    path = path.expanduser().resolve()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BatchFileError(
            path, [f"cannot read the batch file ({exc.strerror or exc})."]
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchFileError(path, ["not UTF-8 text; save it as UTF-8."]) from None
    raws, problems = _raw_items(path, text)
    items: list[BatchItem] = []
    outputs: dict[str, str] = {}
    for where, raw in raws:
        item, found = _check(where, raw, path.parent, shared_prompt, len(items) + len(problems))
        problems += found
        if item is None:
            continue
        if item.output is not None:
            key = str(PurePosixPath(item.output)).lower()
            if key in outputs:
                problems.append(
                    f'{where}: "output" {item.output} is already used by {outputs[key]}; '
                    "give each item its own file."
                )
                continue
            outputs[key] = where
        items.append(item)
    if not problems and not items:
        problems.append("no items; add one object per line (or one [[item]] table per video).")
    if problems:
        raise BatchFileError(path, problems)
    # Indexes are positions among the items (all valid by now).
    items = [
        BatchItem(n, i.where, i.source, i.is_url, i.prompt, i.output, i.resolution)
        for n, i in enumerate(items)
    ]
    return BatchFile(path, hashlib.sha256(data).hexdigest(), items)
