"""The scripted agent on its own: intents, draft shapes, event shapes, silent closes, bench."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from artgen_tui.local.agent import HEARTBEAT, RawFrames, ScriptedAgent, Turn, bench_chunks
from artgen_tui.local.options import LocalOptions

SID = "1234567890123456789"


def agent(**kw: Any) -> ScriptedAgent:
    base: dict[str, Any] = {"stage_delay": 0.0, "heartbeat_interval": 0.05, "seed": 7}
    base.update(kw)
    return ScriptedAgent(LocalOptions(**base))


def run(turn: Turn) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        async for item in turn.events():
            if isinstance(item, RawFrames):
                frames = item.data.decode().split("\n\n")[:-1]
                assert len(frames) == item.count
                events.extend(json.loads(f.removeprefix("data: ")) for f in frames)
            else:
                events.append(item)
        return events

    return asyncio.run(collect())


def apply(state: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    new = dict(state)
    for ev in events:
        if ev is not HEARTBEAT:
            new.update(ev["actions"]["stateDelta"])
    return new


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [
        p["text"]
        for e in events
        if e is not HEARTBEAT and not e.get("partial") and e["content"]["role"] == "model"
        for p in e["content"]["parts"]
        if "text" in p
    ]


def calls(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (p["functionCall"]["name"], p["functionCall"]["args"])
        for e in events
        if e is not HEARTBEAT
        for p in e["content"]["parts"]
        if "functionCall" in p
    ]


def turn_of(state: dict[str, Any], text: str, idx: int = 0, **kw: Any) -> Turn:
    return agent(**kw).plan(state, text, session_id=SID, turn_index=idx)


def generated(**kw: Any) -> dict[str, Any]:
    return apply({}, run(turn_of({}, "generate a futuristic city at sunset, cinematic", **kw)))


def tracks(state: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    return {t["tt"]: t["sg"] for t in state["draft"]["t"]}


def test_generation_two_stages_and_draft_shape() -> None:
    turn = turn_of({}, 'generate a futuristic city at sunset, cinematic "Urban Dreams"')
    assert turn.kind == "generate" and turn.cost == 100 and not turn.silent
    events = run(turn)
    assert [name for name, _ in calls(events)] == ["generate_video", "edit_multitrack"]
    assert sum(1 for e in events if e is HEARTBEAT) == 2
    st = apply({}, events)
    draft = st["draft"]
    assert set(draft) == {"d", "m", "t"}
    assert draft["m"]["title"] == "Urban Dreams" and draft["m"]["style"] == "cinematic"
    assert (draft["m"]["width"], draft["m"]["height"], draft["m"]["fps"]) == (1920, 1080, 24)
    by_type = tracks(st)
    clip = by_type[0][0]
    assert clip["kind"] == "generated" and clip["label"] == "futuristic city at sunset"
    assert clip["prompt"] == "futuristic city at sunset, cinematic"
    assert clip["style"] == "cinematic" and isinstance(clip["seed"], int)
    assert clip["start_ms"] == 0 and clip["duration_ms"] == draft["d"] == 10000
    bgm = by_type[1][0]
    assert bgm["kind"] == "bgm" and bgm["duration_ms"] == 10000 and 0 < bgm["volume"] <= 1
    title = by_type[7][0]
    assert title["kind"] == "title" and title["text"] == "Urban Dreams"
    assert title["duration_ms"] == 3000
    assert st["canvas_config"] == {"width": 1920, "height": 1080, "aspect_ratio": "16:9", "fps": 24}
    assert st["generated_media"][0]["prompt"] == clip["prompt"]
    # Text: partial chunks, then the aggregated event with the same text.
    partial = "".join(
        e["content"]["parts"][0]["text"] for e in events if e is not HEARTBEAT and e.get("partial")
    )
    assert partial == "".join(texts(events))


def test_generation_reads_duration_aspect_and_style() -> None:
    st = apply({}, run(turn_of({}, "make a 6 second vertical neon video of koi fish")))
    assert st["draft"]["d"] == 6000
    assert st["canvas_config"]["aspect_ratio"] == "9:16"
    assert (st["draft"]["m"]["width"], st["draft"]["m"]["height"]) == (1080, 1920)
    assert tracks(st)[0][0]["style"] == "neon"
    assert tracks(st)[0][0]["label"] == "koi fish"


def test_chinese_generation() -> None:
    turn = turn_of({}, "生成一段水彩风格的山水视频")
    assert turn.kind == "generate"
    assert tracks(apply({}, run(turn)))[0][0]["style"] == "watercolor"


@pytest.mark.parametrize("text", ["remove the music", "no bgm please", "去掉音乐"])
def test_remove_bgm(text: str) -> None:
    st = generated()
    turn = turn_of(st, text, silent_close_rate=0.0)
    assert turn.kind == "edit" and turn.cost == 10
    new = apply(st, run(turn))
    assert 1 not in tracks(new)
    assert new["draft"]["d"] == 10000


def test_add_bgm_with_mood() -> None:
    st = generated()
    st = apply(st, run(turn_of(st, "remove music", silent_close_rate=0.0)))
    events = run(turn_of(st, "add some calm music", silent_close_rate=0.0))
    new = apply(st, events)
    bgm = tracks(new)[1]
    assert len(bgm) == 1 and bgm[0]["mood"] == "calm" and bgm[0]["duration_ms"] == 10000
    assert "music" in texts(events)[-1]


def test_title_duration_aspect_style_edits() -> None:
    st = generated()
    st = apply(st, run(turn_of(st, 'add title "Night Drive"', silent_close_rate=0.0)))
    assert tracks(st)[7][0]["text"] == "Night Drive" and st["draft"]["m"]["title"] == "Night Drive"
    st = apply(st, run(turn_of(st, "make it 15 seconds", silent_close_rate=0.0)))
    assert st["draft"]["d"] == 15000 and tracks(st)[1][0]["duration_ms"] == 15000
    st = apply(st, run(turn_of(st, "change it to 1:1", silent_close_rate=0.0)))
    assert st["canvas_config"]["aspect_ratio"] == "1:1"
    assert (st["draft"]["m"]["width"], st["draft"]["m"]["height"]) == (1080, 1080)
    st = apply(st, run(turn_of(st, "make it watercolor", silent_close_rate=0.0)))
    assert tracks(st)[0][0]["style"] == "watercolor" and st["draft"]["m"]["style"] == "watercolor"
    st = apply(st, run(turn_of(st, "remove the title", silent_close_rate=0.0)))
    assert 7 not in tracks(st)


def test_edit_that_needs_a_clip_explains_itself() -> None:
    turn = turn_of({}, "make it 20 seconds")
    assert turn.kind == "reply" and turn.cost == 0
    assert "generate" in texts(run(turn))[0]


def test_unknown_message_gets_help() -> None:
    turn = turn_of({}, "what is the weather like?")
    assert turn.kind == "reply" and turn.cost == 0
    reply = texts(run(turn))[0]
    for word in ("generate", "music", "title", "seconds", "9:16", "watercolor"):
        assert word in reply


def test_silent_close_is_seeded_and_near_the_rate() -> None:
    st = generated()
    first = [turn_of(st, "add music", i, silent_close_rate=0.3).silent for i in range(200)]
    again = [turn_of(st, "add music", i, silent_close_rate=0.3).silent for i in range(200)]
    assert first == again
    assert 40 <= sum(first) <= 80
    other_seed = [
        turn_of(st, "add music", i, silent_close_rate=0.3, seed=8).silent for i in range(200)
    ]
    assert other_seed != first
    assert not any(turn_of(st, "add music", i, silent_close_rate=0.0).silent for i in range(50))
    assert all(turn_of(st, "add music", i, silent_close_rate=1.0).silent for i in range(50))


def test_silent_edit_has_tool_events_only() -> None:
    st = generated()
    turn = turn_of(st, "add music", silent_close_rate=1.0)
    events = run(turn)
    assert texts(events) == [] and [n for n, _ in calls(events)] == ["edit_multitrack"]
    assert "draft" in apply({}, events)


def test_heartbeats_while_a_stage_works() -> None:
    events = run(
        turn_of({}, "add music", stage_delay=0.2, heartbeat_interval=0.05, silent_close_rate=0.0)
    )
    assert sum(1 for e in events if e is HEARTBEAT) >= 2


def test_bench_stream_chunks() -> None:
    turn = turn_of({}, "/bench-stream 300")
    assert turn.kind == "bench" and turn.cost == 0
    events = run(turn)
    assert len(events) == 301 and all(e.get("partial") for e in events[:-1])
    full = events[-1]["content"]["parts"][0]["text"]
    assert full == "".join(e["content"]["parts"][0]["text"] for e in events[:-1])
    assert len(list(bench_chunks(1234))) == 1234
    text = "".join(bench_chunks(400))
    assert "## Section" in text and "- first item" in text and "```python" in text


def test_paced_bench_stream_spreads_its_chunks_over_the_time_asked() -> None:
    turn = turn_of({}, "/bench-stream 100 over 0.5s")
    assert turn.kind == "bench" and turn.cost == 0
    events = run(turn)
    partials = [e for e in events if e.get("partial")]
    assert len(partials) == 100
    stamps = [e["timestamp"] for e in partials]
    assert stamps == sorted(stamps)
    # Chunk i is due at 0.5 * i / 100 s: the last one cannot leave before 0.495 s.
    assert stamps[-1] - stamps[0] >= 0.49


def test_music_and_title_on_an_empty_draft_have_a_length() -> None:
    st = apply({}, run(turn_of({}, "add music", silent_close_rate=0.0)))
    assert tracks(st)[1][0]["duration_ms"] == 10000 and st["draft"]["d"] == 10000
    st = apply({}, run(turn_of({}, 'add title "Hello"', silent_close_rate=0.0)))
    assert tracks(st)[7][0]["duration_ms"] == 3000 and st["draft"]["d"] == 3000


def test_export_question_gets_the_gui_answer() -> None:
    turn = turn_of({}, "how do I export this?")
    assert turn.kind == "reply" and "Click **Export**" in texts(run(turn))[0]


def test_text_is_paced_only_when_stages_take_time(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def record(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", record)
    run(turn_of({}, "what can you do?", stage_delay=0.0))
    assert pauses == []
    events = run(turn_of({}, "what can you do?", stage_delay=0.3))
    partials = sum(1 for e in events if e.get("partial"))
    assert pauses == [0.01] * partials


@pytest.mark.parametrize(
    "text",
    [
        "a futuristic city at sunset, cinematic",
        "neon koi fish swimming in the rain",
        "森林里的小鹿，水彩",
    ],
)
def test_a_description_on_an_empty_timeline_generates(text: str) -> None:
    turn = turn_of({}, text)
    assert turn.kind == "generate" and turn.cost == 100


@pytest.mark.parametrize(
    "text",
    [
        "make it 20 seconds",
        "watercolor",
        "hello",
        "how do I export?",
        "can you help me",
        "thanks!",
    ],
)
def test_questions_and_bare_edits_on_an_empty_timeline_do_not_generate(text: str) -> None:
    assert turn_of({}, text).kind == "reply"


def test_a_description_after_a_clip_exists_is_an_edit_or_help_not_a_new_generation() -> None:
    st = generated()
    assert (
        turn_of(st, "a futuristic city at sunset, watercolor", silent_close_rate=0.0).kind == "edit"
    )


def test_single_quoted_title() -> None:
    st = generated()
    st = apply(st, run(turn_of(st, "add title 'Urban Dreams'", silent_close_rate=0.0)))
    assert tracks(st)[7][0]["text"] == "Urban Dreams"
    assert turn_of(st, "it's a title for the city").kind in ("reply", "edit")
