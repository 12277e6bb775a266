"""Anonymous questions: asking, batching, moderation, votes, answers, blocks and limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.features.questions.drafts import drafts_for
from bot.replies import ChannelPost, DirectMessage, Place
from tests.fakes import Harness, text_of
from tests.questions_helpers import DM, ask, at, draft, released


@pytest.fixture
async def club(any_bot: Harness) -> Harness:
    """A community on every configured database (SQLite; PostgreSQL when configured)."""
    bot = any_bot
    bot.clock.set(at(4, 8))
    await bot.setup()  # alice is the facilitator; release time 09:00 London
    for name in ("bob", "carol", "dave"):
        await bot.say(name, "/cop profile sector=provider")
    return bot


async def test_asking_replies_privately_and_posts_nothing_until_the_batch(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10, 3))
    out = await bot.run("bob", '/cop ask "What makes an SPV work?" topic=SPVs')
    assert out.ok and out.reply.private
    receipt = text_of(out.reply)
    assert "Tue 5 Jan 2027, 09:00" in receipt and "Thu 7 Jan 2027, 09:00" in receipt
    assert bot.chat.sent == []


@pytest.mark.parametrize("first", ["early", "late"])
async def test_questions_at_1003_and_1640_are_released_together_next_morning(
    club: Harness, first: str
) -> None:
    bot = club
    texts = {"early": "Asked at ten past ten?", "late": "Asked at twenty to five?"}
    order = ["early", "late"] if first == "early" else ["late", "early"]
    bot.clock.set(at(4, 10, 3))
    await ask(bot, "bob", texts[order[0]])
    bot.clock.set(at(4, 16, 40))
    await ask(bot, "carol", texts[order[1]])
    await bot.advance(at(5, 8, 59) - bot.clock.now())
    assert released(bot) == []
    await bot.advance(timedelta(minutes=2))
    assert sorted(released(bot)) == sorted(texts.values())
    posts = [m for m in bot.chat.sent if isinstance(m, ChannelPost)]
    assert {p.reply.card.title.data["number"] for p in posts if p.reply.card} == {1, 2}  # type: ignore[union-attr]


async def test_a_lone_question_waits_48_hours_then_goes_out_alone(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10, 3))
    await ask(bot, "bob", "Lonely question?")
    await bot.advance(at(6, 9, 30) - bot.clock.now())  # Tue and Wed releases: too early
    assert released(bot) == []
    await bot.advance(at(7, 9, 1) - bot.clock.now())  # Thu 09:00 is the first slot after 48 h
    assert released(bot) == ["Lonely question?"]


async def test_a_lone_question_goes_out_when_a_second_arrives(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10, 3))
    await ask(bot, "bob", "First?")
    await bot.advance(at(5, 12) - bot.clock.now())
    assert released(bot) == []
    await ask(bot, "carol", "Second?")
    await bot.advance(at(6, 9, 1) - bot.clock.now())
    assert sorted(released(bot)) == ["First?", "Second?"]


async def test_release_times_and_batch_size_follow_the_settings(club: Harness) -> None:
    bot = club
    out = await bot.say("alice", "/cop setup questions_release=17:00,9:00 questions_min_batch=1")
    assert "questions_release: 09:00,17:00" in out
    bot.clock.set(at(4, 10, 3))
    await ask(bot, "bob", "Quick one?")
    await bot.advance(at(4, 17, 1) - bot.clock.now())
    assert released(bot) == ["Quick one?"]
    refused = await bot.say("alice", "/cop setup questions_release=25:00")
    assert "not" in refused.lower() and bot.last is not None and not bot.last.ok


async def test_empty_and_too_long_questions_are_refused_with_the_limit(club: Harness) -> None:
    bot = club
    empty = await bot.run("bob", '/cop ask ""')
    assert not empty.ok and empty.reply.private and "1000" in text_of(empty.reply)
    long = await bot.run("bob", '/cop ask "' + "x" * 1001 + '"')
    assert not long.ok and long.reply.private and "1000" in text_of(long.reply)
    assert bot.chat.sent == []


async def test_ask_without_text_opens_the_form_that_says_what_is_stored(club: Harness) -> None:
    bot = club
    out = await bot.run("bob", "/cop ask", supports_forms=True)
    assert out.reply.form is not None
    assert [f.name for f in out.reply.form.fields] == ["question", "topic"]
    intro = text_of(out.reply)
    assert "Not stored: your name" in intro and "7 days" in intro
    typed = await bot.run("bob", "/cop ask")  # no forms (console): refused, with the statement
    assert not typed.ok and typed.reply.private and "Not stored: your name" in text_of(typed.reply)
    submitted = await bot.run(
        "bob", "", command="ask", raw={"question": "From the modal?", "topic": ""}, via="form"
    )
    assert submitted.ok and "one-time code" in text_of(submitted.reply)


async def test_withdraw_before_release_removes_the_question(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    code = await ask(bot, "bob", "Regretted question?")
    await ask(bot, "carol", "Kept question?")
    out = await bot.run("bob", f"/cop ask withdraw {code}")
    assert out.ok and out.reply.private and "Withdrawn" in text_of(out.reply)
    assert "Withdrawn" in await bot.say("bob", f"/cop ask status {code}")
    await bot.advance(at(7, 9, 1) - bot.clock.now())
    assert released(bot) == ["Kept question?"]


async def test_withdraw_after_release_takes_it_off_lists_and_erases_the_words(
    club: Harness,
) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    code = await ask(bot, "bob", "Soon withdrawn?")
    await ask(bot, "carol", "Stays?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    number = 1 if released(bot)[0] == "Soon withdrawn?" else 2
    assert f"Released as Q{number}" in await bot.say("bob", f"/cop ask status {code}")
    out = await bot.say("bob", f"/cop ask withdraw {code}")
    assert f"Q{number}" in out and "removed from the channel" in out
    assert [k.rsplit(":", 1)[1] for k in bot.chat.deletes()] == [str(number)]
    assert "Soon withdrawn?" not in "\n".join(bot.chat.current())
    listed = await bot.say("carol", "/cop questions all")
    assert "Soon withdrawn?" not in listed and "Stays?" in listed
    again = await bot.run("bob", f"/cop ask withdraw {code}")
    assert "already been removed" in text_of(again.reply)


async def test_status_with_an_unknown_code_is_refused_privately(club: Harness) -> None:
    out = await club.run("bob", "/cop ask status nope")
    assert not out.ok and out.reply.private and "No question has that code" in text_of(out.reply)


async def test_moderation_sends_reviews_in_batches_then_releases_approved_ones(
    club: Harness,
) -> None:
    bot = club
    await bot.say("alice", "/cop facilitator add <@erin|erin>")
    await bot.say("alice", "/cop setup questions_moderation=on")
    bot.clock.set(at(4, 10))
    good = await ask(bot, "bob", "A fair question?")
    bad = await ask(bot, "carol", "A rude question!")
    await ask(bot, "dave", "Another fair one?")
    assert bot.chat.dms("alice") == []  # nothing at asking time: timing says nothing
    assert "waiting" in (await bot.say("bob", f"/cop ask status {good}")).lower()
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    assert released(bot) == []
    reviews = [m for m in bot.chat.sent if isinstance(m, DirectMessage)]
    assert {m.user_id for m in reviews} == {"alice", "erin"} and len(reviews) == 6
    numbers = {
        b.command.split()[-1]: m.reply.card.body.data["value"]  # type: ignore[union-attr]
        for m in reviews
        if m.reply.card
        for b in m.reply.card.buttons
        if b.command.startswith("questions approve")
    }
    by_text = {text: no for no, text in numbers.items()}
    assert "review" in (await bot.say("bob", f"/cop ask status {good}")).lower()
    await bot.press("alice", f"questions approve {by_text['A fair question?']}")
    await bot.say("erin", f"/cop questions approve #{by_text['Another fair one?']}")
    out = await bot.say(
        "alice", f'/cop questions reject {by_text["A rude question!"]} reason="Not kind"'
    )
    assert "Rejected" in out
    status = await bot.say("carol", f"/cop ask status {bad}")
    assert "rejected" in status and "Not kind" in status
    assert "approved" in (await bot.say("bob", f"/cop ask status {good}")).lower()
    member = await bot.run("bob", f"/cop questions approve {by_text['A fair question?']}")
    assert not member.ok and member.reply.private
    await bot.advance(at(6, 9, 1) - bot.clock.now())
    assert sorted(released(bot)) == ["A fair question?", "Another fair one?"]


async def test_one_upvote_per_member_and_nobody_recorded(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Vote on me?")
    await ask(bot, "carol", "Or me?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    first = await bot.press("dave", "questions upvote 1")
    assert "+1" in first
    again = await bot.run("dave", "/cop questions upvote Q1", via="button")
    assert not again.ok and again.reply.private and "already upvoted" in text_of(again.reply)
    await bot.press("carol", "questions upvote 1")
    listed = await bot.say("bob", "/cop questions")
    assert listed.index("Q1 (+2)") < listed.index("Q2 (+0)")
    missing = await bot.run("dave", "/cop questions upvote Q9")
    assert not missing.ok and missing.reply.private


async def test_answers_are_posted_without_names_and_listed_as_answered(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Who answers?")
    await ask(bot, "carol", "Second?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    bot.chat.clear()
    refused = await bot.run("dave", '/cop questions answer Q1 "Me!"')
    assert not refused.ok and refused.reply.private and bot.chat.sent == []
    await bot.say("alice", '/cop questions answer Q1 "The group does."')
    posted = bot.chat.channel()
    assert len(posted) == 1 and "The group does." in posted[0] and "alice" not in posted[0]
    listed = await bot.say("bob", "/cop questions answered")
    assert listed.startswith("Answered questions (1):") and "Q1 (+0, answered)" in listed
    assert "Q1" not in await bot.say("bob", "/cop questions open")
    assert "Marked as answered: Q2" in await bot.say("alice", "/cop questions discussed Q2")
    assert "None yet" in await bot.say("bob", "/cop questions open")


async def test_hide_removes_from_lists_and_agenda(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Hide me?")
    await ask(bot, "carol", "Keep me?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    hidden = 1 if released(bot)[0] == "Hide me?" else 2
    member = await bot.run("dave", f"/cop questions hide Q{hidden}")
    assert not member.ok and member.reply.private
    await bot.say("alice", f"/cop questions hide Q{hidden}")
    assert f"removed anonymous question Q{hidden}" in bot.chat.channel()[-1]
    assert "Hide me?" not in await bot.say("dave", "/cop questions all")
    from bot.features.questions.manage import agenda

    with bot.core.uow_factory() as uow:
        community = uow.communities.all()[0]
        lines = agenda(uow, community, 0)
    assert [line.data["text"] for line in lines] == ["Keep me?"]


async def test_rate_limit_is_per_member_per_day_without_storing_who(club: Harness) -> None:
    bot = club
    await bot.say("alice", "/cop setup questions_per_day=2")
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "One?")
    await ask(bot, "bob", "Two?")
    refused = await bot.run("bob", '/cop ask "Three?"')
    assert not refused.ok and refused.reply.private and "limit of 2" in text_of(refused.reply)
    await ask(bot, "carol", "Carol's first?")  # others are not affected
    bot.clock.set(at(5, 10))
    await ask(bot, "bob", "Next day?")


async def test_block_within_the_key_window_stops_the_author(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Offensive?")
    await ask(bot, "carol", "Fine?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    offensive = 1 if released(bot)[0] == "Offensive?" else 2
    out = await bot.say("alice", f"/cop questions block Q{offensive}")
    assert "cannot ask new questions here until" in out
    assert "Mon 11 Jan 2027, 09:00" in out  # the key window ends first: said plainly
    refused = await bot.run("bob", '/cop ask "Again?"')
    assert not refused.ok and refused.reply.private and "paused" in text_of(refused.reply)
    await ask(bot, "carol", "Carol still can?")


async def test_block_after_the_key_rotated_says_it_is_no_longer_possible(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Old?")
    await ask(bot, "carol", "Older?")
    await bot.advance(at(12, 10) - bot.clock.now())  # the key rotated on Mon 11 Jan 09:00
    out = await bot.say("alice", "/cop questions block Q1")
    assert "can no longer be blocked" in out
    await ask(bot, "bob", "I can still ask?")


async def test_reject_can_block_the_author(club: Harness) -> None:
    bot = club
    await bot.say("alice", "/cop setup questions_moderation=on")
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Spam!")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    review = next(
        b.command.split()[-1]
        for m in bot.chat.sent
        if isinstance(m, DirectMessage) and m.reply.card
        for b in m.reply.card.buttons
        if "approve" in b.command
    )
    out = await bot.say("alice", f"/cop questions reject {review} block=yes")
    assert "cannot ask new questions" in out
    assert not (await bot.run("bob", '/cop ask "More spam"')).ok


async def test_a_dm_draft_is_sent_by_its_button_once_and_only_from_memory(club: Harness) -> None:
    bot = club
    await bot.say("alice", '/cop setup name="North"')
    other = Place("test", "W1", "C2")
    await bot.run("bob", '/cop setup name="South" timezone=Europe/London', place=other)
    buttons = await draft(bot, "bob", "A question from my DMs?")
    assert len(buttons) == 2 and all(b.startswith("ask send ") for b in buttons)
    assert all("bob" not in b for b in buttons)
    out = await bot.run("bob", "/cop " + buttons[0], place=DM, via="button", is_dm=True)
    assert out.ok and out.reply.private and "North" in text_of(out.reply)
    again = await bot.run("bob", "/cop " + buttons[0], place=DM, via="button", is_dm=True)
    assert not again.ok and "draft is gone" in text_of(again.reply)
    # The other community's button expires after 10 minutes.
    bot.clock.advance(timedelta(minutes=11))
    late = await bot.run("bob", "/cop " + buttons[1], place=DM, via="button", is_dm=True)
    assert not late.ok and "draft is gone" in text_of(late.reply)
    assert len(drafts_for(bot.core)) == 0


async def test_a_dm_draft_from_a_stranger_has_nowhere_to_go(club: Harness) -> None:
    from bot.context import Actor

    reply = await club.core.handle_dm_text(DM, Actor("zed", "zed"), "Hello?")
    assert reply.card is None and "only understand commands" in text_of(reply)


async def test_meeting_notes_mark_discussed_questions_answered(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Discuss me?")
    await ask(bot, "carol", "And me?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    from bot.features.questions.manage import notes_mark_answered
    from bot.scheduler import JobContext

    with bot.core.uow_factory() as uow:
        community = uow.communities.all()[0]
        scope = JobContext(bot.core, uow, None, community)  # type: ignore[arg-type]
        await notes_mark_answered(scope, {"meeting_id": 1, "notes": "Good chat. Discussed: Q2"})
        uow.commit()
    assert "Q2" in text_of(scope.outbox.items[0].reply)
    assert "Q2" not in await bot.say("bob", "/cop questions open")


async def test_forget_me_keeps_the_questions_and_says_when_the_tokens_go(club: Harness) -> None:
    bot = club
    bot.clock.set(at(4, 10))
    await ask(bot, "bob", "Still here after forget-me?")
    await ask(bot, "carol", "And me?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    await bot.press("bob", "questions upvote 1")
    out = await bot.say("bob", "/cop forget-me")
    assert "keyed tokens" in out and "Mon 11 Jan 2027, 09:00" in out
    assert "Still here after forget-me?" in await bot.say("dave", "/cop questions")
    await bot.advance(at(11, 9, 1) - bot.clock.now())  # the key rotates: every token goes
    from sqlalchemy import text

    with bot.engine.connect() as conn:
        for table in ("question_vote", "question_blockable", "question_quota"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
