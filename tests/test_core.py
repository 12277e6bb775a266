from __future__ import annotations

import logging

import pytest

from bot.commands import Arg, Kind, Registry
from bot.context import Context
from bot.errors import CommandError
from bot.replies import DirectMessage, Reply
from bot.text import Msg
from tests.fakes import PLACE, Harness


async def test_a_member_with_closed_dms_is_reported_to_facilitators_once(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop profile level=new")
    bot.chat.closed_dms.add("bob")
    note = DirectMessage(PLACE, "bob", Reply(Msg("common.value", {"value": "reminder"})))
    await bot.core.deliver([note])
    await bot.core.deliver([note])
    reports = bot.chat.dms("alice")
    assert len(reports) == 1 and "bob" in reports[0] and "closed" in reports[0]
    # Once bob uses copbot again, DMs are tried afresh.
    bot.chat.closed_dms.clear()
    await bot.say("bob", "/cop profile")
    await bot.core.deliver([note])
    assert bot.chat.dms("bob") == ["reminder"]


async def test_a_refusal_rolls_back_writes_and_sends_nothing(bot: Harness) -> None:
    """A handler that writes, queues a post, then refuses leaves no trace."""
    await bot.setup()
    registry: Registry = bot.core.registry

    async def half_done(ctx: Context) -> Reply:
        ctx.uow.communities.set_setting(ctx.c.id, "member_directory", "full")
        ctx.post(Reply(Msg("common.value", {"value": "should never appear"})))
        raise CommandError("common.unknown_member", name=str(ctx.args["x"]))

    registry.command("zz-test refuse", help="help.help_help", args=(Arg("x", Kind.TEXT),))(
        half_done
    )
    try:
        bot.chat.clear()
        text = await bot.say("alice", "/cop zz-test refuse x=ghost")
        assert "ghost" in text and bot.last and not bot.last.ok and bot.last.reply.private
        assert bot.chat.sent == []
        assert "member_directory: basic" in await bot.say("alice", "/cop setup")
    finally:
        registry._specs.pop(("zz-test", "refuse"))


async def test_an_unexpected_error_is_a_polite_private_reply_not_a_traceback(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.setup()
    registry: Registry = bot.core.registry

    async def broken(ctx: Context) -> Reply:
        raise ZeroDivisionError("boom")

    registry.command("zz-test broken", help="help.help_help")(broken)
    try:
        with caplog.at_level(logging.ERROR):
            text = await bot.say("alice", "/cop zz-test broken")
        assert "something went wrong on our side" in text
        assert bot.last and bot.last.reply.private and not bot.last.ok
        assert "zz-test broken failed" in caplog.text
    finally:
        registry._specs.pop(("zz-test", "broken"))


async def test_usage_errors_show_the_correct_usage(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("alice", "/cop facilitator add")
    assert "member is missing." in text
    assert "Usage: /cop facilitator add @name" in text
    assert "I don't know the command morning" in (await bot.say("alice", "/cop morning all"))
