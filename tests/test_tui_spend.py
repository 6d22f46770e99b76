"""The spend guard in the app: the estimate beside the balance, a question before a request over
the balance or the limit, and the cost of each turn measured on the server's balance."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from tui_helpers import (
    finish_turn,
    local_backend,
    make_app,
    send,
    settings_for,
    texts,
    wait_ready,
    wait_until,
)

from artgen_tui.core.spend import SpendGuard
from artgen_tui.tui.screens.spend_confirm import SpendConfirm, figures
from artgen_tui.tui.widgets.chat_log import Notice

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"


def cost_lines(app: object) -> list[str]:
    return [t for t in texts(app, Notice) if t.startswith("Cost:")]  # type: ignore[arg-type]


async def test_a_message_over_the_balance_asks_and_no_keeps_it_unsent(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend", credits=40) as url:
        app = make_app(url)
        async with app.run_test(size=(110, 32)) as pilot:
            await wait_ready(pilot, app)
            await wait_until(pilot, lambda: app.status.credits is not None, 10, "credits")
            app.prompt.focus()
            app.prompt.value = GENERATE
            await pilot.pause()
            estimate = app.status.estimate
            assert estimate is not None and estimate.credits == 100 and estimate.over_balance
            shown = str(app.status.query_one("#status-estimate", Static).render())
            assert shown == "≈ 100 cr"
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "the question"
            )
            screen = app.screen
            assert isinstance(screen, SpendConfirm)
            assert "Balance: 40 available" in figures(screen.estimate)
            assert "more than your balance of 40" in screen.estimate.sentence
            await pilot.press("n")
            await wait_until(pilot, lambda: app.prompt.value == GENERATE, 10, "the text back")
            assert not cost_lines(app)
            assert "Not sent; your message is back in the prompt." in texts(app, Notice)


async def test_over_the_limit_asks_and_yes_sends(tmp_path: Path) -> None:
    with local_backend(tmp_path / "backend") as url:
        settings = settings_for(url, spend={"limit": 5})
        app = make_app(url, settings=settings)
        async with app.run_test(size=(110, 32)) as pilot:
            await wait_ready(pilot, app)
            await send(pilot, app, "add a title that says Hello")
            await wait_until(
                pilot, lambda: isinstance(app.screen, SpendConfirm), 10, "the question"
            )
            assert isinstance(app.screen, SpendConfirm) and app.screen.estimate.over_limit
            await pilot.press("y")
            await finish_turn(pilot, app)
            await wait_until(pilot, lambda: cost_lines(app), 20, "the cost")


async def test_the_cost_after_a_turn_is_the_servers_balance_difference(
    tmp_path: Path,
) -> None:
    with local_backend(tmp_path / "backend") as url:
        app = make_app(url)
        async with app.run_test(size=(110, 32)) as pilot:
            await wait_ready(pilot, app)
            assert app.ws is not None
            before = await app.ws.credits()
            await send(pilot, app, GENERATE)
            await finish_turn(pilot, app)
            await wait_until(pilot, lambda: cost_lines(app), 20, "the cost")
            after = await app.ws.credits()
            spent = before.available - after.available
            assert spent > 0
            line = cost_lines(app)[-1]
            assert line.startswith(f"Cost: {spent} credits (balance {before.available} → ")
            assert f"→ {after.available} available" in line
            guard = app.spend.guard
            assert isinstance(guard, SpendGuard) and guard.session_total == spent
            spent_text = str(app.status.query_one("#status-spent", Static).render())
            assert spent_text == f"spent {spent}"
            # The account's real charge is learned: the next generation is priced by it.
            assert guard.unit("generation") == (spent, "charged before: median of 1 request")
