"""The batch journal: what each item of a batch has done, so an interrupted batch resumes.

One private JSON file per batch under the state dir (``batches/<key>.json``), keyed by the batch
file's absolute path, the sha256 of its content and the account's identity, rewritten atomically
after every step (see :func:`artgen_tui.paths.atomic_write_json`) under its inter-process lock. A
process killed at any point leaves the journal as it was after the last completed step, and the
runner picks up from there.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

from artgen_tui import paths

ItemStatus = Literal["pending", "running", "done", "failed"]
Stage = Literal["waiting", "session", "upload", "turn", "export", "download", "done", "failed"]
STAGES: frozenset[str] = frozenset(get_args(Stage))


@dataclass
class ItemRecord:
    """One item's progress. Flags are set only once their step is known to be complete."""

    fingerprint: str
    status: ItemStatus = "pending"
    stage: Stage = "waiting"
    session_id: str | None = None
    uploaded: bool = False
    draft_after_upload: str | None = None
    """A hash of the draft once the upload landed: a turn that was sent but never journaled is
    known to have reached the agent when the draft moved on from this."""
    turn_sent: bool = False
    turn_done: bool = False
    render_id: str | None = None
    output: str | None = None
    credits_spent: int = 0
    error: str | None = None
    transient: bool = False
    attempts: int = 0
    updated_at: float = 0.0

    @classmethod
    def from_json(cls, raw: Any) -> ItemRecord | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("fingerprint"), str):
            return None
        data: dict[str, Any] = {}
        defaults = cls(fingerprint="")
        for f in fields(cls):
            if f.name not in raw:
                continue
            value, default = raw[f.name], getattr(defaults, f.name)
            if f.name == "fingerprint" or _same_type(value, default, str(f.type)):
                data[f.name] = value
        record = cls(**data)
        if record.status not in ("pending", "running", "done", "failed"):
            record.status = "pending"
        if record.stage not in STAGES:
            record.stage = "waiting"
        return record


def _same_type(value: Any, default: Any, annotation: str) -> bool:
    if value is None:
        return "None" in annotation
    if isinstance(default, bool) or "bool" in annotation:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if "float" in annotation:
        return isinstance(value, int | float)
    if "int" in annotation:
        return isinstance(value, int)
    return isinstance(value, str)


def journal_key(batch_path: Path, digest: str, identity: str = "") -> str:
    """The batch file's absolute path and content hash, and the account it runs against (the
    same file run on the cloud and on a local backend are two batches)."""
    raw = f"{batch_path.expanduser().resolve()}\n{digest}\n{identity}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def default_journal_dir() -> Path:
    return paths.state_dir() / "batches"


class BatchJournal:
    """The records of one batch (by item index), saved on every :meth:`save`."""

    def __init__(
        self, batch_path: Path, digest: str, identity: str, directory: Path | None = None
    ) -> None:
        key = journal_key(batch_path, digest, identity)
        self.path = (directory or default_journal_dir()) / f"{key}.json"
        self.batch_path = str(batch_path)
        self.identity = identity
        self.records: dict[int, ItemRecord] = self._read()

    def _read(self) -> dict[int, ItemRecord]:
        records: dict[int, ItemRecord] = {}
        raw = paths.read_json(self.path)
        if isinstance(raw, dict) and raw.get("identity") == self.identity:
            items = raw.get("items")
            for key, value in items.items() if isinstance(items, dict) else []:
                record = ItemRecord.from_json(value)
                if record is not None and str(key).isdigit():
                    records[int(key)] = record
        return records

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def record(self, index: int, fingerprint: str) -> ItemRecord:
        """The item's record; a fresh one when the journal has none or another item's."""
        current = self.records.get(index)
        if current is None or current.fingerprint != fingerprint:
            current = ItemRecord(fingerprint=fingerprint)
            self.records[index] = current
        return current

    def save(self, record: ItemRecord | None = None) -> None:
        """Write the journal under its inter-process lock, merged per item with what is on disk:
        of two records of one item the later update wins (this process's records in memory are
        left as they are: the runner holds them)."""
        with paths.locked(self.path):
            if record is not None:
                record.updated_at = time.time()
            merged = dict(self.records)
            for index, theirs in self._read().items():
                mine = merged.get(index)
                if mine is None or (
                    theirs.fingerprint == mine.fingerprint and theirs.updated_at > mine.updated_at
                ):
                    merged[index] = theirs
            paths.atomic_write_json(
                self.path,
                {
                    "batch": self.batch_path,
                    "identity": self.identity,
                    "items": {str(i): asdict(r) for i, r in sorted(merged.items())},
                },
            )
