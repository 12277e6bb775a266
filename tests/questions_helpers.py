"""Helpers shared by the anonymous-questions tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.context import Actor
from bot.replies import ChannelPost, Place
from tests.fakes import PLACE, Harness, text_of

DM = Place("test", "W1", "D-dm")
CODE_RE = re.compile(r"one-time code: (\S+) ")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in January 2027 (London is on UTC then); the 4th is a Monday."""
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


async def ask(bot: Harness, user: str, text: str, extra: str = "") -> str:
    """Ask as ``user``; returns the withdraw code from the private receipt."""
    out = await bot.run(user, f'/cop ask "{text}" {extra}')
    reply = text_of(out.reply)
    assert out.ok and out.reply.private, reply
    found = CODE_RE.search(reply)
    assert found, reply
    return found.group(1)


def released(bot: Harness, place: Place = PLACE) -> list[str]:
    """Question texts posted in the channel, in posting order."""
    return [
        m.reply.card.body.data["value"]  # type: ignore[union-attr,index]
        for m in bot.chat.sent
        if isinstance(m, ChannelPost)
        and m.place == place
        and m.reply.card is not None
        and m.reply.card.title.key == "questions.card_title"
    ]


async def draft(bot: Harness, user: str, text: str) -> list[str]:
    """Write ``text`` to the bot in a DM; returns the preview's button commands."""
    reply = await bot.core.handle_dm_text(DM, Actor(user, user), text)
    assert reply.card is not None, text_of(reply)
    return [b.command for b in reply.card.buttons]
