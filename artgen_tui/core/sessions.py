"""Every session this user has used, per API identity: list, search, rename, delete, export.

The list is built from what is on disk: a small index file per identity (``<state dir>/
session_index/<identity>.json``, written atomically and privately: when each session was first and
last used, a title the user gave it, the session it continues), the remembered session, the export
journal (sessions that exported something) and the transcripts (title = the first prompt, turn
count, credits spent, last activity). Nothing here talks to the server: deleting forgets the local
transcript and index entry only.

Search is a plain case-insensitive substring match over the prompts, replies and titles (no
stemming, no ranking beyond most recent first).
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from artgen_tui import paths
from artgen_tui.api.errors import SessionNotFound
from artgen_tui.api.logsafe import redact
from artgen_tui.core.history import NO_REPLY, Entry, Transcript, transcripts_dir, turns


class SessionGone(SessionNotFound):
    """A session asked for by id that the server does not have; nothing was replaced."""

    default_hint = "`artgen sessions list` shows your sessions; --new-session starts a new one."


ExportFormat = Literal["md", "html", "json"]
FORMATS: tuple[ExportFormat, ...] = ("md", "html", "json")
TITLE_LENGTH = 60
"""Characters of the first prompt kept as a session's title."""
UNTITLED = "(no prompt yet)"


@dataclass(frozen=True)
class ExportRecord:
    """One export of the session, from the export journal."""

    job_id: str
    status: str
    path: str | None
    at: float


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    title: str
    created: float
    last_activity: float
    credits: int
    turns: int
    exports: tuple[ExportRecord, ...] = ()
    parent: str | None = None
    """The session this one continues (its transcript is shown first, for reference)."""

    @property
    def short_id(self) -> str:
        return short_id(self.session_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "title": self.title,
            "created": self.created,
            "last_activity": self.last_activity,
            "credits": self.credits,
            "turns": self.turns,
            "exports": len(self.exports),
            "saved": [e.path for e in self.exports if e.path and e.status == "downloaded"],
            "parent": self.parent,
        }


@dataclass(frozen=True)
class SearchHit:
    record: SessionRecord
    snippets: tuple[str, ...]


def short_id(session_id: str) -> str:
    """The first 8 characters after any ``sess_``-style prefix: enough to tell sessions apart."""
    tail = session_id.split("_", 1)[1] if "_" in session_id[:8] else session_id
    return tail[:8]


def identity_key(identity: str) -> str:
    """A file name for an identity (same rule as the credential store's)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", identity).strip("_")[:80] or "default"


def title_of(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


@dataclass
class SessionIndex:
    """The sessions of one identity. Every method re-reads the disk (several processes share it)."""

    identity: str
    state_dir: Path = field(default_factory=paths.state_dir)
    transcripts: Path = field(default_factory=transcripts_dir)
    journal: Path | None = None
    """The export journal (default: ``<state dir>/jobs.json``)."""
    remembered: str | None = None
    """The remembered session's id (from the credential store), always listed."""
    _loaded: dict[Path, tuple[tuple[int, int], list[Entry]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Parsed transcripts by path, kept while the file's mtime and size stay the same (the
    Sessions screen searches on every keystroke)."""

    @property
    def path(self) -> Path:
        return self.state_dir / "session_index" / f"{identity_key(self.identity)}.json"

    # --- the index file ----------------------------------------------------------------------

    def _read(self) -> dict[str, dict[str, Any]]:
        raw = paths.read_json(self.path)
        items = raw.get("sessions") if isinstance(raw, dict) else None
        if not isinstance(items, dict):
            return {}
        return {k: v for k, v in items.items() if isinstance(k, str) and isinstance(v, dict)}

    def _write(self, items: dict[str, dict[str, Any]]) -> None:
        """Only under ``paths.locked(self.path)``, after a fresh :meth:`_read` (several processes
        share the file: a write from a stale read would drop what they added)."""
        paths.atomic_write_json(self.path, {"sessions": items})

    def touch(self, session_id: str, *, parent: str | None = None) -> None:
        """Note that ``session_id`` is in use now (first use sets ``created``)."""
        with paths.locked(self.path):
            items = self._read()
            now = time.time()
            item = items.setdefault(session_id, {"created": now})
            item["used"] = now
            item.pop("deleted", None)
            if parent:
                item["parent"] = parent
            self._write(items)

    def rename(self, session_id: str, title: str) -> SessionRecord:
        record = self.require(session_id)
        with paths.locked(self.path):
            items = self._read()
            item = items.setdefault(record.session_id, {"created": record.created})
            item["title"] = title_of(title)
            self._write(items)
        return self.require(record.session_id)

    def delete(self, session_id: str) -> SessionRecord:
        """Forget a session locally: its transcript and index entry (the server keeps its data)."""
        record = self.require(session_id)
        Transcript(record.session_id, self.transcripts).delete()
        with paths.locked(self.path):
            items = self._read()
            items[record.session_id] = {"deleted": time.time()}
            self._write(items)
        return record

    # --- reading -----------------------------------------------------------------------------

    def _exports(self) -> dict[str, list[ExportRecord]]:
        from artgen_tui.core.jobs import ExportJob, default_journal_path

        raw = paths.read_json(self.journal or default_journal_path())
        items = raw.get("jobs") if isinstance(raw, dict) else None
        found: dict[str, list[ExportRecord]] = {}
        for item in items if isinstance(items, list) else []:
            job = ExportJob.from_json(item)
            if job is None or job.api_url not in ("", self.identity):
                continue
            rec = ExportRecord(job.id, job.status, job.path, job.updated_at or job.created_at)
            found.setdefault(job.session_id, []).append(rec)
        return found

    def _record(
        self, session_id: str, item: dict[str, Any], exports: list[ExportRecord]
    ) -> SessionRecord:
        entries = self.entries(session_id)
        prompts = [e for e in entries if e.role == "user"]
        stamps = [e.at for e in entries if e.at] + [e.at for e in exports if e.at]
        used = _number(item.get("used"))
        created = _number(item.get("created")) or (min(stamps) if stamps else used)
        parent = item.get("parent")
        return SessionRecord(
            session_id=session_id,
            title=_title(item, prompts),
            created=created,
            last_activity=max([used, created, *stamps]),
            credits=sum(e.credits or 0 for e in entries if e.role == "assistant"),
            turns=len(prompts),
            exports=tuple(sorted(exports, key=lambda e: e.at)),
            parent=parent if isinstance(parent, str) else None,
        )

    def sessions(self) -> list[SessionRecord]:
        """Every known session, most recently active first."""
        items = self._read()
        exports = self._exports()
        ids = [k for k, v in items.items() if "deleted" not in v]
        ids += [s for s in exports if s not in items]
        if self.remembered and self.remembered not in items:
            ids.append(self.remembered)
        records = [
            self._record(s, items.get(s, {}), exports.get(s, [])) for s in dict.fromkeys(ids)
        ]
        return sorted(records, key=lambda r: (-r.last_activity, r.session_id))

    def title(self, session_id: str) -> str:
        """The title :meth:`find` gives this session, from its own records alone (shown after
        every turn: :meth:`sessions` reads every session and the export journal)."""
        prompts = [e for e in self.entries(session_id) if e.role == "user"]
        return _title(self._read().get(session_id, {}), prompts)

    def find(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or the only one whose id (or short id) starts with it."""
        records = self.sessions()
        for r in records:
            if r.session_id == session_id:
                return r
        matches = [
            r for r in records if r.session_id.startswith(session_id) or r.short_id == session_id
        ]
        return matches[0] if len(matches) == 1 and session_id else None

    def require(self, session_id: str) -> SessionRecord:
        record = self.find(session_id)
        if record is None:
            raise UnknownSessionId(session_id)
        return record

    def knows(self, session_id: str) -> bool:
        return self.find(session_id) is not None

    def entries(self, session_id: str) -> list[Entry]:
        transcript = Transcript(session_id, self.transcripts)
        try:
            info = transcript.path.stat()
        except OSError:
            return []
        stamp = (info.st_mtime_ns, info.st_size)
        cached = self._loaded.get(transcript.path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entries = transcript.load()
        self._loaded[transcript.path] = (stamp, entries)
        return entries

    def search(self, text: str) -> list[SearchHit]:
        """Sessions whose title or transcript contains ``text`` (case-insensitive substring)."""
        needle = text.strip().casefold()
        if not needle:
            return [SearchHit(r, ()) for r in self.sessions()]
        hits: list[SearchHit] = []
        for record in self.sessions():
            snippets = [
                _snippet(e.text, needle)
                for e in self.entries(record.session_id)
                if e.role in ("user", "assistant") and needle in e.text.casefold()
            ]
            if snippets or needle in record.title.casefold():
                hits.append(SearchHit(record, tuple(snippets[:3])))
        return hits

    def export(self, session_id: str, fmt: ExportFormat) -> str:
        """The transcript as Markdown, HTML or JSON, with tokens and URL query strings removed."""
        record = self.require(session_id)
        return render(record, self.entries(record.session_id), fmt)


class UnknownSessionId(LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"No session {session_id!r} here; `artgen sessions list` shows the sessions."
        )
        self.session_id = session_id


def _title(item: dict[str, Any], prompts: list[Entry]) -> str:
    """A session's title: the one it was given, else its first prompt's."""
    title = item.get("title")
    if isinstance(title, str) and title.strip():
        return title
    return title_of(prompts[0].text) if prompts else UNTITLED


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _snippet(text: str, needle: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    at = flat.casefold().find(needle)
    start = max(0, at - width // 2)
    piece = flat[start : start + width + len(needle)]
    return ("…" if start else "") + piece + ("…" if start + len(piece) < len(flat) else "")


# --- export --------------------------------------------------------------------------------

_URL_QUERY = re.compile(r"(https?://[^\s?#<>\"')\]]+)[?#][^\s<>\"')\]]*")


def scrub(text: str) -> str:
    """Mask tokens and drop the query string (signatures, expiry) and fragment of every URL."""
    return _URL_QUERY.sub(r"\1", redact(text))


def _stamp(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "–"


def _exchange(entries: list[Entry]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for turn in turns(entries):
        item: dict[str, Any] = {
            "at": turn.prompt.at,
            "prompt": scrub(turn.prompt.text),
            "status": turn.status,
            "reply": scrub(turn.reply.text) if turn.reply else None,
            "credits": turn.reply.credits if turn.reply else None,
        }
        if turn.detail:
            item["detail"] = scrub(turn.detail)
        out.append(item)
    return out


def render(record: SessionRecord, entries: list[Entry], fmt: ExportFormat) -> str:
    exchange = _exchange(entries)
    saved = [e.path for e in record.exports if e.path and e.status == "downloaded"]
    if fmt == "json":
        data = {**record.to_json(), "title": scrub(record.title), "turns": exchange}
        data["saved"] = [scrub(p) for p in saved]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    lines = _markdown(record, exchange, saved)
    if fmt == "md":
        return "\n".join(lines) + "\n"
    return _html(record, exchange, saved)


def _no_reply(item: dict[str, Any]) -> str:
    text = NO_REPLY[item["status"]]
    return f"{text} ({item['detail']})" if item.get("detail") else text


def _markdown(record: SessionRecord, exchange: list[dict[str, Any]], saved: list[str]) -> list[str]:
    lines = [
        f"# {scrub(record.title)}",
        "",
        f"Session `{record.session_id}` · started {_stamp(record.created)} · "
        f"last activity {_stamp(record.last_activity)} · {record.credits} credits spent",
        "",
    ]
    for item in exchange:
        lines += [f"## {_stamp(item['at'])}", "", f"**You:** {item['prompt']}", ""]
        if item["reply"] is not None:
            lines += [item["reply"], ""]
            if item["credits"]:
                lines += [f"_Cost: {item['credits']} credits._", ""]
        else:
            lines += [f"_{_no_reply(item)}_", ""]
    if saved:
        lines += ["## Saved videos", ""] + [f"- {scrub(p)}" for p in saved] + [""]
    return lines


def _html(record: SessionRecord, exchange: list[dict[str, Any]], saved: list[str]) -> str:
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{esc(scrub(record.title))}</title></head><body>",
        f"<h1>{esc(scrub(record.title))}</h1>",
        f"<p>Session <code>{esc(record.session_id)}</code> · {record.credits} credits spent</p>",
    ]
    for item in exchange:
        parts.append(f"<h2>{esc(_stamp(item['at']))}</h2>")
        parts.append(f"<p><strong>You:</strong> {esc(item['prompt'])}</p>")
        if item["reply"] is not None:
            body = esc(item["reply"]).replace("\n", "<br>")
            parts.append(f"<p>{body}</p>")
            if item["credits"]:
                parts.append(f"<p><em>Cost: {item['credits']} credits.</em></p>")
        else:
            parts.append(f'<p class="no-reply"><em>{esc(_no_reply(item))}</em></p>')
    if saved:
        parts.append("<h2>Saved videos</h2><ul>")
        parts += [f"<li>{esc(scrub(p))}</li>" for p in saved]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def restored_lines(index: SessionIndex, session_id: str, limit: int) -> Iterable[tuple[str, str]]:
    """What the chat shows for a resumed session, as ``(kind, text)``: ``user``, ``assistant``,
    ``notice`` (a turn without reply, a cost, a saved video) in time order, last ``limit`` turns.
    A session that continues another starts with that one's prompts, for reference."""
    record = index.find(session_id)
    if record is not None and record.parent:
        parent = index.entries(record.parent)
        if parent:
            yield "notice", f"From the earlier session {short_id(record.parent)}, for reference:"
            yield from _turn_lines(parent, [], limit)
            yield "notice", "The earlier session ends here; this one starts empty on the server."
    exports = list(record.exports) if record is not None else []
    yield from _turn_lines(index.entries(session_id), exports, limit)


def _turn_lines(
    entries: list[Entry], exports: list[ExportRecord], limit: int
) -> Iterable[tuple[str, str]]:
    saved = [e for e in exports if e.path and e.status == "downloaded"]
    for turn in turns(entries)[-limit:]:
        while saved and saved[0].at < turn.prompt.at:
            yield "notice", f"Saved {saved.pop(0).path}"
        yield "user", turn.prompt.text
        if turn.reply is not None:
            yield "assistant", turn.reply.text
            if turn.reply.credits:
                yield "notice", f"Cost: {turn.reply.credits} credits."
        else:
            detail = f" ({turn.detail})" if turn.detail else ""
            yield "notice", f"✗ {NO_REPLY[turn.status]}{detail}"
    for export in saved:
        yield "notice", f"Saved {export.path}"


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:40].strip("-") or "session"


def write_export(
    index: SessionIndex, session_id: str, folder: Path, fmt: ExportFormat = "md"
) -> Path:
    """Write the transcript export into ``folder`` (``chat-<short id>-<title>.<fmt>``, 0600)."""
    record = index.require(session_id)
    target = Path(folder).expanduser() / f"chat-{record.short_id}-{_slug(record.title)}.{fmt}"
    target.parent.mkdir(parents=True, exist_ok=True)
    paths.atomic_write_text(target, index.export(record.session_id, fmt), private_dir=False)
    return target


def ago(at: float, now: float) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago`` (``–`` for an unknown time)."""
    if not at:
        return "–"
    seconds = max(0.0, now - at)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"
