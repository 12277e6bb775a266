"""Problems found by using copbot over a quarter as a facilitator and members would."""

from __future__ import annotations

from tests.fakes import Harness


async def test_an_empty_agenda_names_the_meeting_id_to_add_an_item_to(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="12 Jan 14:00" title="Café"')
    out = await bot.say("bob", "/cop meeting agenda 1")
    assert '/cop meeting agenda 1 add "…"' in out
    assert "agenda ID" not in out


async def test_a_closed_vote_with_no_candidates_does_not_promise_a_list_to_pick_from(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="12 Jan 14:00" title="Café"')
    await bot.advance("6d")  # the vote closes three days before, with nothing suggested
    [dm] = bot.chat.dms("alice")
    assert "no candidates to pick from" in dm
    assert not dm.rstrip().endswith(":")


async def test_pairing_reasons_name_sectors_as_people_and_list_a_trio_with_a_comma(
    bot: Harness,
) -> None:
    await bot.setup()
    for name, sector in (("bob", "government"), ("carol", "investor"), ("dave", "other")):
        await bot.say(name, f"/cop profile sector={sector}")
        await bot.say(name, "/cop pairing join")
    await bot.say("alice", "/cop pairing leave")
    await bot.say("alice", "/cop pairing schedule every=2w day=monday time=10:00 mode=mix")
    out = await bot.say("alice", "/cop pairing preview")
    assert "someone in government" in out and "an investor" in out
    assert "someone from another sector" in out
    assert "a government" not in out and "an other" not in out
    assert " and an investor and " not in out  # a trio: "x, y and z"
    assert ", " in out.split("Why: ", 1)[1]


async def test_pairing_status_shows_a_former_member_for_a_partner_who_left(bot: Harness) -> None:
    await bot.setup()
    for name in ("bob", "carol"):
        await bot.say(name, "/cop pairing join")
    await bot.say("alice", "/cop pairing schedule every=2w day=monday time=10:00")
    await bot.advance("1d")  # round 1: bob and carol
    await bot.say("carol", "/cop forget-me")
    out = await bot.say("bob", "/cop pairing status")
    assert "round 1: a former member" in out


async def test_live_pairing_for_a_meeting_says_who_is_in_already_from_their_rsvps(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="4 Jan 14:00" title="Café"')
    await bot.say("bob", "/cop meeting rsvp 1 yes")
    await bot.say("carol", "/cop meeting rsvp 1 yes")
    started = await bot.say("alice", "/cop pairing live start meeting=1")
    assert "said yes to meeting #1 (2) are in already" in started
    again = await bot.say("bob", "/cop pairing live here")
    assert "you said yes to meeting #1" in again
    assert "You're in" in await bot.say("dave", "/cop pairing live here")
    assert "said yes" not in await bot.say("dave", "/cop pairing live here")


async def test_a_host_who_uses_forget_me_is_replaced_by_the_next_on_the_rota(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("carol", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="12 Jan 14:00" title="Café"')
    assert any("You're next to host" in dm for dm in bot.chat.dms("bob"))
    await bot.say("bob", "/cop host confirm 1")
    out = await bot.say("bob", "/cop forget-me")
    assert "go to the next host on the rota" in out
    await bot.advance("1m")
    assert any("You're next to host" in dm for dm in bot.chat.dms("carol"))
    assert "Host: carol (not confirmed yet)" in await bot.say("alice", "/cop meeting show 1")


async def test_the_chatham_footer_spells_the_rule_as_a_proper_name(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="12 Jan 14:00" title="Café" chatham=yes')
    assert "Chatham House Rule:" in await bot.say("bob", "/cop meeting show 1")
