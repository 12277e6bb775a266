"""Resource of the month through the core: suggest, vote, pick, discuss, rate, library."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.features.resources.title_lookup import attach_fetcher
from bot.replies import ChannelPost, DirectMessage
from tests.fakes import Harness

# START is Monday 4 Jan 2027 09:00 UTC; the meeting is four weeks later. The vote opens
# 14 days before (Tue 19 Jan 18:00) and closes 3 days before (Sat 30 Jan 18:00).
ROOT = Path(__file__).resolve().parents[1]
MEETING = '/cop meeting schedule when="2027-02-02 18:00" title="Knowledge café"'


class FakeTitles:
    """Stands in for the web: records what was asked, answers from a table."""

    def __init__(self, titles: dict[str, str] | None = None) -> None:
        self.titles = titles or {}
        self.asked: list[str] = []

    async def fetch_title(self, url: str) -> str | None:
        self.asked.append(url)
        return self.titles.get(url)


@pytest.fixture
def titles(bot: Harness) -> Iterator[FakeTitles]:
    fake = FakeTitles()
    attach_fetcher(bot.core, fake)  # no test reaches the internet
    yield fake


@pytest.fixture
def db_bot(any_bot: Harness) -> Harness:
    """SQLite, and PostgreSQL too when COPBOT_TEST_DATABASE_URL is set."""
    attach_fetcher(any_bot.core, FakeTitles())
    return any_bot


def count(bot: Harness, table: str) -> int:
    with bot.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def channel(bot: Harness) -> str:
    return "\n".join(bot.chat.channel())


async def month(bot: Harness) -> None:
    await bot.setup()
    out = await bot.say("alice", MEETING)
    assert "Scheduled meeting #1" in out, out


async def suggest_three(bot: Harness) -> None:
    await bot.say(
        "bob",
        '/cop resource suggest url=https://example.org/rate-cards title="Rate cards explained" '
        'why="Clear on payment rules" tags="payment rules, SIB"',
    )
    await bot.advance("1h")
    await bot.say(
        "carol",
        '/cop resource suggest url=https://example.org/evaluation title="Evaluating outcomes" '
        'tags="evaluation"',
    )
    await bot.advance("1h")
    await bot.say(
        "dave", '/cop resource suggest url=https://example.org/spv title="SPVs in practice"'
    )


# ---------------------------------------------------------------- suggest


async def test_suggesting_stores_a_fallback_title_then_looks_the_page_title_up(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    titles.titles["https://example.org/guide/"] = "The outcomes guide"
    out = await bot.say("bob", "/cop resource suggest url=https://example.org/guide/")
    assert "resource #1" in out and "example.org/guide" in out and "look up" in out
    # The look-up ran as due work after the reply (Harness.say ticks the scheduler).
    assert titles.asked == ["https://example.org/guide/"]
    assert "The outcomes guide" in await bot.say("bob", "/cop resource show 1")


async def test_a_failed_look_up_keeps_the_fallback_and_a_given_title_is_never_looked_up(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop resource suggest https://www.example.org/reports/spv-guide")
    assert "example.org/reports/spv-guide" in await bot.say("bob", "/cop resource show 1")
    await bot.say("bob", '/cop resource suggest https://example.org/x title="Mine"')
    assert titles.asked == ["https://www.example.org/reports/spv-guide"]


async def test_a_duplicate_address_is_not_added_twice_and_the_reason_is_kept(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say(
        "bob",
        '/cop resource suggest url=https://example.org/report title="Report" why="first" tags=SIB',
    )
    out = await bot.say(
        "carol",
        '/cop resource suggest url="HTTPS://Example.org/report/?utm_source=news&fbclid=1#top" '
        'why="second reason" tags="sib, evaluation"',
    )
    assert "already here as resource #1" in out and "added your reason" in out
    again = await bot.say("dave", "/cop resource suggest https://example.org/report?ref=x")
    assert "already here as resource #1" in again and "added your reason" not in again
    assert count(bot, "resource") == 1
    shown = await bot.say("bob", "/cop resource show 1")
    assert "first" in shown and "second reason" in shown
    assert "Tags: SIB, evaluation" in shown


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "not-a-web-address"],
)
async def test_only_http_and_https_addresses_are_accepted(
    bot: Harness, titles: FakeTitles, url: str
) -> None:
    await bot.setup()
    out = await bot.say("bob", f'/cop resource suggest url="{url}"')
    assert "https://example.org/report" in out  # refused with an example
    assert bot.last is not None and not bot.last.ok and bot.last.field == "url"
    assert count(bot, "resource") == 0


async def test_overlong_title_and_why_are_refused_with_the_limit(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    long_title = "t" * 201
    out = await bot.say("bob", f'/cop resource suggest https://example.org title="{long_title}"')
    assert "at most 200 characters" in out
    out = await bot.say("bob", f'/cop resource suggest https://example.org why="{"w" * 501}"')
    assert "at most 500 characters" in out
    out = await bot.say("bob", "/cop resource suggest url=https://good.org@evil.net/x")
    assert "real destination" in out
    assert count(bot, "resource") == 0


async def test_suggest_without_an_address_opens_a_form_or_asks_for_it(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    outcome = await bot.run("bob", "resource suggest", supports_forms=True)
    assert outcome.reply.form is not None
    assert [f.name for f in outcome.reply.form.fields] == ["url", "title", "why", "tags"]
    typed = await bot.say("bob", "/cop resource suggest")
    assert "Give the web address" in typed


# ---------------------------------------------------------------- the month


async def test_a_whole_month_suggest_vote_announce_discuss_rate_and_library(
    db_bot: Harness,
) -> None:
    bot = db_bot
    await month(bot)
    await suggest_three(bot)
    assert "No vote is open" in await bot.say("bob", "/cop resource vote 1")

    # The ballot opens 14 days before the meeting, not earlier.
    bot.chat.clear()
    await bot.advance("15d")  # Tue 19 Jan 11:00: still closed
    assert "vote for the resource" not in channel(bot)
    await bot.advance("8h")  # past 18:00
    posted = channel(bot)
    assert "vote for the resource of the month for Knowledge café" in posted
    # Newest first, with a vote button each, and no suggester named.
    assert posted.index("#3 SPVs") < posted.index("#2 Evaluating") < posted.index("#1 Rate")
    assert "/cop resource vote 3" in posted and "bob" not in posted and "carol" not in posted

    # Approval voting: several candidates, change of mind, repeats count once.
    out = await bot.press("bob", "resource vote 1")
    assert "You voted for #1" in out and "vote(s)" not in out
    assert "already voted" in await bot.press("bob", "resource vote 1")
    assert "#2" in await bot.press("bob", "resource vote 2")
    assert "taken back" in await bot.say("bob", "/cop resource unvote 2")
    assert "not voted" in await bot.say("bob", "/cop resource unvote 2")
    await bot.press("carol", "resource vote 2")
    await bot.press("dave", "resource vote 1")
    await bot.press("erin", "resource vote 3")
    private = await bot.say("carol", "/cop resource vote")
    assert "You voted for:\n• #2 Evaluating outcomes" in private
    # Nothing shows counts or voters while the vote is open.
    shown = await bot.say("carol", "/cop resource show 1")
    assert "bob" not in shown and "Votes" not in shown
    assert count(bot, "resource_vote") == 4

    bot.chat.clear()
    await bot.advance("11d")  # past Sat 30 Jan 18:00: the vote closes
    posted = channel(bot)
    assert "The resource vote is closed. 4 members voted" in posted
    assert "Rate cards explained (https://example.org/rate-cards): 2 votes" in posted
    assert "Resource of the month for Knowledge café" in posted
    assert "Suggested by: bob" in posted and "Why: Clear on payment rules" in posted

    after = await bot.press("erin", "resource vote 2")
    assert "vote closed" in after
    assert count(bot, "resource_vote") == 4

    # The pick is the meeting's agenda resource and is in the reminders that follow.
    agenda = await bot.say("carol", "/cop meeting agenda 1")
    assert "Read before we meet: Rate cards explained" in agenda
    bot.chat.clear()
    await bot.advance("2d")  # the day-before reminder
    assert "Read before we meet: Rate cards explained" in channel(bot)

    assert "after the meeting" in await bot.say("bob", "/cop resource rate 1 4")
    await bot.advance("1d")  # the meeting is over
    bot.chat.clear()
    await bot.say("alice", '/cop meeting notes 1 "Good discussion of rate cards"')
    assert "How useful was this month's resource?" in channel(bot)
    assert "/cop resource rate 1 5" in channel(bot)
    assert "you rated Rate cards explained 4/5" in await bot.press("bob", "resource rate 1 4")
    await bot.press("carol", "resource rate 1 5")
    changed = await bot.press("bob", "resource rate 1 3")
    assert "Changed your rating" in changed and "averages 4.0 from 2 ratings" in changed
    assert "Rate from 1 to 5" in await bot.say("bob", "/cop resource rate 1 6")

    library = await bot.say("erin", "/cop resource library")
    assert "1 resource, page" in library and "★ 4.0 (2 ratings)" in library
    assert "discussed Tue 2 Feb 2027" in library and "/cop meeting show 1" in library
    assert "tags: payment rules, SIB" in library
    assert "0 resources" in await bot.say("erin", "/cop resource library tag=evaluation")
    assert "1 resource, page" in await bot.say("erin", "/cop resource library tag=sib")
    assert "1 resource, page" in await bot.say("erin", '/cop resource library q="payment"')
    assert "0 resources" in await bot.say("erin", '/cop resource library q="banana"')

    outcome = await bot.run("erin", "resource export")
    files = {a.filename: a.content.decode() for a in outcome.reply.attachments}
    assert set(files) == {"resource-library.md", "resource-library.csv"}
    assert (
        "## [Rate cards explained](https://example.org/rate-cards)" in files["resource-library.md"]
    )
    assert "2027-02-02" in files["resource-library.csv"]
    assert "bob" not in files["resource-library.md"]  # the export names nobody

    # Unpicked candidates carry over to the next month; the picked one does not.
    assert "#1" not in await bot.say("bob", "/cop resource candidates")
    assert "#3 SPVs" in await bot.say("bob", "/cop resource candidates")


async def test_a_tie_goes_to_the_candidate_suggested_earlier(db_bot: Harness) -> None:
    bot = db_bot
    await month(bot)
    await suggest_three(bot)
    await bot.advance("16d")
    await bot.press("bob", "resource vote 3")
    await bot.press("carol", "resource vote 2")
    await bot.press("dave", "resource vote 2")
    await bot.press("erin", "resource vote 3")
    bot.chat.clear()
    await bot.advance("11d")
    posted = channel(bot)
    assert "Resource of the month for Knowledge café" in posted
    announced = posted[posted.index("Resource of the month for Knowledge café") :]
    assert "Evaluating outcomes" in announced.split("\n")[1]  # #2 is older than #3


async def test_no_candidates_asks_the_channel_and_the_first_suggestion_opens_the_vote(
    bot: Harness, titles: FakeTitles
) -> None:
    await month(bot)
    bot.chat.clear()
    await bot.advance("16d")
    assert "There are no suggestions yet" in channel(bot)
    assert "Resource of the month for" not in channel(bot)  # no empty ballot
    out = await bot.say("bob", '/cop resource suggest https://example.org/a title="A"')
    assert "opened the vote" in out
    assert "[Vote #1 A]" in channel(bot)
    assert "You voted for #1" in await bot.press("carol", "resource vote 1")


async def test_suggestions_older_than_six_months_are_no_longer_candidates(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say("bob", '/cop resource suggest https://example.org/old title="Old one"')
    await bot.advance("190d")
    await bot.say("alice", '/cop meeting schedule when="2027-08-10 18:00" title="Summer café"')
    await bot.say("bob", '/cop resource suggest https://example.org/new title="New one"')
    bot.chat.clear()
    await bot.advance("20d")
    assert "New one" in channel(bot) and "Old one" not in channel(bot)


async def test_the_chatham_house_rule_hides_who_suggested_the_pick(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say(
        "alice",
        '/cop meeting schedule when="2027-02-02 18:00" title="Closed session" chatham=yes',
    )
    await bot.say("bob", '/cop resource suggest https://example.org/a title="A"')
    await bot.advance("16d")
    await bot.press("carol", "resource vote 1")
    bot.chat.clear()
    await bot.advance("11d")
    assert "Resource of the month for Closed session" in channel(bot)
    assert "bob" not in channel(bot)
    assert "bob" not in await bot.say("carol", "/cop resource show 1")


# ---------------------------------------------------------------- other ways to pick


async def test_facilitator_mode_only_facilitators_pick_and_refusals_write_nothing(
    bot: Harness, titles: FakeTitles
) -> None:
    await month(bot)
    await bot.say("alice", "/cop setup resource_pick=facilitator")
    await suggest_three(bot)
    bot.chat.clear()
    await bot.advance("16d")
    assert "[Vote" not in channel(bot)  # no ballot in this mode
    assert any("Pick #3" in t for t in bot.chat.dms("alice"))
    out = await bot.say("bob", "/cop resource pick 1")
    assert "facilitators pick" in out
    assert "There is no resource #99" in await bot.say("alice", "/cop resource pick 99")
    assert "no upcoming meeting #7" in await bot.say("alice", "/cop resource pick 1 meeting=7")
    assert "No vote is open" in await bot.say("bob", "/cop resource vote 1")
    with bot.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM resource WHERE picked_meeting_id IS NOT NULL")
            ).scalar()
            == 0
        )
    bot.chat.clear()
    out = await bot.say("alice", "/cop resource pick 2")
    assert "Picked #2 Evaluating outcomes" in out
    assert "Resource of the month for Knowledge café" in channel(bot)
    # An override replaces the pick; the earlier one is a candidate again.
    out = await bot.say("alice", "/cop resource pick 3 meeting=1")
    assert "replaces Evaluating outcomes" in out
    assert "#2 Evaluating" in await bot.say("bob", "/cop resource candidates")


async def test_a_facilitator_pick_overrides_an_open_vote(bot: Harness, titles: FakeTitles) -> None:
    await month(bot)
    await suggest_three(bot)
    await bot.advance("16d")
    await bot.press("bob", "resource vote 1")
    assert "group votes" in await bot.say("bob", "/cop resource pick 1")
    await bot.say("alice", "/cop resource pick 2")
    assert "The vote closed" in await bot.press("carol", "resource vote")
    bot.chat.clear()
    await bot.advance("11d")
    assert "vote is closed" not in channel(bot)  # the close job was cancelled


async def test_host_mode_asks_the_host_who_picks_and_facilitators_step_in_after_close(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say("alice", "/cop setup resource_pick=host")
    await bot.say("bob", "/cop profile level=new")
    await bot.say("carol", "/cop profile level=new")
    await bot.say("alice", '/cop meeting schedule when="2027-02-02 18:00" title="Café" host=@bob')
    await bot.say(
        "alice", '/cop meeting schedule when="2027-03-02 18:00" title="Spring café" host=@carol'
    )
    await suggest_three(bot)
    await bot.say("bob", "/cop host confirm 1")
    dm = "\n".join(bot.chat.dms("bob"))
    assert "You're hosting Café" in dm and "/cop resource pick 3 meeting=1" in dm
    assert "this time that's bob" in await bot.say("carol", "/cop resource pick 1 meeting=1")
    bot.chat.clear()
    assert "Picked #1" in await bot.press("bob", "resource pick 1 meeting=1")
    assert "Resource of the month for Café" in channel(bot)
    # Carol never picks for her meeting: facilitators are asked at the close date.
    bot.chat.clear()
    await bot.advance("55d")
    assert any("No resource has been picked for Spring café" in t for t in bot.chat.dms("alice"))


# ---------------------------------------------------------------- changes and removal


async def test_moving_the_meeting_moves_the_vote_and_cancelling_closes_it(
    bot: Harness, titles: FakeTitles
) -> None:
    await month(bot)
    await suggest_three(bot)
    await bot.say("alice", '/cop meeting move 1 when="2027-02-16 18:00"')
    bot.chat.clear()
    await bot.advance("16d")  # the old opening date passes quietly
    assert "[Vote" not in channel(bot)
    await bot.advance("14d")
    assert "[Vote" in channel(bot)
    await bot.press("bob", "resource vote 1")
    bot.chat.clear()
    await bot.say("alice", "/cop meeting cancel 1")
    assert "its resource vote is closed" in channel(bot)
    assert "No vote is open" in await bot.press("bob", "resource vote 1")


async def test_remove_is_for_the_suggester_or_a_facilitator_and_picked_ones_stay(
    bot: Harness, titles: FakeTitles
) -> None:
    await month(bot)
    await suggest_three(bot)
    assert "Only the member who suggested" in await bot.say("carol", "/cop resource remove 1")
    assert "Removed resource #1" in await bot.say("bob", "/cop resource remove 1")
    assert "Removed resource #3" in await bot.say("alice", "/cop resource remove 3")
    await bot.say("alice", "/cop resource pick 2")
    assert "stays in the library" in await bot.say("alice", "/cop resource remove 2")
    assert count(bot, "resource") == 1


async def test_forget_me_removes_unpicked_suggestions_votes_and_the_name_on_picks(
    bot: Harness, titles: FakeTitles
) -> None:
    await month(bot)
    await suggest_three(bot)
    await bot.say("bob", '/cop resource suggest https://example.org/b2 title="Bob two"')
    await bot.advance("16d")
    await bot.press("bob", "resource vote 2")
    await bot.say("alice", "/cop resource pick 1")
    out = await bot.say("bob", "/cop forget-me")
    assert "1 resource suggestion that was" in out and "1 picked resource (kept" in out
    assert "resource votes (1)" in out
    assert count(bot, "resource_vote") == 0
    shown = await bot.say("carol", "/cop resource show 1")
    assert "Rate cards explained" in shown and "bob" not in shown


async def test_user_text_is_data_on_every_platform(bot: Harness, titles: FakeTitles) -> None:
    await month(bot)
    await bot.say(
        "bob",
        "/cop resource suggest https://example.org/x "
        'title="<!channel> [click](https://evil.example)" why="@everyone *now*"',
    )
    await bot.say("alice", "/cop resource pick 1")
    posts = [m for m in bot.chat.sent if isinstance(m, ChannelPost)]
    announce = posts[-1]
    assert announce.mentions == ()
    try:
        from adapters.slack.render import reply_messages
    except ImportError:  # pragma: no cover - the Slack adapter is built alongside
        return
    mrkdwn: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                mrkdwn.append(str(node.get("text")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk([m.as_args() for m in reply_messages(announce.reply)])
    assert mrkdwn and not any("<!channel>" in t for t in mrkdwn)
    assert not any(isinstance(m, DirectMessage) for m in bot.chat.sent)


# ---------------------------------------------------------------- the console


def test_a_month_of_resources_through_the_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COPBOT_TITLE_LOOKUP": "off"}
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "DATABASE_URL"):
        env.pop(name, None)
    script = (ROOT / "tests" / "scripts" / "resources.txt").read_text()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            str(tmp_path / "r.db"),
            "--start",
            "2027-01-04T09:00:00+00:00",
        ],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert (
        "[only carol] Rate cards explained (https://example.org/rate-cards) is already here" in out
    )
    assert "[only carol] Thanks! Added as resource #2: example.org/evaluation-primer" in out
    assert "[only dave] data:text/html,hello is not a web page I can share" in out
    assert "[#general] 🗳 The vote for the resource of the month for Knowledge café" in out
    assert "[only bob] You already voted for #1" in out
    assert "[#general] • Rate cards explained (https://example.org/rate-cards): 2 votes" in out
    assert "[#general] │ Suggested by: bob" in out
    assert "[only erin] The vote closed" in out
    assert "[only alice] 📚 Read before we meet: Rate cards explained" in out
    assert "[#general] How useful was this month's resource?" in out
    assert "★ 4.5 (2 ratings)" in out
    assert "📎 resource-library.md" in out and "📎 resource-library.csv" in out


async def test_overlapping_votes_never_pick_one_resource_for_two_meetings(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    await bot.say("alice", MEETING)
    await bot.say("alice", '/cop meeting schedule when="2027-02-09 18:00" title="Second café"')
    await suggest_three(bot)
    await bot.advance("23d")  # both ballots open
    assert "You voted for #1" in await bot.press("bob", "resource vote 1")
    await bot.advance("4d")  # the first closes and picks #1
    assert "already picked" in await bot.press("carol", "resource vote 1")
    await bot.press("carol", "resource vote 2")
    bot.chat.clear()
    await bot.advance("7d")  # the second closes
    assert "Resource of the month for Second café" in channel(bot)
    with bot.engine.connect() as conn:
        picks = conn.execute(
            text("SELECT id, picked_meeting_id FROM resource WHERE picked_meeting_id IS NOT NULL")
        ).all()
    assert sorted(tuple(p) for p in picks) == [(1, 1), (2, 2)]


async def test_the_demo_part_suggests_votes_and_discusses_a_resource() -> None:
    from adapters.demo import run_demo
    from adapters.demo_parts import resources

    lines: list[str] = []
    setup = 'alice: /cop setup name="North" timezone=Europe/London'
    assert await run_demo(lines.append, [setup, *resources.LINES]) == 0
    out = "\n".join(lines)
    assert "is already here as resource #1" in out
    assert "The vote for the resource of the month for Resource café" in out
    assert "Resource of the month for Resource café" in out
    assert "📚 Read before we meet: Rate cards explained" in out
    assert "How useful was this month's resource?" in out
    assert "★ 4.5 (2 ratings)" in out


async def test_the_vote_window_follows_the_community_settings(
    bot: Harness, titles: FakeTitles
) -> None:
    await bot.setup()
    out = await bot.say("alice", "/cop setup resource_vote_opens=7d resource_vote_closes=1d")
    assert "resource_vote_opens: 1w" in out and "resource_vote_closes: 1d" in out
    assert "not a valid" in await bot.say("alice", "/cop setup resource_pick=lottery")
    await bot.say("alice", MEETING)
    await bot.say("bob", '/cop resource suggest https://example.org/a title="A"')
    bot.chat.clear()
    await bot.advance("22d")  # Tue 26 Jan 09:00: the default 14d would have opened it
    assert "[Vote" not in channel(bot)
    await bot.advance("1d")  # past Tue 26 Jan 18:00, 7 days before
    assert "[Vote #1 A]" in channel(bot)
    await bot.advance("5d")  # Mon 1 Feb 09:00: still open until 18:00
    assert "You voted for #1" in await bot.press("bob", "resource vote 1")
    await bot.advance("10h")
    assert "The vote closed" in await bot.press("carol", "resource vote 1")
