"""The scripted agent: turns a chat message into ADK-shaped events and new session state.

It understands (English and a little Chinese):

- generate ("generate a neon city at night", "生成…"): two stages, ``generate_video`` makes the
  clip, then ``edit_multitrack`` adds BGM and a title. Costs 100 credits.
- add / remove background music ("add music", "remove the bgm", "去掉音乐").
- add title "…" (the quoted text) / remove the title.
- change duration ("make it 15 seconds"), aspect ratio (16:9, 9:16, 1:1, "vertical", "square").
- a style word (cinematic, watercolor, neon, …) restyles the generated segments.
- ``/bench-stream N``: N small partial Markdown chunks (headings, paragraphs, lists, code fences)
  as fast as possible, then the aggregated event; for streaming benchmarks. Free, changes nothing.
  ``/bench-stream N over S`` spreads the same chunks evenly over S seconds, as a real agent sends.

Edits cost 10 credits and close silently (tool events only, no text) in ``silent_close_rate`` of
cases, decided by a RNG seeded with (seed, session id, turn index). Anything else gets a text reply
listing what it can do. Text comes as ``partial`` chunks followed by the aggregated event, as ADK
streaming does; heartbeats (``{"type": "heartbeat"}``) are sent while a stage works.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from artgen_tui.local import drafts
from artgen_tui.local.options import LocalOptions

Event = dict[str, Any]
HEARTBEAT: Event = {"type": "heartbeat"}


@dataclass(frozen=True)
class RawFrames:
    """Already-serialised SSE frames (``count`` of them), for the benchmark's firehose."""

    data: bytes
    count: int


Item = Event | RawFrames
GENERATION_COST = 100
EDIT_COST = 10
APP_NAME = "nemo_agent"

STYLE_WORDS: dict[str, str] = {
    "cinematic": "cinematic",
    "watercolor": "watercolor",
    "watercolour": "watercolor",
    "neon": "neon",
    "anime": "anime",
    "vaporwave": "vaporwave",
    "noir": "noir",
    "pastel": "pastel",
    "pixel": "pixel",
    "oil painting": "oil",
    "sketch": "sketch",
    "cyberpunk": "cyberpunk",
    "retro": "retro",
    "minimal": "minimal",
    "minimalist": "minimal",
    "dreamy": "dreamy",
    "电影感": "cinematic",
    "水彩": "watercolor",
    "霓虹": "neon",
    "动漫": "anime",
    "赛博朋克": "cyberpunk",
    "复古": "retro",
}
STYLE_MOODS = {
    "cinematic": "epic",
    "noir": "dark",
    "neon": "upbeat",
    "cyberpunk": "dark",
    "vaporwave": "dreamy",
    "watercolor": "calm",
    "pastel": "calm",
    "dreamy": "dreamy",
    "anime": "upbeat",
    "retro": "upbeat",
}
MOOD_LABELS = {
    "warm": "Soft synth pad",
    "upbeat": "Bright pop groove",
    "epic": "Epic orchestral swell",
    "calm": "Calm piano loop",
    "dark": "Dark ambient drone",
    "dreamy": "Dreamy lo-fi beat",
}

_BENCH_RE = re.compile(r"^\s*/bench-stream(?:\s+(\d+))?(?:\s+over\s+(\d+(?:\.\d+)?)\s*s?)?\s*$")
_GEN_STRONG = re.compile(r"\b(generate|animate)\b|生成", re.I)
_GEN_WEAK = re.compile(
    r"\b(create|make)\s+(?:me\s+)?(?:a|an)\b|\b(video|clip|film|animation)\s+(?:of|about)\b|制作|做一个",
    re.I,
)
_MUSIC = re.compile(r"\b(music|bgm|soundtrack|song|audio)\b|音乐|配乐", re.I)
_REMOVE = re.compile(
    r"\b(remove|delete|drop|mute|without|no|take\s+out|get\s+rid\s+of)\b|去掉|删除|移除|不要", re.I
)
_EXPORT = re.compile(r"\b(export|download)\b|导出|下载", re.I)
EXPORT_TEXT = (
    "Exporting is free. Click **Export** to render your video as an MP4; when it is done you "
    "can download it from the export panel."
)
_TITLE = re.compile(r"\b(title|caption|heading)\b|标题|字幕", re.I)
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|‘([^’]+)’|(?<!\w)\'([^\']+)\'(?!\w)')
_QUESTION = re.compile(
    r"\?\s*$|^\s*(hi|hello|hey|help|what|how|why|when|who|which|can|could|is|are|do|does|thanks?)\b",
    re.I,
)
# Words that only ever change an existing clip; a message made of them alone is an edit, not a scene.
_EDIT_WORDS = re.compile(
    r"\b(make|it|its|the|a|an|to|in|into|more|less|style|look|please|change|set|longer|shorter|"
    r"seconds?|secs?|s|vertical|portrait|square|landscape|widescreen|horizontal)\b|[\d:.,x]+",
    re.I,
)
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*-?\s*(?:s\b|sec\b|secs\b|seconds?\b|秒)|(\d+(?:\.\d+)?)\s*(?:min|minutes?)\b",
    re.I,
)
_ASPECT = re.compile(r"\b(16|9|1|4)\s*[:x：]\s*(9|16|1|3)\b")
_ASPECT_WORDS = (
    (re.compile(r"\b(vertical|portrait)\b|竖屏", re.I), "9:16"),
    (re.compile(r"\bsquare\b|方形", re.I), "1:1"),
    (re.compile(r"\b(landscape|widescreen|horizontal)\b|横屏", re.I), "16:9"),
)
_MOODS = re.compile(r"\b(warm|upbeat|epic|calm|dark|dreamy|happy|sad|chill)\b", re.I)
_LEAD = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?(?:generate|create|make|animate)\s+(?:me\s+)?"
    r"(?:(?:a|an)\s+)?(?:\d+\s*-?\s*(?:s|sec|secs|seconds?)\s+)?(?:(?:16|9|1):(?:9|16|1)\s+)?"
    r"(?:(?:video|clip|film|movie|animation)\s+)?(?:(?:of|about|showing|with)\s+)?",
    re.I,
)

HELP_TEXT = (
    "I can help you make an AI art video. Try:\n\n"
    '- **generate** a video: "generate a neon city at night, cinematic"\n'
    "- **add music** / **remove music**\n"
    '- **add title "Urban Dreams"** (the quoted text becomes the title)\n'
    "- **make it 15 seconds** to change the duration\n"
    "- **16:9**, **9:16** or **1:1** to change the aspect ratio\n"
    "- a style word such as **cinematic**, **watercolor**, **neon**, **anime** or **noir**\n\n"
    "You can also upload your own images and clips; they are added to the timeline."
)


@dataclass
class Turn:
    """What one message will do: its kind, its price, and the events it emits when run."""

    kind: str
    cost: int
    run: Callable[[], AsyncIterator[Item]]
    silent: bool = False

    def events(self) -> AsyncIterator[Item]:
        return self.run()


class Emitter:
    """Builds ADK events (camelCase, as ``Event.model_dump_json(by_alias=True)`` writes them)."""

    def __init__(self, author: str = APP_NAME) -> None:
        self.author = author
        self.invocation_id = f"e-{uuid.uuid4()}"
        self._calls = 0

    def event(
        self,
        content: dict[str, Any] | None = None,
        *,
        partial: bool | None = None,
        state_delta: dict[str, Any] | None = None,
        long_running: list[str] | None = None,
        usage: dict[str, int] | None = None,
    ) -> Event:
        ev: Event = {}
        if content is not None:
            ev["content"] = content
        if partial is not None:
            ev["partial"] = partial
        if usage is not None:
            ev["usageMetadata"] = usage
        ev["invocationId"] = self.invocation_id
        ev["author"] = self.author
        ev["actions"] = {
            "stateDelta": state_delta or {},
            "artifactDelta": {},
            "requestedAuthConfigs": {},
        }
        if long_running:
            ev["longRunningToolIds"] = long_running
        ev["id"] = str(uuid.uuid4())
        ev["timestamp"] = time.time()
        return ev

    def text(self, text: str, *, words_per_chunk: int = 3) -> list[Event]:
        """Partial chunks of a few words each, then the aggregated non-partial event."""
        words = re.findall(r"\s*\S+\s*", text) or [text]
        chunks = [
            "".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)
        ]
        events = [
            self.event({"parts": [{"text": c}], "role": "model"}, partial=True) for c in chunks
        ]
        tokens = max(1, len(text) // 4)
        events.append(
            self.event(
                {"parts": [{"text": text}], "role": "model"},
                usage={
                    "candidatesTokenCount": tokens,
                    "promptTokenCount": 10,
                    "totalTokenCount": tokens + 10,
                },
            )
        )
        return events

    def call(
        self, name: str, args: dict[str, Any], *, long_running: bool = False
    ) -> tuple[Event, str]:
        self._calls += 1
        call_id = f"adk-{uuid.uuid4()}"
        ev = self.event(
            {
                "parts": [{"functionCall": {"id": call_id, "args": args, "name": name}}],
                "role": "model",
            },
            long_running=[call_id] if long_running else None,
        )
        return ev, call_id

    def response(
        self, call_id: str, name: str, response: dict[str, Any], state_delta: dict[str, Any]
    ) -> Event:
        return self.event(
            {
                "parts": [
                    {"functionResponse": {"id": call_id, "name": name, "response": response}}
                ],
                "role": "user",
            },
            state_delta=state_delta,
        )


@dataclass
class _Edit:
    op: str
    value: Any = None


class ScriptedAgent:
    def __init__(self, options: LocalOptions) -> None:
        self.options = options

    # -- public ------------------------------------------------------------------------------
    def plan(
        self, state: dict[str, Any], message: str, *, session_id: str, turn_index: int
    ) -> Turn:
        """Decide what ``message`` does; nothing runs until ``Turn.events()`` is iterated."""
        rng = random.Random(f"{self.options.seed}:{session_id}:{turn_index}")
        bench = _BENCH_RE.match(message)
        if bench:
            n = min(int(bench.group(1) or 1000), 1_000_000)
            over = min(float(bench.group(2) or 0.0), 600.0)
            return Turn("bench", 0, lambda: self._bench(n, over))
        is_edit_only = bool(_MUSIC.search(message) or _TITLE.search(message))
        if _GEN_STRONG.search(message) or (_GEN_WEAK.search(message) and not is_edit_only):
            return Turn("generate", GENERATION_COST, lambda: self._generate(state, message, rng))
        edits = self._parse_edits(message)
        draft = drafts.clone(state.get("draft"))
        has_clip = any(s.get("kind") == "generated" for s in drafts.segments(draft, drafts.VIDEO))
        if not has_clip and not is_edit_only and _describes_a_scene(message):
            return Turn("generate", GENERATION_COST, lambda: self._generate(state, message, rng))
        if not edits and _EXPORT.search(message):
            return Turn("reply", 0, lambda: self._reply(EXPORT_TEXT))
        if not edits:
            return Turn("reply", 0, lambda: self._reply(HELP_TEXT))
        needs_clip = {"duration", "style"} & {e.op for e in edits}
        if needs_clip and not has_clip:
            return Turn(
                "reply",
                0,
                lambda: self._reply(
                    "There is no generated clip to change yet. Start with something like "
                    '"generate a neon city at night", then adjust its length or style.'
                ),
            )
        silent = rng.random() < self.options.silent_close_rate
        return Turn(
            "edit", EDIT_COST, lambda: self._edit(state, message, edits, rng, silent), silent=silent
        )

    # -- helpers -----------------------------------------------------------------------------
    async def _wait(self, seconds: float) -> AsyncIterator[Event]:
        """Heartbeats while a stage works: one now, then one every ``heartbeat_interval``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, seconds)
        yield HEARTBEAT
        while (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(self.options.heartbeat_interval, left))
            if deadline - loop.time() > 0:
                yield HEARTBEAT

    async def _say(self, em: Emitter, text: str) -> AsyncIterator[Event]:
        """Text as partial chunks paced like a model typing (not at all when stages are instant)."""
        pause = min(0.05, self.options.stage_delay / 30)
        for ev in em.text(text):
            yield ev
            if pause and ev.get("partial"):
                await asyncio.sleep(pause)

    async def _reply(self, text: str) -> AsyncIterator[Event]:
        em = Emitter()
        async for ev in self._say(em, text):
            yield ev

    def _parse_edits(self, message: str) -> list[_Edit]:
        edits: list[_Edit] = []
        removing = bool(_REMOVE.search(message))
        if _MUSIC.search(message):
            mood = _MOODS.search(message)
            edits.append(_Edit("remove_bgm") if removing else _Edit("add_bgm", _mood(mood)))
        if _TITLE.search(message):
            quoted = _quoted(message)
            if quoted:
                edits.append(_Edit("set_title", quoted))
            elif removing:
                edits.append(_Edit("remove_title"))
        seconds = _duration(message)
        if seconds is not None:
            edits.append(_Edit("duration", seconds))
        aspect = _aspect(message)
        if aspect:
            edits.append(_Edit("aspect", aspect))
        style = _style(message)
        if style:
            edits.append(_Edit("style", style))
        return edits

    # -- generation --------------------------------------------------------------------------
    async def _generate(
        self, state: dict[str, Any], message: str, rng: random.Random
    ) -> AsyncIterator[Event]:
        em = Emitter()
        style = _style(message) or "cinematic"
        seconds = _duration(message) or 10.0
        aspect = _aspect(message)
        prompt = _prompt(message)
        label = _label(prompt)
        title = _quoted(message) or label.title()
        seed = rng.randrange(10_000)
        canvas = dict(state.get("canvas_config") or {}) if not aspect else drafts.canvas_for(aspect)
        if not {"width", "height"} <= canvas.keys():
            canvas = drafts.canvas_for("16:9")

        async for ev in self._say(
            em,
            f"I'll generate “{label}” now: {seconds:g} s, {style} style. "
            "This takes a little while; I'll add music and a title when the clip is ready.",
        ):
            yield ev
        args = {
            "prompt": prompt,
            "duration": seconds,
            "style": style,
            "aspect_ratio": canvas.get("aspect_ratio", "16:9"),
        }
        call, call_id = em.call("generate_video", args, long_running=True)
        yield call
        async for hb in self._wait(self.options.stage_delay):
            yield hb

        draft = drafts.clone(state.get("draft"))
        video = drafts.track(draft, drafts.VIDEO, create=True)
        assert video is not None
        clip = {
            "id": drafts.new_id(),
            "kind": "generated",
            "start_ms": 0,
            "duration_ms": int(seconds * 1000),
            "label": label,
            "prompt": prompt,
            "style": style,
            "seed": seed,
            "volume": 1.0,
        }
        video["sg"] = [clip, *(s for s in video["sg"] if s.get("kind") != "generated")]
        draft["m"].update({"prompt": prompt, "style": style, "seed": seed, "title": title})
        drafts.apply_canvas(draft, canvas)
        draft["m"]["fps"] = canvas.get("fps", drafts.DEFAULT_FPS)
        drafts.relayout(draft)
        media = [m for m in state.get("generated_media") or [] if isinstance(m, dict)]
        media.append(
            {
                "id": clip["id"],
                "type": "video",
                "prompt": prompt,
                "style": style,
                "duration": seconds,
                "seed": seed,
            }
        )
        yield em.response(
            call_id,
            "generate_video",
            {"status": "success", "video_id": clip["id"], "duration": seconds},
            {"draft": draft, "canvas_config": canvas, "generated_media": media},
        )

        async for ev in self._say(em, "The clip is ready. Adding background music and a title…"):
            yield ev
        mood = _mood(_MOODS.search(message), style)
        ops = [{"op": "add_bgm", "mood": mood}, {"op": "set_title", "text": title}]
        call, call_id = em.call("edit_multitrack", {"operations": ops})
        yield call
        async for hb in self._wait(self.options.stage_delay):
            yield hb
        draft = drafts.clone(draft)
        if not drafts.segments(draft, drafts.AUDIO):
            _add_bgm(draft, mood)
        _set_title(draft, title)
        drafts.relayout(draft)
        yield em.response(call_id, "edit_multitrack", {"result": "ok"}, {"draft": draft})

        bgm = next((s for s in drafts.segments(draft, drafts.AUDIO)), {})
        async for ev in self._say(
            em,
            f"Your video **{title}** is ready: {draft['d'] / 1000:g} s, "
            f"{canvas.get('aspect_ratio', '16:9')}, {style} style, with background music "
            f"“{bgm.get('label', MOOD_LABELS[mood])}” and the title “{title}”.\n\n"
            "Preview it in the timeline, or click Export to render the MP4.",
        ):
            yield ev

    # -- edits -------------------------------------------------------------------------------
    async def _edit(
        self,
        state: dict[str, Any],
        message: str,
        edits: list[_Edit],
        rng: random.Random,
        silent: bool,
    ) -> AsyncIterator[Event]:
        em = Emitter()
        draft = drafts.clone(state.get("draft"))
        canvas = dict(state.get("canvas_config") or {}) or drafts.canvas_for("16:9")
        delta: dict[str, Any] = {}
        done: list[str] = []
        for edit in edits:
            done.append(_apply_edit(draft, edit, canvas, delta))
        drafts.relayout(draft)
        delta["draft"] = draft
        ops = [
            {"op": e.op, "value": e.value} if e.value is not None else {"op": e.op} for e in edits
        ]
        call, call_id = em.call("edit_multitrack", {"operations": ops})
        yield call
        async for hb in self._wait(self.options.stage_delay):
            yield hb
        yield em.response(call_id, "edit_multitrack", {"result": "ok", "applied": done}, delta)
        if silent:
            return
        text = "Done: " + "; ".join(done) + "."
        async for ev in self._say(em, text):
            yield ev

    # -- benchmark ---------------------------------------------------------------------------
    async def _bench(self, n: int, over: float = 0.0) -> AsyncIterator[Item]:
        """Partial chunks serialised by template: 256 frames per write as fast as possible, or,
        with ``over`` seconds, each frame at its even share of that time (paced like an agent)."""
        em = Emitter()
        probe = em.event({"parts": [{"text": "\x00"}], "role": "model"}, partial=True)
        probe["id"], probe["timestamp"] = "\x01", 0.5
        head, rest = json.dumps(probe, separators=(",", ":")).split('"\\u0000"')
        middle, tail = rest.split('"\\u0001"')
        head_b, middle_b = b"data: " + head.encode(), middle.encode()
        tail_b = tail.replace("0.5", "{ts}").encode()
        id_base = str(uuid.uuid4())[:-8]
        parts: list[str] = []
        batch: list[bytes] = []
        started = time.monotonic()
        for i, chunk in enumerate(bench_chunks(n)):
            if over > 0:
                due = started + over * i / n
                if batch and time.monotonic() < due:
                    yield RawFrames(b"".join(batch), len(batch))
                    batch = []
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            parts.append(chunk)
            text = json.dumps(chunk, ensure_ascii=False).encode()
            ts = tail_b.replace(b"{ts}", repr(time.time()).encode())
            batch.append(
                b'%s%s%s"%s%08x"%s\n\n' % (head_b, text, middle_b, id_base.encode(), i, ts)
            )
            if len(batch) == 256:
                yield RawFrames(b"".join(batch), len(batch))
                batch = []
                await asyncio.sleep(0)
        if batch:
            yield RawFrames(b"".join(batch), len(batch))
        yield em.event({"parts": [{"text": "".join(parts)}], "role": "model"})


def _apply_edit(
    draft: dict[str, Any], edit: _Edit, canvas: dict[str, Any], delta: dict[str, Any]
) -> str:
    if edit.op == "add_bgm":
        label = _add_bgm(draft, str(edit.value))
        return f"added background music “{label}”"
    if edit.op == "remove_bgm":
        trk = drafts.track(draft, drafts.AUDIO)
        if trk is None or not trk["sg"]:
            return "there was no background music to remove"
        trk["sg"] = [s for s in trk["sg"] if s.get("kind") != "bgm"]
        return "removed the background music"
    if edit.op == "set_title":
        _set_title(draft, str(edit.value))
        draft["m"]["title"] = str(edit.value)
        return f"set the title to “{edit.value}”"
    if edit.op == "remove_title":
        trk = drafts.track(draft, drafts.TEXT)
        if trk is not None:
            trk["sg"] = []
        return "removed the title"
    if edit.op == "duration":
        seconds = float(edit.value)
        video = drafts.segments(draft, drafts.VIDEO)
        generated = [s for s in video if s.get("kind") == "generated"]
        fixed = sum(int(s.get("duration_ms") or 0) for s in video if s.get("kind") != "generated")
        share = max(1000, int((seconds * 1000 - fixed) / max(1, len(generated))))
        for seg in generated:
            seg["duration_ms"] = share
        return f"set the length to {seconds:g} s"
    if edit.op == "aspect":
        new = drafts.canvas_for(str(edit.value), int(canvas.get("fps") or drafts.DEFAULT_FPS))
        canvas.clear()
        canvas.update(new)
        drafts.apply_canvas(draft, new)
        delta["canvas_config"] = new
        return f"changed the aspect ratio to {edit.value} ({new['width']}×{new['height']})"
    if edit.op == "style":
        for seg in drafts.segments(draft, drafts.VIDEO):
            if seg.get("kind") == "generated":
                seg["style"] = edit.value
        draft["m"]["style"] = edit.value
        return f"restyled the generated clips as {edit.value}"
    return f"skipped {edit.op}"


def _add_bgm(draft: dict[str, Any], mood: str) -> str:
    mood = mood if mood in MOOD_LABELS else "warm"
    trk = drafts.track(draft, drafts.AUDIO, create=True)
    assert trk is not None
    label = MOOD_LABELS[mood]
    trk["sg"] = [s for s in trk["sg"] if s.get("kind") != "bgm"]
    trk["sg"].append(
        {
            "id": drafts.new_id(),
            "kind": "bgm",
            "start_ms": 0,
            "duration_ms": int(draft.get("d") or 10000),
            "label": label,
            "mood": mood,
            "volume": 0.6,
        }
    )
    return label


def _set_title(draft: dict[str, Any], text: str) -> None:
    trk = drafts.track(draft, drafts.TEXT, create=True)
    assert trk is not None
    d = int(draft.get("d") or 0)
    trk["sg"] = [
        {
            "id": drafts.new_id(),
            "kind": "title",
            "start_ms": 0,
            "duration_ms": min(drafts.TITLE_MS, d) if d else drafts.TITLE_MS,
            "text": text,
            "position": "center",
            "fade_ms": 500,
        }
    ]


def _describes_a_scene(message: str) -> bool:
    """On an empty timeline, "a futuristic city at sunset, cinematic" means: generate it.

    Questions, greetings and bare edit commands ("make it 20 seconds", "watercolor") do not.
    """
    if _QUESTION.search(message) or _EXPORT.search(message):
        return False
    rest = _EDIT_WORDS.sub(" ", message)
    style = _style(message)
    if style:
        rest = re.sub(rf"\b{re.escape(style)}\b", " ", rest, flags=re.I)
    words = re.findall(r"\w+", rest)
    if not message.isascii():
        for word in STYLE_WORDS:
            rest = rest.replace(word, " ")
        return len("".join(re.findall(r"\w+", rest))) >= 3
    return len(words) >= 2


def _quoted(message: str) -> str | None:
    m = _QUOTED.search(message)
    if not m:
        return None
    text = next(g for g in m.groups() if g is not None).strip()
    return text[:120] or None


def _duration(message: str) -> float | None:
    m = _DURATION.search(message)
    if not m:
        return None
    seconds = float(m.group(1)) if m.group(1) else float(m.group(2)) * 60
    return max(2.0, min(60.0, seconds))


def _aspect(message: str) -> str | None:
    m = _ASPECT.search(message)
    if m:
        ratio = f"{m.group(1)}:{m.group(2)}"
        if ratio in drafts.ASPECTS:
            return ratio
    for pattern, ratio in _ASPECT_WORDS:
        if pattern.search(message):
            return ratio
    return None


def _style(message: str) -> str | None:
    low = message.lower()
    for word, style in STYLE_WORDS.items():
        if re.search(rf"\b{re.escape(word)}\b", low) or (not word.isascii() and word in low):
            return style
    return None


def _mood(match: re.Match[str] | None, style: str | None = None) -> str:
    if match:
        word = match.group(1).lower()
        return {"happy": "upbeat", "sad": "dark", "chill": "calm"}.get(word, word)
    return STYLE_MOODS.get(style or "", "warm")


def _prompt(message: str) -> str:
    """The subject as the user wrote it, minus command words, quotes, duration and aspect."""
    text = _QUOTED.sub("", message)
    text = _DURATION.sub("", text)
    text = _ASPECT.sub("", text)
    for pattern, _ratio in _ASPECT_WORDS:
        text = pattern.sub("", text)
    text = re.sub(r"\s{2,}", " ", text)
    text = _LEAD.sub("", text).strip(" .,!?:;，。")
    text = re.sub(r"^(生成|制作|做一个)", "", text).strip()
    text = re.sub(r"\s+(in|at|with|and)$", "", text)
    return text or "abstract flowing colors"


def _label(prompt: str) -> str:
    """A short name for the clip: the prompt without style words and filler."""
    text = prompt
    for word in STYLE_WORDS:
        text = re.sub(rf"(,\s*)?\b{re.escape(word)}\b(\s+style)?", "", text, flags=re.I)
    text = re.sub(
        r"\b(video|clip|film|movie|animation)\b(\s+(of|about|showing))?", "", text, flags=re.I
    )
    text = re.sub(r"\s{2,}", " ", text).strip(" .,!?:;，。-")
    text = re.sub(r"^(?:(?:a|an|the|of)\s+)+", "", text, flags=re.I)
    text = re.sub(r"\s+(in|at|with|and|of)$", "", text, flags=re.I)
    if len(text) > 48:
        text = text[:48].rsplit(" ", 1)[0]
    return text or "abstract art"


_BENCH_BLOCKS = (
    "## Section {i}\n\n",
    "This is paragraph {i} of the streaming benchmark, with **bold** and `code` words. ",
    "It keeps going for a while so the renderer has to wrap long lines.\n\n",
    "- first item {i}\n- second item with *emphasis*\n- third item\n\n",
    "```python\ndef step_{i}(x):\n    return x * {i}\n```\n\n",
)


def bench_chunks(n: int) -> Iterator[str]:
    """``n`` small pieces (a few characters each) of a long mixed Markdown document."""
    produced = 0
    i = 0
    while produced < n:
        for block in _BENCH_BLOCKS:
            text = block.format(i=i)
            for piece in re.findall(r"\S*\s*", text):
                if not piece:
                    continue
                yield piece
                produced += 1
                if produced >= n:
                    return
        i += 1
