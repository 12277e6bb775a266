from __future__ import annotations

from sqlalchemy import text

from tests.fakes import Harness


async def test_profile_is_saved_shown_and_partially_updated(bot: Harness) -> None:
    await bot.setup()
    saved = await bot.say(
        "bob",
        '/cop profile sector=provider organisation="Acme Care" '
        'topics="outcome measurement, procurement" level=new region=London timezone=europe/london',
    )
    assert "Sector: provider" in saved and "Timezone: Europe/London" in saved
    await bot.say("bob", "/cop profile level=experienced")
    shown = await bot.say("bob", "/cop profile")
    assert "Level: experienced" in shown and "Organisation: Acme Care" in shown
    assert "Topics: outcome measurement, procurement" in shown


async def test_directory_respects_privacy_for_members_not_facilitators(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop profile sector=provider region=Leeds topics=SPVs")
    member_view = await bot.say("carol", "/cop members")
    assert "provider" in member_view and "Leeds" not in member_view
    facilitator_view = await bot.say("alice", "/cop members")
    assert "Leeds" in facilitator_view and "facilitator view" in facilitator_view
    await bot.say("alice", "/cop setup member_directory=names")
    assert "provider" not in await bot.say("carol", "/cop members")
    await bot.say("alice", "/cop setup member_directory=full")
    assert "Leeds" in await bot.say("carol", "/cop members")


async def test_forget_me_erases_the_member_and_says_what_went(any_bot: Harness) -> None:
    bot = any_bot
    await bot.setup()
    await bot.say("bob", '/cop profile sector=provider organisation="Acme Care"')
    text = await bot.say("bob", "/cop forget-me")
    assert "your profile" in text and "your membership" in text
    with bot.engine.connect() as conn:
        assert (
            conn.execute(text_sql("SELECT count(*) FROM member WHERE user_id='bob'")).scalar() == 0
        )
        assert conn.execute(text_sql("SELECT count(*) FROM profile")).scalar() == 0
    assert "bob" not in await bot.say("alice", "/cop members")


def text_sql(sql: str):  # type: ignore[no-untyped-def]
    return text(sql)


async def test_last_facilitator_forgetting_lets_the_next_setup_take_over(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop profile level=new")
    assert "last facilitator" in await bot.say("alice", "/cop forget-me")
    await bot.say("bob", "/cop setup name=Renamed")
    assert "Renamed" in await bot.say("bob", "/cop setup")
    assert "bob" in await bot.say("bob", "/cop facilitator list")


async def test_an_unknown_stored_directory_setting_shows_members_only_names(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop profile sector=provider region=Leeds")
    with bot.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO community_setting (community_id, key, value) "
                "VALUES (1, 'member_directory', 'everything')"
            )
        )
    member_view = await bot.say("carol", "/cop members")
    assert "bob" in member_view and "provider" not in member_view
    assert "Leeds" in await bot.say("alice", "/cop members")  # facilitators still see all
