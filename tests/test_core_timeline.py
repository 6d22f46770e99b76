"""Timeline rows, summaries and diffs on the documented draft shape and on odd data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from artgen_tui.api.models import SessionState
from artgen_tui.core import timeline

DRAFT: dict[str, Any] = {
    "d": 20000,
    "m": {"title": "Urban Dreams", "width": 1920, "height": 1080, "fps": 24, "aspect": "16:9"},
    "t": [
        {
            "tt": 0,
            "id": "trk_video",
            "sg": [
                {"id": "seg_1a2b", "kind": "generated", "start_ms": 0, "duration_ms": 10000,
                 "label": "futuristic city at sunset", "volume": 1.0},
                {"id": "seg_3c4d", "kind": "image", "start_ms": 10000, "duration_ms": 4000,
                 "label": "photo.png", "src": "http://x/photo.png"},
                {"id": "seg_5e6f", "kind": "video", "start_ms": 14000, "duration_ms": 6000,
                 "label": "clip.mp4", "volume": 1.0},
            ],
        },
        {"tt": 1, "id": "trk_bgm", "sg": [
            {"id": "seg_7a8b", "kind": "bgm", "start_ms": 0, "duration_ms": 10000,
             "label": "Soft synth pad", "volume": 0.6},
        ]},
        {"tt": 7, "id": "trk_text", "sg": [
            {"id": "seg_9c0d", "kind": "title", "start_ms": 0, "duration_ms": 3000,
             "text": "Urban Dreams", "position": "center"},
        ]},
    ],
}  # fmt: skip

CANVAS = {"width": 1920, "height": 1080, "aspect_ratio": "16:9", "fps": 24}


def state(draft: dict[str, Any] | None, canvas: dict[str, Any] | None = None) -> SessionState:
    body: dict[str, Any] = {"canvas_config": canvas or CANVAS}
    if draft is not None:
        body["draft"] = draft
    return SessionState.model_validate({"session_id": "1", "task_name": "project", "state": body})


def test_rows_read_the_documented_shape() -> None:
    rows = timeline.rows(state(DRAFT).draft)
    assert [r.key for r in rows] == [
        "seg:seg_1a2b", "seg:seg_3c4d", "seg:seg_5e6f", "seg:seg_7a8b", "seg:seg_9c0d",
    ]  # fmt: skip
    video, image, clip, bgm, title = rows
    assert (video.track_kind, video.label, video.start_s, video.end_s) == (
        "video", "futuristic city at sunset", 0.0, 10.0,
    )  # fmt: skip
    assert (image.start_s, image.end_s, image.duration_s, image.volume) == (10.0, 14.0, 4.0, None)
    assert clip.segment_kind == "video"
    assert (bgm.track_kind, bgm.volume, bgm.label) == ("audio", 0.6, "Soft synth pad")
    assert (title.track_kind, title.label, title.end_s) == ("text", "Urban Dreams", 3.0)
    assert title.icon != video.icon


@pytest.mark.parametrize(
    ("segment", "start", "end"),
    [
        ({"start": 2000, "duration": 3000}, 2.0, 5.0),
        ({"st": 1500, "du": 500}, 1.5, 2.0),
        ({"s": 0, "dur": 4000}, 0.0, 4.0),
        ({"start_s": 2, "end_s": 5}, 2.0, 5.0),
        ({"start_s": 2000, "duration_s": 3000}, 2.0, 5.0),  # too big for seconds: milliseconds
        ({"start_s": 1.5, "duration_s": 2.5}, 1.5, 4.0),
        ({"start_sec": 3, "end_sec": 4}, 3.0, 4.0),
        ({"start": "1000", "e": "3000"}, 1.0, 3.0),
        ({"end_ms": 4000, "duration_ms": 1000}, 3.0, 4.0),
    ],
)
def test_rows_accept_tolerant_time_spellings(
    segment: dict[str, Any], start: float, end: float
) -> None:
    draft = {"t": [{"tt": 0, "sg": [segment]}]}
    (row,) = timeline.rows(state(draft).draft)
    assert (row.start_s, row.end_s) == (start, end)


def test_rows_accept_other_label_and_volume_spellings() -> None:
    draft = {"t": [
        {"tt": 1, "sg": [{"name": "Piano", "vol": "0.4", "start": 0, "duration": 1000}]},
        {"tt": 7, "sg": [{"title": "Hello", "start": 0, "duration": 1000},
                         {"content": {"text": "Nested"}, "start": 1000, "duration": 1000}]},
    ]}  # fmt: skip
    piano, hello, nested = timeline.rows(state(draft).draft)
    assert (piano.label, piano.volume) == ("Piano", 0.4)
    assert hello.label == "Hello"
    assert nested.label == "Nested"


def test_odd_and_malformed_segments_never_raise() -> None:
    draft = {
        "t": [
            {"tt": 0, "sg": [
                {},
                {"start_ms": "soon", "duration_ms": None, "volume": "loud"},
                {"start_ms": float("nan"), "duration_ms": -5},
                {"id": None, "label": 42, "text": ["x"]},
                {"id": "dup", "duration_ms": 1000},
                {"id": "dup", "duration_ms": 1000},
                {"start": True, "duration": {"ms": 3}},
            ]},
            {"tt": 0, "sg": "not a list"},
            {"tt": 99, "sg": [{"start_ms": 0, "duration_ms": 500}]},
            "not a track",
            {"sg": None},
        ],
        "m": ["not", "a", "dict"],
    }  # fmt: skip
    st = state(draft, canvas={"width": "wide", "aspect_ratio": None})
    rows = timeline.rows(st.draft)
    assert len({r.key for r in rows}) == len(rows)
    assert all(r.duration_s >= 0 and r.start_s >= 0 for r in rows)
    assert any(r.track_kind == "other" for r in rows)
    assert "dup" in " ".join(r.key for r in rows)
    assert isinstance(timeline.summary(st), str)
    assert timeline.diff(st, st).empty
    assert timeline.diff(None, st).added


def test_rows_of_missing_draft_are_empty() -> None:
    assert timeline.rows(None) == []
    assert timeline.rows(state(None).draft) == []


def test_summary_lists_tracks_and_segments() -> None:
    text = timeline.summary(state(DRAFT))
    assert text.splitlines()[0] == "Urban Dreams · 20 s · 16:9 1920×1080 24 fps"
    assert "futuristic city at sunset" in text
    assert "Soft synth pad · vol 0.6" in text
    assert "0–3 s" in text and "Urban Dreams" in text


def test_summary_of_empty_project_says_what_to_do() -> None:
    text = timeline.summary(state({"t": []}))
    assert "empty" in text.lower()
    assert timeline.summary(None) == "No project state yet."


def test_diff_added_title_sentence() -> None:
    old = copy.deepcopy(DRAFT)
    old["t"] = old["t"][:2]
    d = timeline.diff(state(old), state(DRAFT))
    assert [r.key for r in d.added] == ["seg:seg_9c0d"]
    assert d.removed == [] and d.changed == []
    assert d.changed_keys == {"seg:seg_9c0d"}
    assert d.sentence == "Timeline updated: added text track 'Urban Dreams' 0–3 s"


def test_diff_removed_and_changed() -> None:
    new = copy.deepcopy(DRAFT)
    new["t"][1]["sg"] = []  # BGM removed
    new["t"][0]["sg"][0]["duration_ms"] = 5000  # clip shortened
    d = timeline.diff(state(DRAFT), state(new))
    assert [r.key for r in d.removed] == ["seg:seg_7a8b"]
    assert [r.key for r in d.changed] == ["seg:seg_1a2b"]
    assert d.changed_keys == {"seg:seg_1a2b"}
    assert "removed audio track 'Soft synth pad' 0–10 s" in d.sentence
    assert "0–10 s → 0–5 s" in d.sentence


def test_diff_volume_change() -> None:
    new = copy.deepcopy(DRAFT)
    new["t"][1]["sg"][0]["volume"] = 0.3
    d = timeline.diff(state(DRAFT), state(new))
    assert "volume 0.6 → 0.3" in d.sentence


def test_diff_aspect_change() -> None:
    vertical = {"width": 1080, "height": 1920, "aspect_ratio": "9:16", "fps": 24}
    d = timeline.diff(state(DRAFT), state(DRAFT, canvas=vertical))
    assert d.canvas_changed and not d.empty
    assert d.sentence == "Timeline updated: canvas 16:9 1920×1080 24 fps → 9:16 1080×1920 24 fps"


def test_diff_without_changes() -> None:
    d = timeline.diff(state(DRAFT), state(copy.deepcopy(DRAFT)))
    assert d.empty
    assert d.sentence == "No changes to the timeline."


def test_diff_from_nothing_adds_everything() -> None:
    d = timeline.diff(None, state(DRAFT))
    assert len(d.added) == 5
    assert "and 2 more" in d.sentence


def _variants() -> dict[str, SessionState]:
    """The documented draft and small edits of it, each a different kind of change."""
    out = {"same": state(copy.deepcopy(DRAFT))}
    edits: dict[str, Any] = {
        "label": lambda d: d["t"][0]["sg"][0].update(label="neon city"),
        "span": lambda d: d["t"][0]["sg"][0].update(duration_ms=5000),
        "volume": lambda d: d["t"][1]["sg"][0].update(volume=0.3),
        "removed": lambda d: d["t"][1].update(sg=[]),
        "replaced in place": lambda d: d["t"][2]["sg"][0].update(id="seg_new"),
        "reordered": lambda d: d["t"][0]["sg"].reverse(),
        "extra key": lambda d: d["t"][0]["sg"][0].update(note="ignored by the table"),
    }
    for name, edit in edits.items():
        draft = copy.deepcopy(DRAFT)
        edit(draft)
        out[name] = state(draft)
    out["canvas"] = state(DRAFT, canvas={**CANVAS, "aspect_ratio": "9:16"})
    return out


def test_equal_fingerprints_exactly_when_the_diff_is_empty() -> None:
    """A poll tells "unchanged" from fingerprints alone; that must mean what diff means."""
    variants = _variants()
    for a_name, a in variants.items():
        for b_name, b in variants.items():
            same = timeline.fingerprint(a) == timeline.fingerprint(b)
            assert same == timeline.diff(a, b).empty, (a_name, b_name)
    base = timeline.fingerprint(state(DRAFT))
    assert base == timeline.fingerprint(variants["reordered"])
    assert base != timeline.fingerprint(variants["replaced in place"])


def test_since_shown_highlights_nothing_on_first_sight() -> None:
    new = _variants()["label"]
    assert timeline.since_shown(None, new) is None
    change = timeline.since_shown(state(DRAFT), new)
    assert change is not None and change.changed_keys == {"seg:seg_1a2b"}


def test_keys_without_ids_are_positional_and_stable() -> None:
    draft = {"t": [{"tt": 7, "sg": [{"text": "A", "start_ms": 0, "duration_ms": 1000}]}]}
    a = timeline.rows(state(draft).draft)
    b = timeline.rows(state(copy.deepcopy(draft)).draft)
    assert a[0].key == b[0].key == "pos:0:0"
    changed = copy.deepcopy(draft)
    changed["t"][0]["sg"][0]["text"] = "B"
    d = timeline.diff(state(draft), state(changed))
    assert d.sentence == "Timeline updated: changed text track ('A' → 'B')"


def test_track_names() -> None:
    text = timeline.summary(state(DRAFT))
    assert "🎬 Video\n" in text and "🎵 Music\n" in text and "🔤 Text\n" in text
    draft = {"t": [{"tt": 0, "sg": [{"duration_ms": 1}]}, {"tt": 0, "sg": [{"duration_ms": 1}]},
                   {"tt": 1, "name": "Voice-over", "sg": [{"duration_ms": 1}]}]}  # fmt: skip
    names = [r.track_name for r in timeline.rows(state(draft).draft)]
    assert names == ["Video 1", "Video 2", "Voice-over"]


def test_compact_segment_keys_give_labels_text_and_volume() -> None:
    draft = {
        "t": [
            {"tt": 0, "sg": [{"id": "a", "s": 0, "d": 2000, "n": "city at dusk", "v": 0.5},
                             {"id": "b", "s": 2000, "d": 1000, "nm": "harbour", "vl": 1}]},
            {"tt": 7, "sg": [{"id": "c", "s": 0, "d": 1000, "tx": "Urban Dreams"}]},
        ]
    }  # fmt: skip
    rows = timeline.rows(state(draft).draft)
    assert [(r.label, r.volume) for r in rows] == [
        ("city at dusk", 0.5),
        ("harbour", 1.0),
        ("Urban Dreams", None),
    ]
    assert "'Urban Dreams'" in timeline.diff(None, state(draft)).sentence


def test_track_names_are_read_from_compact_keys_too() -> None:
    draft = {
        "t": [
            {"tt": 0, "n": "Main cut", "sg": [{"id": "a", "s": 0, "d": 1000, "n": "city"}]},
            {"tt": 1, "nm": "Music", "sg": [{"id": "b", "s": 0, "d": 1000, "n": "pad"}]},
            {"tt": 7, "lb": "Captions", "sg": [{"id": "c", "s": 0, "d": 1000, "tx": "Hi"}]},
            {"tt": 0, "sg": [{"id": "d", "s": 0, "d": 1000, "n": "b-roll"}]},
        ]
    }
    table = timeline.rows(state(draft).draft)
    assert [r.track_name for r in table] == ["Main cut", "Music", "Captions", "Video 2"]
    assert "🎬 Main cut" in timeline.summary(state(draft))


@pytest.mark.parametrize(
    ("segment", "label"),
    [
        ({"src": "http://x/files/s1/my%20photo.png?sig=abc"}, "my photo.png"),
        ({"u": "https://cdn.example/a/b/clip.mp4"}, "clip.mp4"),
        ({"path": "/home/me/Videos/holiday.mov"}, "holiday.mov"),
        ({"source": {"url": "http://x/y/song.mp3"}}, "song.mp3"),
        ({"src": "http://x/"}, ""),
    ],
)
def test_media_segment_without_label_falls_back_to_its_file_name(
    segment: dict[str, Any], label: str
) -> None:
    draft = {"t": [{"tt": 0, "sg": [{"id": "a", "s": 0, "d": 1000, **segment}]}]}
    assert timeline.rows(state(draft).draft)[0].label == label


def _traced_lines(work: Any) -> int:
    """Python lines executed in core/timeline.py by ``work()``: a machine-independent work count."""
    import sys

    count = 0
    target = timeline.__file__

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != target:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def _same_id_state(n: int, offset_ms: int = 0) -> SessionState:
    segments = [{"id": "dup", "s": i * 1000 + offset_ms, "d": 1000, "n": f"s{i}"} for i in range(n)]
    return state({"t": [{"tt": 0, "sg": segments}]})


@pytest.mark.parametrize(
    "work",
    [
        lambda n: timeline.rows(_same_id_state(n).draft),
        lambda n: timeline.summary(_same_id_state(n)),
        lambda n: timeline.diff(_same_id_state(n), _same_id_state(n, offset_ms=500)),
        lambda n: timeline.diff(
            state({"t": [{"tt": 0, "sg": [{"id": f"o{i}", "s": i * 1000, "d": 1000}
                                          for i in range(n)]}]}),
            state({"t": [{"tt": 0, "sg": [{"id": f"n{i}", "s": i * 1000, "d": 1000}
                                          for i in reversed(range(n))]}]}),
        ),
    ],
    ids=["rows", "summary", "diff-shared-ids", "diff-replaced-in-place"],
)  # fmt: skip
def test_big_timelines_take_linear_work(work: Any) -> None:
    small = _traced_lines(lambda: work(300))
    large = _traced_lines(lambda: work(1200))
    # 4x the segments: linear work is about 4x the lines, quadratic work would be about 16x.
    assert large / small < 5.5, (small, large)


def test_ten_thousand_segments_sharing_one_id_get_unique_keys() -> None:
    keys = [r.key for r in timeline.rows(_same_id_state(10_000).draft)]
    assert len(set(keys)) == 10_000
    assert keys[:3] == ["seg:dup", "seg:dup#2", "seg:dup#3"]
