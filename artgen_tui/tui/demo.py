"""Canned app states for screenshots and snapshot tests.

Each scene drives a disconnected :class:`ArtgenApp` through the same methods the live flows use
(``turns.apply``, ``credits.show``, ``timeline.show_state``, ``jobs_panel.upsert``…) with
fixed data and frozen clocks, so the pictures are deterministic.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from artgen_tui.api.errors import InsufficientCredits
from artgen_tui.api.models import Credits, SessionState
from artgen_tui.config import Settings
from artgen_tui.core import conversation as conv
from artgen_tui.core import timeline
from artgen_tui.core.gui_phrases import find_actions
from artgen_tui.core.jobs import ExportJob
from artgen_tui.core.prompt_history import PromptHistory
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.turn_view import TurnState
from artgen_tui.tui.welcome import greet

NOW = 1_800_000_000.0
"""The frozen wall clock (Unix time) of every scene."""

PROMPT = "a futuristic city at sunset, cinematic"

DRAFT: dict[str, Any] = {
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1920, "height": 1080, "fps": 24, "aspect": "16:9"},
    "t": [
        {
            "tt": 0,
            "id": "trk_video",
            "sg": [
                {
                    "id": "seg_1a2b",
                    "kind": "generated",
                    "start_ms": 0,
                    "duration_ms": 10000,
                    "label": "futuristic city at sunset",
                    "volume": 1.0,
                }
            ],
        },
        {
            "tt": 1,
            "id": "trk_bgm",
            "sg": [
                {
                    "id": "seg_7a8b",
                    "kind": "bgm",
                    "start_ms": 0,
                    "duration_ms": 10000,
                    "label": "Soft synth pad",
                    "volume": 0.6,
                }
            ],
        },
        {
            "tt": 7,
            "id": "trk_text",
            "sg": [
                {
                    "id": "seg_9c0d",
                    "kind": "title",
                    "start_ms": 0,
                    "duration_ms": 3000,
                    "text": "Urban Dreams",
                }
            ],
        },
    ],
}

REPLY = (
    "I'll generate a **10 s cinematic** video of a futuristic city at sunset.\n\n"
    "Your video *Urban Dreams* is ready:\n\n"
    "- 10 s, 16:9, cinematic style\n"
    "- background music “Soft synth pad”\n"
    "- the title “Urban Dreams”\n\n"
    "Preview it in the timeline, or click Export to render the MP4. "
    "Text like [red]this[/red] is shown as written."
)


def state_of(draft: dict[str, Any]) -> SessionState:
    return SessionState.model_validate(
        {
            "session_id": "5529798706024415232",
            "task_name": "project",
            "state": {
                "draft": draft,
                "canvas_config": {"width": 1920, "height": 1080, "aspect_ratio": "16:9", "fps": 24},
            },
        }
    )


def edited_draft() -> dict[str, Any]:
    """The sample draft after "add title 'Neon Nights', louder music"."""
    draft = copy.deepcopy(DRAFT)
    draft["t"][1]["sg"][0]["volume"] = 0.9
    draft["t"][2]["sg"][0]["text"] = "Neon Nights"
    draft["t"][2]["sg"].append(
        {"id": "seg_e1f2", "kind": "title", "start_ms": 7000, "duration_ms": 3000, "text": "Fin"}
    )
    return draft


def demo_app(theme: str = "textual-dark") -> ArtgenApp:
    """A disconnected app with frozen clocks and a fixed theme."""
    settings = Settings(api_url="http://127.0.0.1:9", theme=theme)
    return ArtgenApp(
        settings,
        autoconnect=False,
        clock=lambda: 100.0,
        wall_clock=lambda: NOW,
        prompt_history=PromptHistory(),
    )


async def _ready(app: ArtgenApp, credits: Credits | None = None) -> None:
    app.set_ready()
    app.credits.show(credits or Credits(available=400, frozen=0, total=400))


async def _turn(app: ArtgenApp, events: list[conv.TurnEvent]) -> None:
    turn = TurnState("")
    for event in events:
        await app.turns.apply(event, turn)


async def scene_connecting(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    await pilot.pause()


async def scene_ready(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app, Credits(available=500, frozen=0, total=500))
    await greet(app.chat, app.key_of)
    await pilot.pause()


async def scene_streamed_reply(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app)
    await app.chat.add_user(PROMPT)
    state = state_of(DRAFT)
    change = timeline.diff(None, state)
    split = REPLY.index("\n\n") + 2
    head, tail = REPLY[:split], REPLY[split:]
    await _turn(
        app,
        [
            conv.TextChunk(head),
            conv.ToolActivity("generate_video", "working: generate video"),
            conv.TimelineChanged(state, change),
            conv.TextChunk(tail),
            conv.TurnDone(REPLY, False, change, None, actions=find_actions(REPLY)),
        ],
    )
    await pilot.pause()


async def scene_silent_close(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app, Credits(available=390, frozen=0, total=390))
    before, after = state_of(DRAFT), state_of(edited_draft())
    app.timeline.show_state(before)
    await app.chat.add_user("add title 'Neon Nights', louder music")
    change = timeline.diff(before, after)
    await _turn(
        app,
        [
            conv.ToolActivity("edit_multitrack", "working: edit multitrack"),
            conv.TimelineChanged(after, change),
            conv.TextChunk(change.sentence),
            conv.TurnDone(change.sentence, True, change, None),
        ],
    )
    await pilot.pause()


def sample_jobs() -> list[ExportJob]:
    return [
        ExportJob(
            id="render_0c41d9",
            session_id="s1",
            status="downloaded",
            progress=100,
            created_at=NOW - 95,
            updated_at=NOW - 60,
            path="/videos/urban-dreams-render_0c41d9.mp4",
            output_url="http://127.0.0.1:8765/files/render_0c41d9.mp4",
        ),
        ExportJob(
            id="render_5f27aa",
            session_id="s1",
            status="processing",
            progress=40,
            created_at=NOW - 12,
            updated_at=NOW - 1,
        ),
    ]


async def scene_jobs(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app)
    app.timeline.show_state(state_of(DRAFT))
    await app.chat.add_user("export")
    for job in sample_jobs():
        app.show_job(job)
    await app.chat.add_notice("Export render_0c41d9 saved to /videos/urban-dreams.mp4", "info")
    await app.chat.add_notice("Export render_5f27aa started; follow it in Exports.", "info")
    await pilot.pause()


async def scene_out_of_credits(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app, Credits(available=0, frozen=0, total=0))
    await app.chat.add_user("generate a neon city at night")
    await app.errors.api_error(
        InsufficientCredits("You are out of credits.", user_id="anon_3f9c2a")
    )
    await pilot.pause()


async def scene_still_working(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app)
    await app.chat.add_user(PROMPT)
    app.status.set_connection("busy", "Agent working… · Esc cancels")
    app.status.start_timer()
    await _turn(
        app,
        [
            conv.TextChunk("I'll generate a 10 s cinematic video of a futuristic city."),
            conv.ToolActivity("generate_video", "working: generate video"),
            conv.StillWorking(125.0),
        ],
    )
    await pilot.pause()


async def scene_help(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app)
    await pilot.press("f1")
    await pilot.pause()


LONG_REPLY = "\n\n".join(
    [
        "## Plan",
        "Here is how the video comes together, shot by shot. " * 6,
        "- opening: the skyline at dusk\n- middle: neon signs flicker on\n- end: the title",
        "```text\nstyle: cinematic\nduration: 10 s\n```",
        "> Tip: type **export** when you like it.",
        "## Music",
        "A *soft synth pad* fades in under the title and out at the end. " * 5,
        "Now the last part is still arriving, shown by the live Markdown view…",
    ]
)


async def scene_long_reply(pilot: Pilot[Any]) -> None:
    """A long reply mid-stream: finished paragraphs drawn cheaply above the live Markdown tail."""
    await _mounted(pilot)
    app = _app(pilot)
    await _ready(app)
    await app.chat.add_user("describe the plan in detail")
    reply = await app.chat.add_reply()
    for start in range(0, len(LONG_REPLY), 40):
        reply.write(LONG_REPLY[start : start + 40])
    while reply._pending or reply._held:
        await pilot.pause(0.05)
    await pilot.pause()


async def scene_narrow(pilot: Pilot[Any]) -> None:
    await _mounted(pilot)
    await scene_streamed_reply(pilot)
    _app(pilot).show_job(sample_jobs()[1])
    await pilot.pause()


async def _mounted(pilot: Pilot[Any]) -> None:
    """Wait until the main screen is composed (scenes may start before the first refresh)."""
    app = _app(pilot)
    while not app.screen_stack or not app.main.query("#status-credits"):
        await pilot.pause(0.01)
    await pilot.pause()


def _app(pilot: Pilot[Any]) -> ArtgenApp:
    app = pilot.app
    assert isinstance(app, ArtgenApp)
    return app


Scene = Callable[[Pilot[Any]], Awaitable[None]]

SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "connecting": (scene_connecting, (120, 40)),
    "ready": (scene_ready, (120, 40)),
    "streamed-reply": (scene_streamed_reply, (120, 40)),
    "silent-close": (scene_silent_close, (120, 40)),
    "jobs": (scene_jobs, (120, 40)),
    "out-of-credits": (scene_out_of_credits, (120, 40)),
    "still-working": (scene_still_working, (120, 40)),
    "help": (scene_help, (120, 40)),
    "narrow-80x24": (scene_narrow, (80, 24)),
    "long-reply": (scene_long_reply, (120, 40)),
}
"""Scene name → (driver, terminal size)."""
