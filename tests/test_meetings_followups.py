"""Host hand-back on leaving the rota, the unconfirmed-host notice, corrected notes and
the card of a meeting that took place."""

from __future__ import annotations

from tests.fakes import Harness

UNCONFIRMED = "not confirmed yet that they will host"


def alerts(bot: Harness, user: str = "alice") -> list[str]:
    return [t for t in bot.chat.dms(user) if UNCONFIRMED in t or "Nobody is hosting" in t]


async def test_leaving_the_rota_hands_assigned_meetings_to_the_next_host(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("carol", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    assert any("You're next to host" in t for t in bot.chat.dms("bob"))
    text = await bot.say("bob", "/cop host leave")
    assert "left the host rota" in text and "(meetings handed to the next host: 1)" in text
    assert any("You're next to host" in t for t in bot.chat.dms("carol"))
    shown = await bot.say("alice", "/cop meeting show 1")
    assert "carol (not confirmed yet)" in shown and "bob" not in shown
    assert "bob" not in bot.chat.current()[0]  # the announcement card was updated too
    assert "Thank you" in await bot.press("carol", "host confirm 1")


async def test_leaving_the_rota_with_no_meetings_hands_back_nothing(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    assert "(meetings handed to the next host: 0)" in await bot.say("bob", "/cop host leave")
    assert "not on the host rota" in await bot.say("bob", "/cop host leave")


async def test_facilitators_hear_once_when_the_host_has_not_confirmed_3_days_ahead(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-03-02 14:00" title="Club"')
    await bot.advance("54d")  # Feb 26 09:00: asked on Feb 16, not confirmed
    assert any("You're next to host" in t for t in bot.chat.dms("bob"))
    assert not alerts(bot)
    await bot.advance("2d")  # past Feb 27 14:00, three days before
    [alert] = alerts(bot)
    assert "bob has not confirmed yet" in alert and "#1 Club" in alert
    assert "/cop host confirm 1" in alert
    assert not alerts(bot, "bob")  # facilitators only
    await bot.advance("3d")
    assert len(alerts(bot)) == 1


async def test_no_unconfirmed_notice_once_the_host_confirms(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    assert "Thank you" in await bot.press("bob", "host confirm 1")
    with bot.app.core.uow_factory() as uow:
        assert not uow.jobs.pending("meeting:1:unconfirmed")
    await bot.advance("9d")
    assert not alerts(bot)


async def test_the_unconfirmed_notice_moves_and_is_cancelled_with_its_meeting(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("bob", "/cop host away until=2027-02-01")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Other"')
    await bot.say("alice", '/cop meeting move 1 when="2027-01-19 14:00"')
    with bot.app.core.uow_factory() as uow:
        [job] = uow.jobs.pending("meeting:1:unconfirmed")
        assert job.due_at.isoformat().startswith("2027-01-16T14:00")
    await bot.say("alice", "/cop meeting cancel 2")
    with bot.app.core.uow_factory() as uow:
        assert not uow.jobs.pending("meeting:2:unconfirmed")
    await bot.advance("14d")
    [alert] = alerts(bot)  # the only host is away: no host at all
    assert "Nobody is hosting #1 Club" in alert


async def test_no_unconfirmed_notice_where_nobody_uses_the_host_rota(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    await bot.advance("9d")
    assert not alerts(bot)


async def test_a_second_notes_corrects_the_post_without_sending_dms_again(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await bot.setup()
    for name in ("bob", "carol"):
        await bot.say(name, "/cop profile level=new")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club" host=@bob')
    await bot.press("carol", "meeting rsvp 1 no")
    await bot.advance("9d")
    await bot.say("bob", '/cop meeting notes 1 "We agred a templat"')
    assert any("We agred a templat" in t for t in bot.chat.dms("carol"))
    bot.chat.clear()
    text = await bot.say("bob", '/cop meeting notes 1 "We agreed a template"')
    assert "corrected notes of #1 Club" in text and "DMs were not sent again" in text
    assert not bot.chat.dms("carol") and not bot.chat.channel()
    [edit] = bot.chat.edits()
    assert "We agreed a template" in edit
    notes_post = [t for t in bot.chat.current() if "notes of Club are in" in t]
    assert len(notes_post) == 1 and "We agreed a template" in notes_post[0]
    assert "We agreed a template" in await bot.say("carol", "/cop meeting show 1")
    # A facilitator can correct it too.
    await bot.say("alice", '/cop meeting notes 1 "We agreed a template (v2)"')
    assert "(v2)" in bot.chat.edits()[-1]


async def test_a_finished_meetings_card_says_it_took_place_not_will_you_come(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    assert "Will you come?" in bot.chat.current()[0]
    await bot.advance("9d")
    card = bot.chat.current()[0]
    assert "Club took place on Tue 12 Jan 2027, 14:00 GMT" in card
    assert "New meeting" not in card and "Will you come" not in card
