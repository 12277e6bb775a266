"""Tracked channel posts: remembered after delivery, edited and deleted through the core.

Questions (the "+1 (n)" count; hide and withdraw remove the post), meeting announcements
(RSVP counts, moves, hosts, cancellation) and resource ballots (results after close).
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from adapters.console.chat import ConsoleChat
from bot.features.resources.title_lookup import attach_fetcher
from bot.replies import ChannelPost, DeletePost, EditPost, Outbox, Reply, Visibility
from bot.text import Msg
from tests.fakes import PLACE, Harness
from tests.questions_helpers import ask, at, released
from tests.test_resources import FakeTitles, month, suggest_three


def tracked(bot: Harness) -> dict[str, str]:
    with bot.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, ref FROM posted_message")).all()
    return {str(k): str(r) for k, r in rows}


def post(words: str) -> Reply:
    return Reply(Msg("common.value", {"value": words}), visibility=Visibility.CHANNEL)


async def released_club(bot: Harness, *questions: str) -> None:
    bot.clock.set(at(4, 8))
    await bot.setup()  # alice is the facilitator
    assert "questions_min_batch" in await bot.say("alice", "/cop setup questions_min_batch=1")
    bot.clock.set(at(4, 10))
    for n, words in enumerate(questions):
        await ask(bot, f"asker{n}", words)
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    assert sorted(released(bot)) == sorted(questions)


# ---------------------------------------------------------------- the mechanism


async def test_a_tracked_post_is_remembered_then_edited_and_deleted_in_place(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await bot.setup()
    await bot.core.deliver([ChannelPost(PLACE, post("first"), track="demo:1")])
    assert list(tracked(bot)) == ["demo:1"]
    await bot.core.deliver([EditPost(PLACE, "demo:1", post("second"))])
    assert bot.chat.current()[-1] == "second"
    [edit] = [m for m in bot.chat.sent if isinstance(m, EditPost)]
    assert edit.ref == tracked(bot)["demo:1"]  # the chat got the platform reference
    await bot.core.deliver([DeletePost(PLACE, "demo:1")])
    assert "second" not in bot.chat.current() and tracked(bot) == {}


async def test_editing_or_deleting_a_post_never_tracked_sends_nothing(bot: Harness) -> None:
    await bot.setup()
    bot.chat.clear()
    await bot.core.deliver([EditPost(PLACE, "demo:9", post("x")), DeletePost(PLACE, "demo:9")])
    await bot.core.deliver([ChannelPost(PLACE, post("untracked"))])
    assert [type(m) for m in bot.chat.sent] == [ChannelPost] and tracked(bot) == {}


async def test_a_post_removed_by_hand_is_forgotten_at_the_next_edit(bot: Harness) -> None:
    await bot.setup()
    await bot.core.deliver([ChannelPost(PLACE, post("first"), track="demo:1")])
    bot.chat.gone.add(tracked(bot)["demo:1"])  # a workspace admin deleted it
    await bot.core.deliver([EditPost(PLACE, "demo:1", post("second"))])
    assert tracked(bot) == {}


async def test_later_edits_of_one_post_in_a_transaction_supersede_earlier_ones(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.core.deliver([ChannelPost(PLACE, post("v0"), track="demo:1")])
    box = Outbox()
    box.edit(PLACE, "demo:1", post("v1"))
    box.edit(PLACE, "demo:1", post("v2"))
    assert len(box.items) == 1
    await bot.core.deliver(box.items)
    assert bot.chat.edits() == ["v2"]


async def test_posted_message_holds_only_community_key_and_reference(bot: Harness) -> None:
    columns = {c["name"] for c in inspect(bot.engine).get_columns("posted_message")}
    assert columns == {"community_id", "key", "ref"}
    [fk] = inspect(bot.engine).get_foreign_keys("posted_message")
    assert fk["referred_table"] == "community" and fk["options"].get("ondelete") == "CASCADE"


async def test_the_console_prints_edits_and_deletes_with_the_channel(bot: Harness) -> None:
    lines: list[str] = []
    chat = ConsoleChat(lines.append)
    sent = await chat.send(ChannelPost(PLACE, post("hello"), track="demo:1"))
    assert sent.ref == "1"
    await chat.send(EditPost(PLACE, "demo:1", post("hello again"), ref=sent.ref))
    await chat.send(DeletePost(PLACE, "demo:1", ref=sent.ref))
    assert lines == ["[#C1] hello", "[#C1 edited] hello again", "[#C1 deleted] hello again"]


# ---------------------------------------------------------------- questions


async def test_an_upvote_updates_the_count_on_the_question_post(any_bot: Harness) -> None:
    bot = any_bot
    await released_club(bot, "How do rate cards work?")
    assert "+1 (0)" in bot.chat.current()[-1]
    await bot.press("bob", "questions upvote 1")
    await bot.press("carol", "questions upvote 1")
    await bot.press("carol", "questions upvote 1")  # refused: no edit
    assert len(bot.chat.edits()) == 2
    assert "+1 (2)" in bot.chat.edits()[-1] and "How do rate cards work?" in bot.chat.edits()[-1]
    assert "+1 (2)" in bot.chat.current()[-1]
    assert [k.split(":")[0] for k in tracked(bot)] == ["question"]


async def test_hiding_a_question_removes_its_post_and_nothing_edits_it_after(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await released_club(bot, "Hide me?")
    assert any("Hide me?" in p for p in bot.chat.current())
    assert "removed from lists, agendas and the channel" in await bot.say(
        "alice", "/cop questions hide Q1"
    )
    [deleted] = bot.chat.deletes()
    assert deleted.startswith("question:") and deleted.endswith(":1")
    assert not any("Hide me?" in p for p in bot.chat.current())
    assert "removed anonymous question Q1" in bot.chat.current()[-1]  # the notice stays
    assert tracked(bot) == {}
    await bot.press("bob", "questions upvote 1")
    assert bot.chat.edits() == []


async def test_withdrawing_after_release_removes_the_post(bot: Harness) -> None:
    bot.clock.set(at(4, 8))
    await bot.setup()
    bot.clock.set(at(4, 10))
    code = await ask(bot, "bob", "Withdraw me?")
    await ask(bot, "carol", "Keep me?")
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    out = await bot.say("bob", f"/cop ask withdraw {code}")
    assert "removed from the channel" in out
    shown = "\n".join(bot.chat.current())
    assert "Withdraw me?" not in shown and "Keep me?" in shown
    assert len(tracked(bot)) == 1


# ---------------------------------------------------------------- meetings


SCHEDULE = '/cop meeting schedule when="next Tuesday 14:00" title="Knowledge club"'


async def test_rsvps_update_the_announcement_counts_under_chatham_house(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await bot.setup()
    await bot.say("alice", SCHEDULE + " chatham=yes")
    assert "0 yes · 0 maybe · 0 no" in bot.chat.current()[-1]
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.press("carol", "meeting rsvp 1 yes")
    await bot.press("dave", "meeting rsvp 1 maybe")
    card = bot.chat.current()[-1]
    assert "New meeting: Knowledge club" in card and "2 yes · 1 maybe · 0 no" in card
    assert "bob" not in card and "carol" not in card  # counts only
    assert "meeting rsvp 1 yes" in card  # the buttons stay


async def test_move_host_and_cancel_update_the_announcement(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    out = await bot.say("alice", SCHEDULE + " host=bob")
    assert "Scheduled" in out, out
    await bot.say("alice", '/cop meeting move 1 when="next Wednesday 15:00"')
    assert "Wed 6 Jan 2027, 15:00" in bot.chat.current()[0]
    assert "bob (not confirmed yet)" in bot.chat.current()[0]
    await bot.say("bob", "/cop host confirm 1")
    assert "Host: bob" in bot.chat.current()[0]
    assert "not confirmed" not in bot.chat.current()[0]
    await bot.say("alice", "/cop meeting cancel 1")
    first = bot.chat.current()[0]
    assert "This meeting is cancelled." in first and "meeting rsvp 1 yes" not in first


async def test_a_series_later_occurrence_has_no_announcement_to_edit(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE + ' every="week"')
    bot.chat.clear()
    await bot.press("bob", "meeting rsvp 2 yes")
    assert bot.chat.edits() == []


# ---------------------------------------------------------------- resources


async def test_the_ballot_post_shows_the_counts_once_the_vote_closes(bot: Harness) -> None:
    attach_fetcher(bot.core, FakeTitles())
    await month(bot)
    await suggest_three(bot)
    await bot.advance("15d")
    await bot.advance("8h")  # the ballot opens
    ballot = bot.chat.current().index(
        next(p for p in bot.chat.current() if "vote for the resource" in p)
    )
    await bot.press("bob", "resource vote 1")
    await bot.press("carol", "resource vote 1")
    await bot.press("dave", "resource vote 2")
    assert bot.chat.edits() == []  # nothing is counted in public while the vote is open
    await bot.advance("11d")  # the vote closes
    card = bot.chat.current()[ballot]
    assert "is closed" in card and "3 members voted" in card
    assert "Rate cards explained (https://example.org/rate-cards): 2 votes" in card
    assert "resource vote 1" not in card  # no buttons left
    assert "bob" not in card and "carol" not in card
