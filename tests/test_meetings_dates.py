"""Reading dates in a community's timezone, recurrence rules, and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.features.meetings import api
from bot.features.meetings.recurrence import RecurrenceError, expand, first_local, rule_for
from bot.features.meetings.when import WhenError, parse_when
from tests.fakes import Harness

LONDON = "Europe/London"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # Monday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("tomorrow 10:00", utc(2027, 1, 5, 10)),
        ("next Tuesday 14:00", utc(2027, 1, 5, 14)),
        ("next tuesday 14:30", utc(2027, 1, 5, 14, 30)),
        ("Monday 8am", utc(2027, 1, 11, 8)),  # "Monday" on a Monday is next week's
        ("3 Dec 2pm", utc(2027, 12, 3, 14)),
        ("Dec 3 at 2pm", utc(2027, 12, 3, 14)),
        ("3 Jan 10:00", utc(2028, 1, 3, 10)),  # already past this year: next year's
        ("2027-01-12 14:00", utc(2027, 1, 12, 14)),
        ("2027-01-12T14:00", utc(2027, 1, 12, 14)),
        ("2027-06-12T14:00", utc(2027, 6, 12, 13)),  # 14:00 BST
        ("2027-06-12T14:00+02:00", utc(2027, 6, 12, 12)),  # an explicit offset wins
        ("12/01/2027 14:00", utc(2027, 1, 12, 14)),  # day first
        ("today noon", utc(2027, 1, 4, 12)),
        ("in 3 days 10:00", utc(2027, 1, 7, 10)),
        ("Fri 13 Aug 18.30", utc(2027, 8, 13, 17, 30)),
    ],
)
def test_common_phrases_are_read_in_the_community_timezone(phrase: str, expected: datetime) -> None:
    assert parse_when(phrase, LONDON, NOW) == expected


def test_the_same_phrase_means_a_different_instant_in_another_timezone() -> None:
    assert parse_when("tomorrow 10:00", "America/New_York", NOW) == utc(2027, 1, 5, 15)


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("next tuesday", "no_time"),
        ("2027-01-12", "no_time"),
        ("whenever 14:00", "unknown"),
        ("tomorrow 25:00", "unknown"),
        ("tomorrow 13pm", "unknown"),
    ],
)
def test_unreadable_phrases_are_refused(phrase: str, reason: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_when(phrase, LONDON, NOW)
    assert err.value.reason == reason


@given(st.text(max_size=40))
def test_any_text_is_either_read_or_refused_cleanly(text: str) -> None:
    try:
        parse_when(text, LONDON, NOW)
    except WhenError:
        pass


def test_a_time_skipped_by_the_spring_change_moves_forward() -> None:
    # 01:30 on 28 March 2027 does not exist in London.
    assert parse_when("2027-03-28 01:30", LONDON, NOW) == utc(2027, 3, 28, 1, 30)


@pytest.mark.parametrize(
    ("every", "rule"),
    [
        ("month", "FREQ=MONTHLY"),
        ("quarter", "FREQ=MONTHLY;INTERVAL=3"),
        ("week", "FREQ=WEEKLY"),
        ("fortnightly", "FREQ=WEEKLY;INTERVAL=2"),
        ("first tuesday", "FREQ=MONTHLY;BYDAY=+1TU"),
        ("last Friday of the month", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("every thursday", "FREQ=WEEKLY;BYDAY=TH"),
        ("FREQ=MONTHLY;BYDAY=2WE", "FREQ=MONTHLY;BYDAY=2WE"),
    ],
)
def test_every_phrases_become_recurrence_rules(every: str, rule: str) -> None:
    assert rule_for(every) == rule


@pytest.mark.parametrize("every", ["sometimes", "FREQ=MINUTELY", "FREQ=NONSENSE"])
def test_unknown_every_phrases_are_refused(every: str) -> None:
    with pytest.raises(RecurrenceError):
        rule_for(every)


def test_first_tuesday_starts_on_the_first_matching_day() -> None:
    assert first_local("FREQ=MONTHLY;BYDAY=+1TU", datetime(2027, 1, 12, 14)) == datetime(
        2027, 2, 2, 14
    )


def test_a_monthly_london_meeting_stays_at_14_00_across_both_dst_switches() -> None:
    found = expand(
        "FREQ=MONTHLY",
        datetime(2027, 2, 10, 14),
        LONDON,
        utc(2027, 1, 1),
        utc(2027, 12, 31),
    )
    zone = ZoneInfo(LONDON)
    assert {at.astimezone(zone).hour for _, at in found} == {14}
    by_month = {at.month: at.hour for _, at in found}
    assert by_month[3] == 14 and by_month[4] == 13  # March 28: clocks go forward
    assert by_month[10] == 13 and by_month[11] == 14  # October 31: clocks go back


def test_a_weekly_meeting_keeps_its_local_time_the_week_of_each_switch() -> None:
    found = [
        at
        for _, at in expand(
            "FREQ=WEEKLY", datetime(2027, 3, 22, 18), LONDON, utc(2027, 3, 1), utc(2027, 11, 10)
        )
    ]
    assert found[0] == utc(2027, 3, 22, 18) and found[1] == utc(2027, 3, 29, 17)
    late_october = [at for at in found if at.month in (10, 11) and at.day in (25, 1)]
    assert late_october == [utc(2027, 10, 25, 17), utc(2027, 11, 1, 18)]


async def test_a_scheduled_monthly_series_stays_at_local_14_00_through_the_year(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await bot.setup()
    text = await bot.say(
        "alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club" every=month'
    )
    assert "every month, first on Tue 12 Jan 2027, 14:00 GMT" in text
    await bot.advance("40w")  # the series is extended as time passes
    listed = await bot.say("bob", "/cop meeting list")
    assert "14:00 GMT" in listed
    with bot.app.core.uow_factory() as uow:
        starts = [m.starts_at for i in range(1, 20) if (m := api.get_meeting(uow, 1, i))]
    hours = {(s.month, s.year): s.hour for s in starts}
    assert hours[(3, 2027)] == 14 and hours[(4, 2027)] == 13
    assert hours[(10, 2027)] == 13 and hours[(11, 2027)] == 14
    assert {s.astimezone(ZoneInfo(LONDON)).hour for s in starts} == {14}
    assert len(starts) == len(set(starts))  # extending never duplicates an occurrence


async def test_a_one_day_reminder_keeps_the_wall_clock_time_across_the_switch(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", "/cop setup reminders=1d")
    # Monday 29 March 2027, 14:00 BST; the clocks went forward on Sunday 28 March.
    await bot.say("alice", '/cop meeting schedule when="2027-03-29 14:00" title="Club"')
    with bot.app.core.uow_factory() as uow:
        [job] = uow.jobs.pending("meeting:1:reminder:")
    assert job.due_at == utc(2027, 3, 28, 13)  # Sunday 14:00 BST
