"""Resource of the month at its edges: other communities, hostile titles, long ballots,
settings changed after a meeting was planned."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from bot.features.resources.title_lookup import attach_fetcher
from bot.replies import ChannelPost, EditPost, Place
from tests.fakes import Harness
from tests.test_resources import FakeTitles, channel, count, month

OTHER = Place("test", "W2", "C9")


@pytest.fixture
def quiet(bot: Harness) -> Harness:
    attach_fetcher(bot.core, FakeTitles())
    return bot


async def test_another_communitys_resource_cannot_be_voted_picked_shown_rated_or_removed(
    quiet: Harness,
) -> None:
    bot = quiet
    await month(bot)
    out = await bot.run("zed", 'setup name="Elsewhere" timezone=Europe/London', place=OTHER)
    assert out.ok
    await bot.say("zed", '/cop meeting schedule when="2027-02-02 18:00" title="B"', place=OTHER)
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="A one"')
    await bot.advance("16d")  # community A's vote is open with resource 1
    assert "[Vote #1 A one]" in channel(bot)
    for line in (
        "resource vote 1",
        "resource unvote 1",
        "resource pick 1",
        "resource show 1",
        "resource remove 1",
        "resource rate 1 5",
    ):
        out = await bot.press("zed", line, place=OTHER)  # a crafted button press, too
        assert "There is no resource #1 here" in out, (line, out)
    # Nor can community B's facilitator pick for community A's meeting.
    await bot.say("zed", '/cop resource suggest https://b.example/1 title="B one"', place=OTHER)
    assert "no upcoming meeting #1" in await bot.say(
        "zed", "/cop resource pick 2 meeting=1", place=OTHER
    )
    assert "There is no resource #2 here" in await bot.say("alice", "/cop resource pick 2")
    assert count(bot, "resource_vote") == 0
    assert "A one" in await bot.say("bob", "/cop resource show 1")


async def test_a_title_naming_another_site_shows_where_the_link_really_goes(
    quiet: Harness,
) -> None:
    from adapters.discord.render import DiscordRenderer
    from adapters.slack.render import reply_messages

    bot = quiet
    await month(bot)
    await bot.say(
        "bob", '/cop resource suggest https://evil.example/x title="https://bank.example/login"'
    )
    await bot.say("bob", '/cop resource suggest https://nodejs.org/learn title="Learn nodejs.org"')
    cands = await bot.say("bob", "/cop resource candidates")
    assert "https://bank.example/login (evil.example) (https://evil.example/x)" in cands
    assert "Learn nodejs.org (https://nodejs.org/learn)" in cands  # its own site: unchanged
    await bot.say("alice", "/cop resource pick 1")
    announce = [m for m in bot.chat.sent if isinstance(m, ChannelPost)][-1].reply
    assert announce.card is not None
    slack = json.dumps([m.as_args() for m in reply_messages(announce)])
    assert "bank.example/login (evil.example)" in slack
    embed = DiscordRenderer().embed(announce.card)
    assert embed.title is not None and "(evil.example)" in embed.title
    await bot.advance("29d")
    await bot.say("alice", '/cop meeting notes 1 "ok"')
    outcome = await bot.run("bob", "resource export")
    md = outcome.reply.attachments[0].content.decode()
    assert "## [https://bank\\.example/login \\(evil\\.example\\)](https://evil.example/x)" in md


async def test_the_export_escapes_markdown_links_html_and_spreadsheet_formulas(
    quiet: Harness,
) -> None:
    bot = quiet
    await month(bot)
    await bot.say(
        "bob",
        "/cop resource suggest https://a.example/x "
        'title="x](javascript:alert(1)) <img src=x onerror=alert(1)>" '
        'why="=HYPERLINK(\\"https://evil.example\\",\\"hi\\")" tags="@SUM(A1), -2"',
    )
    await bot.say("alice", "/cop resource pick 1")
    outcome = await bot.run("bob", "resource export")
    files = {a.filename: a.content.decode() for a in outcome.reply.attachments}
    md = files["resource-library.md"]
    assert not re.search(r"(?<!\\)\]\(javascript", md) and not re.search(r"(?<!\\)<img", md)
    assert "x\\]\\(javascript:alert\\(1\\)\\) \\<img src=x onerror=alert\\(1\\)\\>" in md
    row = list(csv.reader(io.StringIO(files["resource-library.csv"])))[1]
    assert row[3].startswith("'=") and row[4].startswith("'@")


async def test_the_library_filters_by_tag_regardless_of_case_and_spacing(quiet: Harness) -> None:
    bot = quiet
    await month(bot)
    await bot.say(
        "bob", '/cop resource suggest https://a.example/1 title="One" tags="Payment  rules"'
    )
    await bot.say("alice", "/cop resource pick 1")
    assert "1 resource, page" in await bot.say("bob", '/cop resource library tag="payment rules"')
    assert "1 resource, page" in await bot.say("bob", '/cop resource library tag=" PAYMENT rules "')
    assert "0 resources" in await bot.say("bob", "/cop resource library tag=payment")
    assert "1 resource, page" in await bot.say("bob", '/cop resource library q="one PAYMENT"')


async def test_ten_long_candidates_fit_the_slack_and_discord_ballot_limits(
    quiet: Harness,
) -> None:
    from adapters.discord.render import DiscordRenderer
    from adapters.slack.render import reply_messages

    bot = quiet
    await month(bot)
    for n in range(1, 12):
        title = f"{n} " + "A very long title about outcomes contracts " * 5
        why = "Because " + "it explains payment rules well " * 15
        await bot.say(
            "bob",
            f"/cop resource suggest https://example.org/{'p' * 150}/{n} "
            f'title="{title[:200]}" why="{why[:500]}"',
        )
    bot.chat.clear()
    await bot.advance("16d")
    ballot = next(m for m in bot.chat.sent if isinstance(m, ChannelPost)).reply
    assert ballot.card is not None and len(ballot.card.buttons) == 10  # at most 10
    assert "resource vote 1" not in [b.command for b in ballot.card.buttons]  # the oldest
    for message in reply_messages(ballot):
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= 75
    (out,) = DiscordRenderer().messages(ballot)
    assert out.embed is not None and out.embed.description is not None
    # Every candidate's line is whole (nothing clipped away) within Discord's 4096.
    assert len(out.embed.description) <= 4096 and "**#2**" in out.embed.description
    assert out.embed.description.count("](<https://example.org/") == 10
    assert out.view is not None
    labels = [str(getattr(getattr(b, "item", b), "label", "")) for b in out.view.children]
    assert len(labels) == 10 and all(0 < len(label) <= 80 for label in labels)


async def test_changing_the_vote_window_replans_a_meeting_already_scheduled(
    quiet: Harness,
) -> None:
    bot = quiet
    await month(bot)  # the meeting is Tue 2 Feb 18:00; default window 19 Jan - 30 Jan
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="One"')
    await bot.say("alice", "/cop setup resource_vote_opens=7d")
    bot.chat.clear()
    await bot.advance("16d")  # Wed 20 Jan: the old window would be open
    assert "[Vote" not in channel(bot)
    await bot.advance("152h")  # Tue 26 Jan 17:00: an hour before 7 days before
    assert "[Vote" not in channel(bot)
    await bot.advance("2h")  # past Tue 26 Jan 18:00
    assert "[Vote #1 One]" in channel(bot)
    # Closing earlier while the vote is open moves the close and updates the ballot post.
    await bot.say("alice", "/cop setup resource_vote_closes=5d")
    edits = [m for m in bot.chat.sent if isinstance(m, EditPost)]
    assert edits and "Thu 28 Jan" in "".join(bot.chat.edits())
    await bot.press("bob", "resource vote 1")
    bot.chat.clear()
    await bot.advance("2d")  # Thu 28 Jan 19:00
    assert "The resource vote is closed" in channel(bot)
    assert "The vote closed" in await bot.press("carol", "resource vote 1")


async def test_a_closing_time_moved_into_the_past_closes_the_open_vote_now(
    quiet: Harness,
) -> None:
    bot = quiet
    await month(bot)
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="One"')
    await bot.advance("20d")  # Sun 24 Jan: open
    await bot.press("bob", "resource vote 1")
    bot.chat.clear()
    await bot.say("alice", "/cop setup resource_vote_closes=10d")  # 23 Jan: already past
    assert "The resource vote is closed" in channel(bot)
    assert "Resource of the month for Knowledge café" in channel(bot)


async def test_removing_a_candidate_takes_it_off_the_ballot_post(quiet: Harness) -> None:
    bot = quiet
    await month(bot)
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="One"')
    await bot.say("carol", '/cop resource suggest https://a.example/2 title="Two"')
    await bot.advance("16d")
    assert "[Vote #2 Two]" in channel(bot)
    assert "Removed resource #2" in await bot.say("carol", "/cop resource remove 2")
    current = "\n".join(bot.chat.current())
    assert "[Vote #1 One]" in current and "Two" not in current
    assert "There is no resource #2" in await bot.press("bob", "resource vote 2")


async def test_picking_in_facilitator_mode_is_refused_to_members_without_writing(
    quiet: Harness,
) -> None:
    bot = quiet
    await month(bot)
    await bot.say("alice", "/cop setup resource_pick=facilitator")
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="One"')
    out = await bot.say("bob", "/cop resource pick 1")
    assert "facilitators pick" in out
    assert "There is no resource #99" in await bot.say("alice", "/cop resource pick 99")
    assert "a candidate" in await bot.say("bob", "/cop resource show 1")
    assert count(bot, "resource WHERE picked_meeting_id IS NOT NULL") == 0


async def test_a_facilitator_pick_during_the_vote_closes_the_ballot_post(quiet: Harness) -> None:
    bot = quiet
    await month(bot)
    await bot.say("bob", '/cop resource suggest https://a.example/1 title="One"')
    await bot.say("carol", '/cop resource suggest https://a.example/2 title="Two"')
    await bot.advance("16d")
    await bot.press("bob", "resource vote 1")
    await bot.say("alice", "/cop resource pick 2")
    ballot = next(t for t in bot.chat.current() if "resource of the month for" in t)
    assert "[Vote" not in ballot and "Two was picked directly; 1 member had voted" in ballot
    assert "One (https://a.example/1): 1 vote\n" in ballot
