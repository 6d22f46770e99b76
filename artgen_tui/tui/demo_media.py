"""Canned pictures of the preview strip and the batch screen, for screenshots and snapshots:
synthetic frames and fixed rows on the disconnected demo app (see :mod:`artgen_tui.tui.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from textual.pilot import Pilot

from artgen_tui.api.models import Credits
from artgen_tui.core.batch import ItemUpdate
from artgen_tui.core.spend import Estimate
from artgen_tui.tui.app import ArtgenApp
from artgen_tui.tui.screens.batch import BatchScreen
from artgen_tui.tui.widgets.strip import StripMessage

SKIES = [(250, 140, 60), (230, 90, 80), (150, 70, 140), (60, 50, 120), (20, 20, 60)]
"""A sunset going to night, one colour per frame."""


def sunset_frames(width: int = 96, height: int = 54) -> list[Image.Image]:
    """Five small frames: a sky over a dark skyline, darker each frame."""
    frames = []
    for n, sky in enumerate(SKIES):
        image = Image.new("RGB", (width, height), sky)
        draw = ImageDraw.Draw(image)
        draw.ellipse((60 - n * 6, 10 + n * 6, 76 - n * 6, 26 + n * 6), fill=(255, 220, 120))
        for x in range(0, width, 12):
            top = height - 14 - (x * 7919) % 23
            draw.rectangle((x, top, x + 9, height), fill=(25, 25, 35))
        frames.append(image)
    return frames


def _app(pilot: Pilot[Any]) -> ArtgenApp:
    assert isinstance(pilot.app, ArtgenApp)
    return pilot.app


async def scene_preview(pilot: Pilot[Any]) -> None:
    """The quick preview: typed 预览, a 5-frame strip in the chat, its keys under it."""
    while not pilot.app.screen.query("#chat"):
        await pilot.pause()
    app = _app(pilot)
    app.set_ready()
    app.credits.show(Credits(available=400, frozen=0, total=400))
    await app.chat.add_user("预览")
    path = Path("~/.cache/artgen/previews/preview-render_0c41d9.mp4")
    frames = sunset_frames()
    await app.chat.add_widget(lambda: StripMessage(path, "Preview (360p draft) · 5 frames", frames))
    await app.chat.add_notice("Cost: 0 credits (balance 400 → 400 available).", "marker")
    await pilot.pause()


BATCH_ROWS = [
    ItemUpdate(0, "beach.png", "done", 1.0, 10, "~/Videos/artgen/01-beach.mp4"),
    ItemUpdate(1, "surf.mp4", "export", 0.4, 10),
    ItemUpdate(2, "city.jpg", "upload", 0.75),
    ItemUpdate(3, "forest.png", "waiting"),
]


async def scene_batch(pilot: Pilot[Any]) -> None:
    """One video per file: four items at different stages, the batch's estimate above them."""
    while not pilot.app.screen.query("#chat"):
        await pilot.pause()
    app = _app(pilot)
    app.set_ready()
    screen = BatchScreen(None, Path("picker-20270115-080000-4.jsonl"), Path("~/Videos/artgen"))
    await app.push_screen(screen)
    await pilot.pause()
    screen.show_estimate(
        Estimate("batch of 4 items", 40, 400, 0, "published price", (("edit", 10),) * 4)
    )
    for row in BATCH_ROWS:
        screen.show(row)
    await pilot.pause()


MEDIA_SCENES = {"preview": (scene_preview, (100, 30)), "batch": (scene_batch, (110, 20))}
