from __future__ import annotations

from bot.replies import Place
from tests.fakes import PLACE, Harness

OTHER = Place("test", "W2", "C9")


async def test_first_setup_binds_the_channel_and_makes_its_runner_facilitator(bot: Harness) -> None:
    text = await bot.say("alice", '/cop setup name="North" timezone=Europe/London')
    assert "North is now a copbot community" in text
    assert bot.last and not bot.last.reply.private
    assert "alice" in await bot.say("alice", "/cop facilitator list")
    assert "alice" in await bot.say("bob", "/cop facilitator list")


async def test_setup_without_arguments_shows_settings(bot: Harness) -> None:
    assert "not a copbot community yet" in await bot.say("bob", "/cop setup")
    await bot.setup()
    text = await bot.say("bob", "/cop setup")
    assert "Europe/London" in text and "member_directory: basic" in text


async def test_members_cannot_change_settings_and_bad_settings_change_nothing(bot: Harness) -> None:
    await bot.setup()
    assert "Only facilitators" in await bot.say("bob", "/cop setup name=Hijack")
    text = await bot.say("alice", "/cop setup name=South member_directory=everything")
    assert "not a valid" in text and "Usage" in text
    assert "North" in await bot.say("alice", "/cop setup")


async def test_commands_in_a_channel_that_is_not_a_community_are_refused(bot: Harness) -> None:
    text = await bot.say("bob", "/cop members")
    assert "not a copbot community yet" in text
    assert bot.last and bot.last.reply.private and not bot.last.ok


async def test_facilitators_add_and_remove_facilitators(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop profile level=new")
    assert "Only facilitators" in await bot.say("bob", "/cop facilitator add @carol")
    assert "bob is now a facilitator" in await bot.say("alice", "/cop facilitator add @bob")
    assert "is no longer" in await bot.say("bob", "/cop facilitator remove @alice")
    assert "Only facilitators" in await bot.say("alice", "/cop facilitator add @alice")


async def test_the_last_facilitator_cannot_be_removed(bot: Harness) -> None:
    await bot.setup()
    assert "at least one facilitator" in await bot.say("alice", "/cop facilitator remove @alice")


async def test_unknown_member_gets_a_clear_private_reply(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("alice", "/cop facilitator add @nobody")
    assert "I can't find a member called @nobody in this community" in text
    assert bot.last and bot.last.reply.private and not bot.last.ok


async def test_platform_mentions_resolve_members_who_never_spoke(bot: Harness) -> None:
    await bot.setup()
    assert "is now a facilitator" in await bot.say("alice", "/cop facilitator add <@U777|dana>")
    assert "dana" in await bot.say("alice", "/cop facilitator list")


async def test_communities_never_see_each_others_data(any_bot: Harness) -> None:
    bot = any_bot
    await bot.setup("North")
    await bot.say("bob", '/cop profile sector=commissioner organisation="North Council"')
    out = await bot.run("zed", 'setup name="South" timezone=Europe/Paris', place=OTHER)
    assert out.ok
    await bot.say("yan", "/cop profile sector=investor", place=OTHER)
    north = await bot.say("alice", "/cop members")
    south = await bot.say("zed", "/cop members", place=OTHER)
    assert "bob" in north and "yan" not in north and "zed" not in north
    assert "yan" in south and "bob" not in south and "North Council" not in south
    # alice is a facilitator in North only.
    assert "Only facilitators" in await bot.say("alice", "/cop setup name=Mine", place=OTHER)
    assert "South" in await bot.say("zed", "/cop setup", place=OTHER)
    assert "can't find" in (await bot.say("zed", "/cop facilitator add @bob", place=OTHER)).replace(
        "can’t", "can't"
    )
    assert PLACE != OTHER


async def test_an_absurdly_long_duration_setting_is_refused_not_a_crash(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("alice", "/cop setup reminders=99999999999w")
    assert "99999999999w is not a valid reminders" in text and bot.last and not bot.last.ok
    assert "Usage: /cop setup" in text
