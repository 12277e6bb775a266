from __future__ import annotations

from bot.features import load_registry
from tests.fakes import Harness


async def test_help_overview_is_one_line_per_group_or_command(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("bob", "/cop help")
    registry = load_registry()
    groups = {spec.path[0] for spec in registry.specs()}
    body = text.splitlines()[1:]
    assert len(body) == len(groups)
    assert any(line.startswith("• /cop meeting ") and "schedule" in line for line in body)


async def test_help_for_a_group_shows_usage_of_each_of_its_commands(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("bob", "/cop help facilitator")
    assert "/cop facilitator add @name" in text and "/cop facilitator remove @name" in text
    assert "/cop meeting" not in text


async def test_help_all_lists_every_registered_command(bot: Harness) -> None:
    text = await bot.say("bob", "/cop help all")
    for spec in load_registry().specs():
        assert spec.usage() in text


async def test_help_for_an_unknown_group_says_so_and_shows_the_overview(bot: Harness) -> None:
    text = await bot.say("bob", "/cop help teleport")
    assert "There is no command group teleport" in text and "/cop setup" in text
