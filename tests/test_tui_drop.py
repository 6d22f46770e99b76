"""The app says a dropped reply stream at once, while it checks the session for what changed."""

from __future__ import annotations

from pathlib import Path

import httpx
from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    notices,
    send,
    settings_for,
    wait_ready,
    wait_until,
)

from artgen_tui.config import NetworkSettings
from artgen_tui.core.conversation import StreamDropped

SIZE = (120, 40)
GENERATE = "a futuristic city at sunset, cinematic, 10 seconds"
LINE = StreamDropped().text


async def test_a_dropped_stream_shows_connection_dropped_checking_at_once(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", stage_delay=0.3) as url:
        network = NetworkSettings(recovery_delays=[0.5, 1.0])
        app = make_app(url, settings=settings_for(url, network=network))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, app)
            httpx.post(f"{url}/_faults", content="drop_stream=1").raise_for_status()
            await send(pilot, app, GENERATE)
            await wait_until(pilot, lambda: LINE in notices(app), 20, "the drop to be shown")
            assert app.turn_running, "shown while the session is still being checked"
            await finish_turn(pilot, app)
            assert notices(app).count(LINE) == 1
