"""Malformed server data must degrade, never fail a whole response."""

from __future__ import annotations

from artgen_tui.api.models import Draft, SessionState, parse_render_job


def test_odd_tracks_and_duration_are_tolerated() -> None:
    state = SessionState.model_validate(
        {
            "state": {
                "draft": {
                    "t": [
                        {"tt": "video", "sg": [{"x": 1}, "junk"]},
                        {"tt": "7", "sg": None},
                        {"tt": True, "sg": [{}]},
                        "not a track",
                    ],
                    "d": "ten seconds",
                    "m": ["not", "a", "dict"],
                },
                "video_infos": {"not": "a list"},
                "canvas_config": None,
            }
        }
    )
    draft = state.draft
    assert [t.tt for t in draft.t] == [-1, 7, -1]
    assert len(draft.t[0].sg) == 1
    assert draft.d is None and draft.m == {}
    assert state.state.video_infos == [] and state.state.canvas_config == {}
    assert draft.ready_for_export


def test_numeric_duration_and_empty_draft() -> None:
    assert Draft.model_validate({"d": "10000"}).d == 10000.0
    assert not Draft.model_validate({"t": [{"tt": 0, "sg": []}]}).ready_for_export


def test_render_shapes_a_and_b() -> None:
    a = parse_render_job(
        {
            "success": True,
            "data": {"id": "r1", "status": "completed", "progress": 100, "outputUrl": "u"},
        }
    )
    b = parse_render_job({"taskId": "r2", "status": "done", "output": {"url": "v"}})
    assert (a.id, a.status, a.output_url) == ("r1", "completed", "u")
    assert (b.id, b.status, b.output_url) == ("r2", "completed", "v")
    odd = parse_render_job({"data": {"id": "r3", "status": 5, "progress": "lots"}})
    assert (odd.status, odd.progress) == ("unknown", 0)
