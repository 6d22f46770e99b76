"""One turn as the app sees it: the messages it handles, in order (harlequin-style message hook)."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.message import Message
from tui_helpers import finish_turn, local_backend, make_app, send, texts, wait_ready

from artgen_tui.tui.widgets.chat_log import Notice, Reply, UserMessage
from artgen_tui.tui.widgets.timeline_table import TimelineTable

SIZE = (120, 40)
GENERATE = "a futuristic city at sunset, cinematic, 10 seconds"


async def test_silent_close_turn_one_timeline_update_one_diff_notices_in_order(
    tmp_path: Path,
) -> None:
    with local_backend(tmp_path / "backend", silent_close_rate=1.0) as url:
        app = make_app(url)
        recorded: list[Message] = []
        async with app.run_test(size=SIZE, message_hook=recorded.append) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            recorded.clear()
            before = len(app.chat.messages())
            httpx.post(f"{url}/_faults", content="rate_limit=1,expire_token=1").raise_for_status()
            await send(pilot, app, 'add title "Neon Nights"')
            await finish_turn(pilot, app)

            shown = list(
                {id(m): m for m in recorded if isinstance(m, TimelineTable.Shown)}.values()
            )
            assert len(shown) == 1, "the timeline must be drawn once per turn"
            diff = shown[0].diff
            assert diff is not None and not diff.empty
            assert diff.changed_keys == app.timeline.changed_keys
            # The turn's cost line (the spend guard) comes last; the rest is the turn itself.
            turn = [
                m
                for m in app.chat.messages()[before:]
                if not (isinstance(m, Notice) and m.text.startswith("Cost:"))
            ]
            kinds = [type(m) for m in turn]
            assert kinds[0] is UserMessage and kinds[-1] is Reply
            said = [m.text for m in turn if isinstance(m, Notice) and "working:" not in m.text]
            # Each notice once, in the order it happened, before the reply.
            assert said[0].startswith("Rate limited; retrying in")
            assert said[1].startswith("Token expired; getting a new")
            assert len(said) == 2
            assert texts(app, Reply)[-1].startswith("Timeline updated:")
