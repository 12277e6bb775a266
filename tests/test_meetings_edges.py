"""Meetings at their edges: other communities' ids, past meetings, odd options, notes later."""

from __future__ import annotations

import pytest

from bot.features.meetings import api
from bot.features.meetings.recurrence import RecurrenceError, rule_for
from bot.registry import REGISTRY
from bot.replies import Place
from tests.fakes import Harness

SCHEDULE = '/cop meeting schedule when="next Tuesday 14:00" title="Knowledge club"'
SERIES = '/cop meeting schedule when="2027-01-12 14:00" title="Club" every=month'
OTHER = Place("test", "W2", "C9")


async def members(bot: Harness, *names: str) -> None:
    for name in names:
        await bot.say(name, "/cop profile level=new")


async def test_meeting_show_includes_the_notes_once_written(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    assert "Notes" not in await bot.say("bob", "/cop meeting show 1")
    await bot.advance("2d")
    await bot.say("alice", '/cop meeting notes 1 "We agreed a **template** for rate cards"')
    shown = await bot.say("bob", "/cop meeting show 1")
    assert "Notes: We agreed a **template** for rate cards" in shown


async def test_a_card_offers_rsvp_buttons_only_until_the_meeting_ends(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    await bot.say("bob", "/cop meeting show 1")
    assert bot.last and bot.last.reply.card and bot.last.reply.card.buttons
    await bot.advance("2d")
    await bot.say("bob", "/cop meeting show 1")
    assert bot.last and bot.last.reply.card and not bot.last.reply.card.buttons
    # The announcement in the channel was edited when the meeting ended: no buttons either.
    assert "[Yes, I'll come]" not in bot.chat.current()[0]


async def test_members_who_said_maybe_get_the_notes_unless_recorded_as_attending(
    bot: Harness,
) -> None:
    await bot.setup()
    await members(bot, "bob", "carol", "dan")
    await bot.say("alice", SCHEDULE)
    await bot.press("bob", "meeting rsvp 1 maybe")
    await bot.press("carol", "meeting rsvp 1 maybe")
    await bot.advance("2d")
    await bot.say("alice", "/cop meeting attended 1 @carol")
    bot.chat.clear()
    await bot.say("alice", '/cop meeting notes 1 "Summary"')
    assert any("Summary" in t for t in bot.chat.dms("bob"))
    assert any("Summary" in t for t in bot.chat.dms("dan"))
    assert not bot.chat.dms("carol")


@pytest.mark.parametrize(
    "line",
    [
        "/cop meeting show 1",
        "/cop meeting rsvp 1 yes",
        "/cop meeting agenda 1",
        '/cop meeting agenda 1 add "Sneaky"',
        "/cop meeting ics 1",
        "/cop meeting cancel 1",
        '/cop meeting move 1 when="2027-02-01 10:00"',
        '/cop meeting notes 1 "Theirs"',
        "/cop meeting attended 1",
        "/cop host confirm 1",
    ],
)
async def test_another_communitys_meeting_is_refused_as_unknown(bot: Harness, line: str) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE + ' where="https://meet.example/secret"')
    out = await bot.run("zed", 'setup name="South" timezone=Europe/London', place=OTHER)
    assert out.ok
    text = await bot.say("zed", line, place=OTHER)
    assert bot.last and not bot.last.ok
    assert "There is no meeting #1 in this community" in text
    assert "secret" not in text
    with bot.app.core.uow_factory() as uow:
        assert api.rsvps(uow, 1) == {}
        meeting = api.get_meeting(uow, 1, 1)
        assert meeting is not None and meeting.status == "scheduled"


async def test_the_notes_event_carries_the_notes_text(bot: Harness) -> None:
    seen: list[dict[str, object]] = []

    async def listen(scope: object, payload: dict[str, object]) -> None:
        seen.append(dict(payload))

    REGISTRY.listeners.setdefault("meeting.notes", []).append(listen)
    try:
        await bot.setup()
        await bot.say("alice", SCHEDULE)
        await bot.advance("2d")
        await bot.say("alice", '/cop meeting notes 1 "Discussed: Q1"')
    finally:
        REGISTRY.listeners["meeting.notes"].remove(listen)
    assert seen == [{"meeting_id": 1, "notes": "Discussed: Q1"}]


async def test_a_preset_host_of_a_series_hosts_the_first_and_it_counts_as_their_turn(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("carol", "/cop host volunteer")
    await bot.say("alice", SERIES + " host=@bob")
    assert "Host: bob (not confirmed yet)" in await bot.say("alice", "/cop meeting show 1")
    assert any("You're next to host Club on Tue 12 Jan" in t for t in bot.chat.dms("bob"))
    await bot.advance("30d")  # the second meeting's host is asked 14 days ahead
    assert "Host: carol (not confirmed yet)" in await bot.say("alice", "/cop meeting show 2")


@pytest.mark.parametrize(
    "every",
    [
        "FREQ=WEEKLY;INTERVAL=0",  # never advances: every occurrence on one day
        "FREQ=WEEKLY;INTERVAL=-1",
        "FREQ=DAILY;BYHOUR=1,2,3",  # changes the time when= gave
        "FREQ=MONTHLY;BYMINUTE=5",
        "FREQ=HOURLY",
        "FREQ=WEEKLY;FREQ=DAILY",
        "FREQ=WEEKLY;X-NAME=1",
        "FREQ=WEEKLY;",
    ],
)
def test_raw_rules_that_change_the_time_or_never_advance_are_refused(every: str) -> None:
    with pytest.raises(RecurrenceError):
        rule_for(every)


@pytest.mark.parametrize(
    "every", ["FREQ=WEEKLY;INTERVAL=-1", "FREQ=WEEKLY;INTERVAL=0", "FREQ=WEEKLY;BYHOUR=9"]
)
async def test_a_bad_every_is_refused_with_examples_and_schedules_nothing(
    bot: Harness, every: str
) -> None:
    await bot.setup()
    text = await bot.say("alice", f'{SERIES.removesuffix(" every=month")} every="{every}"')
    assert bot.last and not bot.last.ok and bot.last.field == "every"
    assert 'every="first tuesday"' in text
    assert "No meetings scheduled" in await bot.say("alice", "/cop meeting list")


@pytest.mark.parametrize("duration", ["0m", "1m", "13h", "2w"])
async def test_durations_outside_5_minutes_to_12_hours_are_refused(
    bot: Harness, duration: str
) -> None:
    await bot.setup()
    text = await bot.say("alice", f"{SCHEDULE} duration={duration}")
    assert bot.last and not bot.last.ok and bot.last.field == "duration"
    assert "between 5 minutes and 12 hours" in text


async def test_the_default_meeting_duration_setting_is_bounded_too(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", "/cop setup meeting_duration=24h")
    assert bot.last and not bot.last.ok
    await bot.say("alice", "/cop setup meeting_duration=90m")
    assert bot.last and bot.last.ok
    await bot.say("alice", SCHEDULE)
    assert "Duration: 90m" in await bot.say("alice", "/cop meeting show 1")


async def test_a_past_meeting_cannot_be_moved_or_cancelled(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    await bot.advance("2d")
    assert "already started" in await bot.say("alice", '/cop meeting move 1 when="3 Dec 2pm"')
    assert "already started" in await bot.say("alice", "/cop meeting cancel 1")
    assert "is cancelled" not in await bot.say("alice", "/cop meeting show 1")


async def test_a_past_occurrence_can_end_the_rest_of_its_series(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SERIES)
    await bot.advance("9d")  # meeting 1 is over; 2..7 (to July) are ahead
    text = await bot.say("alice", "/cop meeting cancel 1 series=yes")
    assert "from Fri 12 Feb 2027, 14:00 GMT on" in text and "(meetings cancelled: 6)" in text
    assert "No meetings scheduled" in await bot.say("alice", "/cop meeting list")
    assert "is cancelled" not in await bot.say("alice", "/cop meeting show 1")
    assert "already cancelled" in await bot.say("alice", "/cop meeting cancel 1 series=yes")
    with bot.app.core.uow_factory() as uow:
        assert not uow.jobs.pending("meeting:2:") and not uow.jobs.pending("series:1:")


async def test_no_calendar_file_for_a_cancelled_meeting(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    await bot.say("alice", SERIES)
    await bot.say("alice", "/cop meeting cancel 1")
    await bot.say("alice", "/cop meeting cancel 2 series=yes")
    for line in ("/cop meeting ics 1", "/cop meeting ics 2", "/cop meeting ics 3 series=no"):
        text = await bot.say("bob", line)
        assert bot.last and not bot.last.ok and not bot.last.reply.attachments
        assert "is cancelled, so there is nothing to add to a calendar" in text


async def test_a_cancelled_occurrence_of_a_live_series_still_exports_the_series(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", SERIES)
    await bot.say("alice", "/cop meeting cancel 2")
    out = await bot.run("bob", "meeting ics 2")
    assert out.ok and b"RRULE:FREQ=MONTHLY" in out.reply.attachments[0].content


async def test_the_announcement_card_follows_rsvps_moves_hosts_and_cancellation(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("alice", SCHEDULE)
    await bot.press("carol", "meeting rsvp 1 yes")
    assert "1 yes" in bot.chat.current()[0]
    await bot.press("bob", "host confirm 1")
    assert "Host: bob" in bot.chat.current()[0]
    assert "not confirmed" not in bot.chat.current()[0]
    await bot.say("alice", '/cop meeting move 1 when="2027-01-06 16:00"')
    assert "Wed 6 Jan 2027, 16:00 GMT" in bot.chat.current()[0]
    await bot.say("alice", "/cop meeting cancel 1")
    card = bot.chat.current()[0]
    assert "This meeting is cancelled." in card and "[Yes, I'll come]" not in card


async def test_changing_the_reminder_offsets_replans_meetings_already_scheduled(
    bot: Harness,
) -> None:
    await bot.setup()
    await members(bot, "bob")
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.say("alice", "/cop setup reminders=off")
    await bot.advance("10d")  # past the old 7-day reminder
    assert not [t for t in bot.chat.channel() if t.startswith("Reminder:")]
    await bot.say("alice", "/cop setup reminders=7d,1h")  # 7d is past now: only 1h is left
    await bot.advance("7d")
    reminders = [t for t in bot.chat.channel() if t.startswith("Reminder:")]
    assert len(reminders) == 1 and len([t for t in bot.chat.dms("bob") if "Reminder" in t]) == 1
    with bot.app.core.uow_factory() as uow:
        assert not uow.jobs.pending("meeting:1:reminder")


async def test_a_shorter_host_notice_moves_a_host_request_not_yet_sent(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-03-01 14:00" title="Club"')
    await bot.say("alice", "/cop setup host_notice=3d")
    await bot.advance("50d")  # 2027-02-23: the old 14-day notice has passed
    assert not any("You're next to host" in t for t in bot.chat.dms("bob"))
    await bot.advance("3d")  # 2027-02-26 09:00, five hours before the new notice
    assert not any("You're next to host" in t for t in bot.chat.dms("bob"))
    await bot.advance("6h")
    assert any("You're next to host" in t for t in bot.chat.dms("bob"))
