"""Fuzzing every parser of untrusted input with mutated realistic inputs.

A seeded mutator takes real shapes (ADK frames, state bodies, render polls, error bodies, the
config file, the journal and other local files) and spoils them the way a broken or hostile server
(or a damaged disk) would: ``1e999``, ``Infinity``, NaN, 400-digit numbers, negative figures,
``"①"``, ~1,000-level nesting, control sequences, lone surrogates, cut or flipped bytes, invalid
UTF-8. Each target states which errors are documented for it; anything else is a failure, and so
is control text or an unbounded figure reaching what would be displayed.

Bounded: about :data:`DEFAULT_SECONDS` in all by default; ``ARTGEN_FUZZ_SECONDS=600`` runs longer
(``ARTGEN_FUZZ_SEED`` picks another seed). Failures are grouped by (target, exception, place) so
one bug hit a thousand times is reported once with its count.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import os
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from artgen_tui.api.client import ClientOptions, NemoClient
from artgen_tui.api.errors import ApiError, MalformedResponse, error_from_response
from artgen_tui.api.events import EventDecoder, StreamError, TextDelta, ToolCall, ToolResult
from artgen_tui.api.models import Credits, SessionInfo, SessionState, Token, UploadResult
from artgen_tui.api.sse import SSEParser
from artgen_tui.api.untrusted import is_clean
from artgen_tui.config import ConfigError, load_settings
from artgen_tui.core import sidecar, timeline
from artgen_tui.core.batch_journal import BatchJournal
from artgen_tui.core.credentials import CredentialStore
from artgen_tui.core.credits import credits_sentence
from artgen_tui.core.history import Transcript
from artgen_tui.core.jobs import JobManager
from artgen_tui.core.spend import SpendGuard

DEFAULT_SECONDS = 12.0
SECONDS = float(os.environ.get("ARTGEN_FUZZ_SECONDS", DEFAULT_SECONDS))
SEED = int(os.environ.get("ARTGEN_FUZZ_SEED", "20261204"))
MIN_INPUTS = 40
"""Each target gets at least this many inputs, however slow the machine."""


def _deep(levels: int, kind: str = "[") -> str:
    if kind == "[":
        return "[" * levels + "1" + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels


HOSTILE = [
    "1e999",
    "-1e999",
    "Infinity",
    "-Infinity",
    "NaN",
    "1" + "0" * 400,
    "-" + "9" * 400,
    "-1",
    "-100",
    "0",
    "null",
    "true",
    '"①"',
    '"\\u001b]2;pwned\\u0007\\u001b]52;c;cHduZWQ=\\u0007\\u001b[2J"',
    '"\\u001bP$q\\"p\\u001b\\\\ \\u009b31m \\u0007\\r\\b"',
    '"\\ud800"',
    '"\\u202eevil"',
    _deep(1200),
    _deep(300, "{"),
    _deep(990),
    '""',
    "[]",
    "{}",
    '"' + "x" * 50_000 + '"',
    '"1e999"',
    '"inf"',
    '"-5"',
]
"""Raw JSON values a hostile server may put anywhere."""

RAW_NOISE = [b"\xff", b"\xc3", b"\x00", b"\x1b[2J", b"\x9b", b"\r", b"\n", b'"', b"{", b"]", b"\\"]


def _positions(value: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        for key in list(value):
            out.append((value, key))
            _positions(value[key], out)
    elif isinstance(value, list):
        for index in range(len(value)):
            out.append((value, index))
            _positions(value[index], out)
    return out


def mutate_json(rng: random.Random, seed: Any) -> bytes:
    """A realistic JSON value with hostile values spliced in, then maybe byte-level damage."""
    value = copy.deepcopy(seed)
    raws: dict[str, str] = {}
    for n in range(rng.choice((1, 1, 2, 3, 5))):
        spots = _positions(value, [])
        marker = f"@@hostile{n}@@"
        raws[marker] = rng.choice(HOSTILE)
        if not spots or rng.random() < 0.1:
            if isinstance(value, dict):
                value[rng.choice(("code", "message", "data", "extra", "t", "sg"))] = marker
            continue
        container, key = rng.choice(spots)
        action = rng.random()
        if action < 0.7:
            container[key] = marker
        elif action < 0.8 and isinstance(container, dict):
            del container[key]
        elif action < 0.9:
            container[key] = [container[key], marker]
        else:
            container[key] = {"text": marker, "name": marker, "id": marker}
    text = json.dumps(value)
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    data = text.encode("utf-8", "surrogatepass")
    return damage_bytes(rng, data) if rng.random() < 0.25 else data


def damage_bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        at = rng.randint(0, len(buf))
        if choice < 0.3 and buf:
            del buf[at:]  # cut
        elif choice < 0.6:
            buf[at:at] = rng.choice(RAW_NOISE)
        elif buf:
            buf[min(at, len(buf) - 1)] ^= 1 << rng.randint(0, 7)
    return bytes(buf)


# --- realistic seeds ----------------------------------------------------------------------------

SEGMENT = {
    "id": "s1",
    "st": 0,
    "du": 3000,
    "n": "Urban Dreams",
    "src": "https://cdn/x.mp4",
    "v": 80,
}
STATE = {
    "code": 0,
    "data": {
        "session_id": "sess_1",
        "task_name": "project",
        "user_id": "u1",
        "state": {
            "draft": {
                "t": [
                    {"tt": 0, "id": "t0", "sg": [SEGMENT, {**SEGMENT, "id": "s2", "st": 3000}]},
                    {"tt": 7, "sg": [{"id": "x1", "text": "Hello", "start": 0, "duration": 2}]},
                    {"tt": 1, "sg": [{"id": "a1", "name": "beat.mp3", "volume": 0.5}]},
                ],
                "d": 6000,
                "m": {"title": "My video"},
            },
            "canvas_config": {"width": 1920, "height": 1080, "fps": 30, "aspect_ratio": "16:9"},
            "video_infos": [{"filename": "clip.mp4"}],
        },
    },
}
BODIES: list[tuple[type[Any], Any]] = [
    (Token, {"code": 0, "data": {"token": "nmv_x", "user_id": "u", "credits": 100}}),
    (Token, {"code": 0, "data": {"token": "t", "expires_at": "2030-01-01T00:00:00Z"}}),
    (SessionInfo, {"code": 0, "data": {"session_id": "s", "task_id": "t", "user_id": "u"}}),
    (Credits, {"code": 0, "data": {"available": 390, "frozen": 0, "total": 390}}),
    (SessionState, STATE),
    (
        UploadResult,
        {"code": 0, "data": {"files": [{"filename": "a.mp4", "duration": 3.5, "width": 640}]}},
    ),
]
ERRORS = [
    {"code": 1001, "message": "token expired"},
    {"code": 2001, "message": "no credits", "data": {"user_id": "u1"}},
    {"code": "4001", "msg": "bad type"},
    {"success": False, "error": "nope"},
    {"detail": [{"loc": ["body"], "msg": "bad"}]},
    {"detail": {"message": "session not found"}},
]
RENDERS = [
    {"success": True, "data": {"id": "r1", "status": "running", "progress": 40}},
    {"id": "r1", "status": "completed", "output": {"url": "https://cdn/r.mp4"}, "createdAt": 1.5},
    {"data": {"taskId": "r1", "status": "failed", "errorMessage": "encoder crashed"}},
]
FRAMES = [
    {"content": {"parts": [{"text": "Hello"}], "role": "model"}, "partial": True, "author": "a"},
    {"content": {"parts": [{"functionCall": {"name": "edit", "args": {"x": 1}, "id": "c1"}}]}},
    {"content": {"parts": [{"functionResponse": {"name": "edit", "response": {"ok": 1}}}]}},
    {"actions": {"stateDelta": {"draft": {"t": []}}}, "author": "a"},
    {"type": "text", "content": "hi"},
    {"type": "tool_call", "name": "generate", "args": {}},
    {"type": "error", "message": "quota"},
    {"errorCode": "RESOURCE_EXHAUSTED", "errorMessage": "slow down"},
    {"error": "boom", "error_details": {"error_type": "X"}},
]
JOURNAL = {
    "jobs": [
        {
            "id": "render_1",
            "session_id": "s",
            "status": "downloading",
            "progress": 40,
            "created_at": 1.0,
            "updated_at": 2.0,
            "download_bytes": 10,
            "error": None,
        }
    ]
}


# --- the harness --------------------------------------------------------------------------------


class Findings:
    """Inputs tried and distinct failures, keyed by (target, exception, innermost place)."""

    def __init__(self) -> None:
        self.inputs = Counter[str]()
        self.failures = Counter[tuple[str, str, str]]()
        self.examples: dict[tuple[str, str, str], str] = {}

    def fail(self, target: str, exc: Exception | str, sample: bytes) -> None:
        if isinstance(exc, Exception):
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "artgen_tui" in f.filename] or frames
            place = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
            key = (target, type(exc).__name__, place)
        else:
            key = (target, exc, "")
        self.failures[key] += 1
        self.examples.setdefault(key, repr(sample[:160]))

    def report(self) -> str:
        lines = [
            f"{sum(self.inputs.values())} inputs, {len(self.failures)} distinct failures",
            *(
                f"  {t} {e} {p} ×{n}: {self.examples[(t, e, p)]}"
                for (t, e, p), n in self.failures.most_common()
            ),
        ]
        return "\n".join(lines)


def run_target(
    findings: Findings,
    name: str,
    budget: float,
    make: Callable[[random.Random], bytes],
    check: Callable[[bytes], None],
) -> None:
    rng = random.Random(f"{SEED}:{name}")
    deadline = time.monotonic() + budget
    n = 0
    while n < MIN_INPUTS or time.monotonic() < deadline:
        sample = make(rng)
        n += 1
        try:
            check(sample)
        except AssertionError as exc:
            findings.fail(name, f"shown: {str(exc).splitlines()[0]}", sample)
        except Exception as exc:  # not BaseException: a test timeout or Ctrl+C must stop the run
            findings.fail(name, exc, sample)
    findings.inputs[name] = n


def shown(text: object, what: str) -> None:
    """What would be drawn: no raw control character, bounded length."""
    assert isinstance(text, str), f"{what} is not text"
    assert is_clean(text), f"raw control character in {what}"
    assert len(text) <= 250_000, f"{what} is unbounded ({len(text)} chars)"


def figure(value: float | int | None, what: str, low: float = 0, high: float = 1e15) -> None:
    if value is None:
        return
    assert math.isfinite(value), f"{what} is not finite"
    assert low <= value <= high, f"{what} out of range"


# --- targets ------------------------------------------------------------------------------------


def check_sse(sample: bytes) -> None:
    parser, decoder = SSEParser(), EventDecoder()
    text = sample.decode("utf-8", "replace")  # what httpx's line iterator yields
    payloads = [p for line in text.splitlines() if (p := parser.feed_line(line)) is not None]
    if (tail := parser.flush()) is not None:
        payloads.append(tail)
    for payload in payloads:
        for event in decoder.feed(payload):
            if isinstance(event, TextDelta):
                shown(event.text, "reply text")
            elif isinstance(event, ToolCall | ToolResult):
                shown(event.name, "tool name")
            elif isinstance(event, StreamError):
                shown(event.message, "stream error")


def make_sse(rng: random.Random) -> bytes:
    frames = rng.sample(FRAMES, rng.randint(1, 4))
    out = b""
    for frame in frames:
        out += b"data: " + mutate_json(rng, frame) + b"\n\n"
    return damage_bytes(rng, out) if rng.random() < 0.2 else out


def check_display(state: SessionState) -> None:
    """What the faces do with a state: rows, summary, diff, caption, the export's payload."""
    for row in timeline.rows(state.draft):
        shown(row.label, "segment label")
        shown(row.track_name, "track name")
        figure(row.start_s, "start")
        figure(row.duration_s, "duration")
    shown(timeline.summary(state), "state summary")
    shown(timeline.diff(None, state).sentence, "diff sentence")
    shown(timeline.canvas(state).describe(), "canvas")
    figure(timeline.duration_s(state.draft), "total duration")
    json.dumps(state.draft.to_wire())


class BodyTarget:
    """Bodies through the client's real reading path: ``_read_body``, ``_data``, ``_model``."""

    def __init__(self, tmp: Path) -> None:
        self.client = NemoClient(
            ClientOptions(api_url="http://127.0.0.1:9"), CredentialStore(tmp, "http://127.0.0.1:9")
        )
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()

    def make(self, rng: random.Random) -> bytes:
        self.cls, seed = rng.choice(BODIES)
        self.status = rng.choice((200, 200, 200, 400, 404, 429, 500))
        self.retry_after = rng.choice(("inf", "1e999", "-5", "nan", "30", "9" * 400, "x"))
        return mutate_json(rng, seed)

    def check(self, sample: bytes) -> None:
        response = httpx.Response(
            self.status,
            content=sample,
            headers={"content-type": "application/json", "retry-after": self.retry_after},
        )
        try:
            body = self.loop.run_until_complete(self.client._read_body(response, "Reading"))
            model = NemoClient._model(self.cls, NemoClient._data(body, "Reading"), "Reading")
        except ApiError as err:
            shown(err.user_text(), "error text")
            assert len(err.user_text()) < 5_000, "error text is unbounded"
            figure(getattr(err, "retry_after", None), "retry-after")
            return
        if isinstance(model, SessionState):
            check_display(model)
        elif isinstance(model, Credits):
            figure(model.available, "credits")
            figure(model.total, "credits")
            shown(credits_sentence(model), "credits")
        elif isinstance(model, UploadResult):
            for f in model.files:
                figure(f.duration, "upload duration")
        elif isinstance(model, Token):
            figure(model.credits, "token credits")


def check_error(sample: bytes) -> None:
    try:
        body = json.loads(sample)
    except (ValueError, RecursionError):
        body = sample.decode("utf-8", "replace")
    status = 400 + len(sample) % 200
    err = error_from_response(status, body, {"retry-after": "inf"}, user_id="u")
    if err is not None:
        shown(err.user_text(), "error text")
        figure(getattr(err, "retry_after", None), "retry-after")


def check_render(sample: bytes) -> None:
    try:
        body = json.loads(sample)
    except (ValueError, RecursionError):
        return
    if not isinstance(body, dict):
        return
    try:
        job = NemoClient._render_job(body, "render_x", "Checking the export")
    except MalformedResponse as err:
        shown(err.user_text(), "error text")
        return
    figure(job.progress, "progress", 0, 100)
    figure(job.created_at, "created at")
    figure(job.completed_at, "completed at")
    if job.error is not None:
        shown(job.error, "render error")


def make_config(rng: random.Random) -> bytes:
    text = (Path(__file__).parent.parent / "config.example.toml").read_text("utf-8")
    lines = [line.removeprefix("# ") if "=" in line else line for line in text.splitlines()]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        if "=" in lines[i]:
            key = lines[i].split("=")[0]
            value = rng.choice(
                ["inf", "nan", "-1", "1e999", "9" * 30, '"\\u001b]2;x\\u0007"', "[[[[1]]]]", '"①"']
            )
            lines[i] = f"{key}= {value}"
    data = "\n".join(lines).encode()
    return damage_bytes(rng, data) if rng.random() < 0.3 else data


class LocalFiles:
    """The files artgen writes itself, damaged on disk: each reads as empty or as what is sound."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.which = ""

    def make(self, rng: random.Random) -> bytes:
        self.which = rng.choice(
            ("journal", "transcript", "client_id", "token", "batch", "spend", "sidecar")
        )
        if self.which == "transcript":
            lines = [mutate_json(rng, {"role": "user", "text": "hi", "at": 1.0}) for _ in range(3)]
            return b"\n".join(lines)
        if self.which == "client_id":
            return damage_bytes(rng, b"0b6f3c1e-6a53-4b8e-9d0f-1c2d3e4f5a6b\n")
        seeds: dict[str, Any] = {
            "journal": JOURNAL,
            "token": {"token": "nmv_x", "user_id": "u", "expires_at": "2099-01-01T00:00:00Z"},
            "batch": {"identity": "me", "items": {"0": {"fingerprint": "f", "status": "done"}}},
            "spend": {"me": {"chat": [3, 5], "export": [10]}},
            "sidecar": {"prompts": ["a"], "render_id": "r", "draft": STATE["data"]},
        }
        return mutate_json(rng, seeds[self.which])

    def check(self, sample: bytes) -> None:
        root = self.tmp / "files"
        root.mkdir(exist_ok=True)
        store = CredentialStore(root, "http://127.0.0.1:9")
        target = {
            "journal": root / "jobs.json",
            "transcript": root / "s.jsonl",
            "client_id": store.client_id_file,
            "token": store.token_file,
            "batch": root / "batch.json",
            "spend": root / "spend.json",
            "sidecar": sidecar.sidecar_path(root / "out.mp4"),
        }[self.which]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sample)
        if self.which == "journal":
            jobs = JobManager(cast(Any, SimpleNamespace(identity="")), root, target, 1.0)
            for job in jobs.jobs():
                assert isinstance(job.id, str)
        elif self.which == "transcript":
            for entry in Transcript("s", root).load():
                assert isinstance(entry.text, str)
        elif self.which == "client_id":
            value = store.client_id()
            assert value.isprintable() and value.isascii() and len(value) <= 64, "bad client id"
        elif self.which == "token":
            store.load_token()
        elif self.which == "batch":
            journal = BatchJournal(root / "b.toml", "d", "me", root)
            journal.path.write_bytes(sample)
            BatchJournal(root / "b.toml", "d", "me", root)
        elif self.which == "spend":
            guard = SpendGuard("me", history_path=target)
            for kind in ("chat", "export"):
                guard.observed(cast(Any, kind))
                guard.estimate(cast(Any, kind))
        else:
            sidecar.read(root / "out.mp4")


@pytest.mark.timeout(SECONDS * 2 + 120)
def test_fuzz_every_parser_of_untrusted_input(tmp_path: Path) -> None:
    findings = Findings()
    budget = SECONDS / 7
    run_target(findings, "sse", budget, make_sse, check_sse)
    bodies = BodyTarget(tmp_path)
    try:
        run_target(findings, "bodies", budget, bodies.make, bodies.check)
    finally:
        bodies.close()
    run_target(findings, "errors", budget, lambda r: mutate_json(r, r.choice(ERRORS)), check_error)
    run_target(
        findings, "renders", budget, lambda r: mutate_json(r, r.choice(RENDERS)), check_render
    )

    config = tmp_path / "config.toml"

    def check_config(sample: bytes) -> None:
        config.write_bytes(sample)
        try:
            load_settings(config)
        except ConfigError as err:
            shown(str(err), "config error")

    run_target(findings, "config", budget, make_config, check_config)
    files = LocalFiles(tmp_path)
    run_target(findings, "local files", budget * 2, files.make, files.check)
    print("\nfuzz:", findings.report())
    assert not findings.failures, findings.report()


def test_the_mutator_really_produces_hostile_input() -> None:
    """A fuzzer that never produced a deep, infinite or escaped value would prove nothing."""
    rng = random.Random(1)
    samples = [mutate_json(rng, STATE) for _ in range(400)]
    assert any(b"1e999" in s for s in samples)
    assert any(b"[[[[[[[[" in s for s in samples)
    assert any(b"\\u001b]2;" in s for s in samples)
    assert any(b"0" * 400 in s for s in samples)
    with pytest.raises(RecursionError):
        json.loads(_deep(1200))
