"""The draft as a table, as a text summary, and as a difference between two states.

Reads the shape in docs/draft-format.md and tolerates the other spellings listed there (``start``/
``st``/``s``, ``duration``/``dur``/``du``, ``end``/``e``, ``text``/``name``/``title``, ``vol``),
including the service's compact one- and two-letter keys (``n``/``nm``, ``tx``, ``v``/``vl``), for
segment labels and track names alike.
Compact keys are milliseconds; a value under 1000 in a ``*_s``/``sec`` key reads as seconds.
Nothing here raises on odd data: a segment without times starts where the previous one ended, a
non-numeric volume is ``None``, a media segment with no label is named after its source file.
Every label, name and title read here is server text, so it leaves cleaned (no control sequence,
one line, capped: :func:`~artgen_tui.api.untrusted.clean_line`).
Every function is linear in the number of segments, so a 10,000-segment state stays quick.
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from artgen_tui.api.models import Draft, SessionState, TrackType
from artgen_tui.api.untrusted import clean_line

LABEL_LIMIT = 200
"""Labels, names and titles are cleaned (no control sequence) and capped at this length."""

TRACK_KINDS: dict[int, tuple[str, str]] = {
    TrackType.VIDEO: ("video", "🎬"),
    TrackType.AUDIO: ("audio", "🎵"),
    TrackType.TEXT: ("text", "🔤"),
}


@dataclass(frozen=True)
class TimelineRow:
    """One segment. ``key`` is stable for the same segment across states (its id when it has one)."""

    key: str
    track_index: int
    track_type: int
    track_kind: str
    """``video``, ``audio``, ``text`` or ``other``."""
    icon: str
    track_name: str
    label: str
    """The segment's text for text tracks, else its label/name (may be empty)."""
    start_s: float
    end_s: float
    duration_s: float
    volume: float | None = None
    segment_kind: str | None = None
    """The segment's own ``kind`` (``generated``, ``image``, ``video``, ``bgm``, ``title``…)."""

    def compare_tuple(self) -> tuple[Any, ...]:
        return (
            self.track_type,
            self.label,
            round(self.start_s, 3),
            round(self.end_s, 3),
            None if self.volume is None else round(self.volume, 3),
            self.segment_kind,
        )


@dataclass(frozen=True)
class Canvas:
    width: int | None = None
    height: int | None = None
    aspect: str | None = None
    fps: float | None = None

    def describe(self) -> str:
        parts = []
        if self.aspect:
            parts.append(self.aspect)
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height}")
        if self.fps:
            parts.append(f"{self.fps:g} fps")
        return " ".join(parts) if parts else "default canvas"


@dataclass(frozen=True)
class TimelineDiff:
    added: list[TimelineRow] = field(default_factory=list)
    removed: list[TimelineRow] = field(default_factory=list)
    changed: list[TimelineRow] = field(default_factory=list)
    changed_keys: set[str] = field(default_factory=set)
    """Keys of added and changed rows (rows to highlight in the new table)."""
    canvas_before: Canvas | None = None
    canvas_after: Canvas | None = None
    sentence: str = "No changes to the timeline."

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.canvas_changed)

    @property
    def canvas_changed(self) -> bool:
        return (
            self.canvas_before is not None
            and self.canvas_after is not None
            and self.canvas_before != self.canvas_after
        )


# --- reading values -------------------------------------------------------------------------

_START_MS = ("start_ms", "startMs", "start_time_ms", "in_ms")
_START_S = ("start_s", "start_sec", "startSec", "start_seconds")
_START_ANY = ("start", "st", "s", "startTime", "start_time", "offset")
_DUR_MS = ("duration_ms", "durationMs", "dur_ms")
_DUR_S = ("duration_s", "duration_sec", "dur_s", "durationSec", "duration_seconds")
_DUR_ANY = ("duration", "dur", "du", "d", "length")
_END_MS = ("end_ms", "endMs", "end_time_ms", "out_ms")
_END_S = ("end_s", "end_sec", "endSec", "end_seconds")
_END_ANY = ("end", "e", "endTime", "end_time")
# Long spellings first, then the compact one- and two-letter forms the service's drafts use.
_LABEL_KEYS = ("label", "name", "title", "filename", "file_name", "prompt", "lb", "lbl", "nm", "n")
_TEXT_KEYS = ("text", "content", "title", "label", "name", "txt", "tx", "ct", "nm", "n")
_VOLUME_KEYS = ("volume", "vol", "gain", "vl", "vo", "v")
_TRACK_NAME_KEYS = ("name", "title", "label", "lb", "lbl", "nm", "n")
_SOURCE_KEYS = ("src", "source", "url", "file", "path", "uri", "sr", "u", "f", "p")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:  # a 400-digit integer
            return None
    elif isinstance(value, str):
        try:
            result = float(value.strip()[:400])
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def _seconds(seg: dict[str, Any], ms_keys: tuple[str, ...], s_keys: tuple[str, ...],
             any_keys: tuple[str, ...]) -> float | None:  # fmt: skip
    for key in ms_keys:
        n = _number(seg.get(key))
        if n is not None:
            return n / 1000.0
    for key in s_keys:
        n = _number(seg.get(key))
        if n is not None:
            # Seconds keys hold seconds, but a value of 1000 or more can only be milliseconds.
            return n / 1000.0 if n >= 1000 else n
    for key in any_keys:
        n = _number(seg.get(key))
        if n is not None:
            return n / 1000.0  # compact keys are milliseconds, like the draft's ``d``
    return None


def _text(seg: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = seg.get(key)
        if isinstance(value, dict):
            value = value.get("text") or value.get("content")
        if isinstance(value, str):
            label = " ".join(clean_line(value, LABEL_LIMIT).split())
            if label:
                return label
    return ""


def _source_name(seg: dict[str, Any]) -> str:
    """The file name at the end of the segment's source URL or path (``''`` when none)."""
    for key in _SOURCE_KEYS:
        value = seg.get(key)
        if isinstance(value, dict):
            value = value.get("url") or value.get("src") or value.get("path")
        if isinstance(value, str) and value.strip():
            path = urlsplit(value.strip()).path if "://" in value else value.strip()
            name = posixpath.basename(unquote(path).replace("\\", "/"))
            name = " ".join(clean_line(name, LABEL_LIMIT).split())
            if name:
                return name
    return ""


def _volume(seg: dict[str, Any]) -> float | None:
    for key in _VOLUME_KEYS:
        n = _number(seg.get(key))
        if n is not None:
            return n
    return None


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    try:
        data = obj.model_dump()
    except AttributeError:
        return {}
    return data if isinstance(data, dict) else {}


_TRACK_NAMES = {"video": "Video", "audio": "Music", "text": "Text"}


def _track_type(tdata: dict[str, Any]) -> int:
    tt = tdata.get("tt")
    return tt if isinstance(tt, int) and not isinstance(tt, bool) else -1


LARGE_TIMELINE = 2_000
"""Segments above which the faces compare and lay out a timeline off their event loop."""


def segment_count(draft: Draft | None) -> int:
    """How many segments ``draft`` holds (cheap: nothing is parsed)."""
    if draft is None:
        return 0
    total = 0
    for track in draft.t:
        segments = _dump(track).get("sg")
        total += len(segments) if isinstance(segments, list) else 0
    return total


def rows(draft: Draft | None) -> list[TimelineRow]:
    """Every segment of every track, in track order then segment order."""
    if draft is None:
        return []
    result: list[TimelineRow] = []
    keys = _KeyMaker()
    tracks = [_dump(track) for track in draft.t]
    types = [_track_type(t) for t in tracks]
    per_type = Counter(types)
    seen: dict[int, int] = {}
    for t_index, tdata in enumerate(tracks):
        track_type = types[t_index]
        kind, icon = TRACK_KINDS.get(track_type, ("other", "▫"))
        seen[track_type] = seen.get(track_type, 0) + 1
        default_name = _TRACK_NAMES.get(kind, "Track")
        if per_type[track_type] > 1:
            default_name += f" {seen[track_type]}"
        track_id = tdata.get("id")
        track_name = _text(tdata, _TRACK_NAME_KEYS) or default_name
        segments = tdata.get("sg") if isinstance(tdata.get("sg"), list) else []
        cursor = 0.0
        for s_index, raw in enumerate(segments or []):
            seg = _dump(raw)
            start = _seconds(seg, _START_MS, _START_S, _START_ANY)
            duration = _seconds(seg, _DUR_MS, _DUR_S, _DUR_ANY)
            end = _seconds(seg, _END_MS, _END_S, _END_ANY)
            if start is None:
                start = (end - duration) if (end is not None and duration is not None) else cursor
            if duration is None:
                duration = (end - start) if end is not None else 0.0
            start = max(0.0, start)
            duration = max(0.0, duration)
            end = start + duration
            cursor = end
            label = _text(seg, _TEXT_KEYS if kind == "text" else _LABEL_KEYS)
            if not label and kind != "text":
                label = _source_name(seg)
            seg_kind = seg.get("kind") or seg.get("type")
            key = keys.make(seg, track_id, t_index, s_index)
            result.append(
                TimelineRow(
                    key=key,
                    track_index=t_index,
                    track_type=track_type,
                    track_kind=kind,
                    icon=icon,
                    track_name=track_name,
                    label=label,
                    start_s=start,
                    end_s=end,
                    duration_s=duration,
                    volume=_volume(seg),
                    segment_kind=clean_line(seg_kind, 40) if isinstance(seg_kind, str) else None,
                )
            )
    return result


class _KeyMaker:
    """Unique row keys in amortised constant time, even when thousands of segments share an id."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._next: dict[str, int] = {}

    def make(self, seg: dict[str, Any], track_id: Any, t_index: int, s_index: int) -> str:
        raw = seg.get("id") or seg.get("segment_id") or seg.get("uuid")
        if isinstance(raw, str | int) and not isinstance(raw, bool) and str(raw):
            key = f"seg:{raw}"
        else:
            track = str(track_id) if isinstance(track_id, str | int) else str(t_index)
            key = f"pos:{track}:{s_index}"
        if key in self._used:
            base, n = key, self._next.get(key, 2)
            while f"{base}#{n}" in self._used:
                n += 1
            key = f"{base}#{n}"
            self._next[base] = n + 1
        self._used.add(key)
        return key


def canvas(state: SessionState | None) -> Canvas:
    """Size, aspect and fps from ``canvas_config``, then the draft's ``m``."""
    if state is None:
        return Canvas()
    cfg = state.state.canvas_config
    meta = state.draft.m

    def pick(*keys: str) -> Any:
        for src in (cfg, meta):
            for key in keys:
                if src.get(key) not in (None, ""):
                    return src[key]
        return None

    width = _number(pick("width", "w"))
    height = _number(pick("height", "h"))
    fps = _number(pick("fps", "frame_rate"))
    aspect = pick("aspect_ratio", "aspect", "ratio")
    return Canvas(
        width=int(width) if width else None,
        height=int(height) if height else None,
        aspect=clean_line(aspect, 20) if aspect is not None else None,
        fps=fps,
    )


def duration_s(draft: Draft | None, table: list[TimelineRow] | None = None) -> float:
    """The draft's ``d`` (ms), or the end of its last segment (from ``table`` when the rows are
    already read)."""
    if draft is None:
        return 0.0
    d = _number(draft.d)
    if d is not None and d > 0:
        return d / 1000.0
    return max((r.end_s for r in (rows(draft) if table is None else table)), default=0.0)


# --- text ----------------------------------------------------------------------------------


def fmt_seconds(value: float) -> str:
    """``3`` for whole seconds, ``2.5`` otherwise."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def span(row: TimelineRow) -> str:
    return f"{fmt_seconds(row.start_s)}–{fmt_seconds(row.end_s)} s"


def describe_row(row: TimelineRow) -> str:
    """``text track 'Urban Dreams' 0–3 s``."""
    label = f" '{row.label}'" if row.label else ""
    return f"{row.track_kind} track{label} {span(row)}"


def summary(state: SessionState | None) -> str:
    """A multi-line summary of the project for chat and ``artgen state``."""
    if state is None:
        return "No project state yet."
    draft = state.draft
    table = rows(draft)
    title = draft.m.get("title") if isinstance(draft.m.get("title"), str) else None
    head = clean_line(title or state.task_name or "Untitled project", LABEL_LIMIT)
    lines = [f"{head} · {fmt_seconds(duration_s(draft, table))} s · {canvas(state).describe()}"]
    if not table:
        lines.append("The timeline is empty. Describe a video to generate one.")
    by_track: dict[int, list[TimelineRow]] = defaultdict(list)
    for r in table:
        by_track[r.track_index].append(r)
    for t_index in sorted(by_track):
        track_rows = by_track[t_index]
        first = track_rows[0]
        lines.append(f"{first.icon} {first.track_name}")
        for r in track_rows:
            vol = f" · vol {r.volume:g}" if r.volume is not None else ""
            label = r.label or r.segment_kind or "segment"
            lines.append(f"   {span(r):<12} {label}{vol}")
    assets = len(state.state.video_infos)
    if assets:
        lines.append(f"{assets} uploaded or generated asset{'s' if assets != 1 else ''}.")
    return "\n".join(lines)


def diff(old: SessionState | None, new: SessionState) -> TimelineDiff:
    """What changed between two states, with a one-sentence description."""
    old_rows = {r.key: r for r in rows(old.draft)} if old is not None else {}
    new_rows = {r.key: r for r in rows(new.draft)}
    added = [r for k, r in new_rows.items() if k not in old_rows]
    removed = [r for k, r in old_rows.items() if k not in new_rows]
    changed = [
        r
        for k, r in new_rows.items()
        if k in old_rows and old_rows[k].compare_tuple() != r.compare_tuple()
    ]
    # A segment replaced in place (same track and span, new id) reads as a change, not as an
    # addition plus a removal. Added rows are indexed by place so this stays linear.
    by_place: dict[tuple[Any, ...], list[TimelineRow]] = defaultdict(list)
    for r in reversed(added):
        by_place[_place(r)].append(r)
    paired: set[str] = set()
    kept_removed: list[TimelineRow] = []
    for gone in removed:
        candidates = by_place.get(_place(gone))
        if candidates:
            twin = candidates.pop()
            paired.add(twin.key)
            changed.append(twin)
            old_rows[twin.key] = gone
        else:
            kept_removed.append(gone)
    removed = kept_removed
    added = [r for r in added if r.key not in paired]
    before = canvas(old) if old is not None else None
    after = canvas(new)
    result = TimelineDiff(
        added=added,
        removed=removed,
        changed=changed,
        changed_keys={r.key for r in added} | {r.key for r in changed},
        canvas_before=before,
        canvas_after=after,
    )
    return _with_sentence(result, old_rows)


Fingerprint = tuple[dict[str, tuple[Any, ...]], Canvas]


def fingerprint(state: SessionState) -> Fingerprint:
    """What :func:`diff` compares, and nothing else: two states have equal fingerprints exactly
    when the diff between them is empty. Cheaper than a diff (no pairing, no sentence), so a
    poll can tell "nothing changed" without diffing."""
    return {r.key: r.compare_tuple() for r in rows(state.draft)}, canvas(state)


def since_shown(shown: SessionState | None, state: SessionState) -> TimelineDiff | None:
    """What to highlight when ``state`` replaces the timeline on screen (``shown``): the change
    since then, or nothing at all the first time (every row would read as new)."""
    return diff(shown, state) if shown is not None else None


def _place(row: TimelineRow) -> tuple[Any, ...]:
    return (row.track_index, row.track_type, round(row.start_s, 3), round(row.end_s, 3))


def _with_sentence(d: TimelineDiff, old_rows: dict[str, TimelineRow]) -> TimelineDiff:
    parts: list[str] = []
    if d.added:
        parts.append("added " + _join([describe_row(r) for r in d.added]))
    if d.removed:
        parts.append("removed " + _join([describe_row(r) for r in d.removed]))
    if d.changed:
        parts.append("changed " + _join([_describe_change(old_rows[r.key], r) for r in d.changed]))
    if d.canvas_changed and d.canvas_before is not None and d.canvas_after is not None:
        parts.append(f"canvas {d.canvas_before.describe()} → {d.canvas_after.describe()}")
    sentence = "Timeline updated: " + "; ".join(parts) if parts else "No changes to the timeline."
    return TimelineDiff(
        added=d.added,
        removed=d.removed,
        changed=d.changed,
        changed_keys=d.changed_keys,
        canvas_before=d.canvas_before,
        canvas_after=d.canvas_after,
        sentence=sentence,
    )


def _describe_change(old: TimelineRow, new: TimelineRow) -> str:
    bits = []
    if old.label != new.label:
        bits.append(f"'{old.label}' → '{new.label}'")
    if (round(old.start_s, 3), round(old.end_s, 3)) != (round(new.start_s, 3), round(new.end_s, 3)):
        bits.append(f"{span(old)} → {span(new)}")
    if old.volume != new.volume and new.volume is not None:
        bits.append(f"volume {old.volume if old.volume is not None else '—'} → {new.volume:g}")
    if old.segment_kind != new.segment_kind and not bits:
        bits.append(f"{old.segment_kind} → {new.segment_kind}")
    label = f" '{new.label}'" if new.label and old.label == new.label else ""
    return f"{new.track_kind} track{label} ({', '.join(bits) or 'updated'})"


def _join(items: list[str]) -> str:
    if len(items) > 3:
        return ", ".join(items[:3]) + f" and {len(items) - 3} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
