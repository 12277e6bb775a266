"""Meetings through the core, as members and facilitators use them (console rendering)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from bot.features.meetings import api
from bot.registry import REGISTRY
from bot.replies import ChannelPost, DirectMessage
from bot.text import Msg
from tests.fakes import Harness

SCHEDULE = '/cop meeting schedule when="next Tuesday 14:00" title="Knowledge club"'


async def members(bot: Harness, *names: str) -> None:
    for name in names:
        await bot.say(name, "/cop profile level=new")


async def test_schedule_echoes_the_understood_date_and_announces_with_rsvp_buttons(
    any_bot: Harness,
) -> None:
    bot = any_bot
    await bot.setup()
    text = await bot.say("alice", SCHEDULE + ' where="https://meet.example/k"')
    assert "Scheduled meeting #1 Knowledge club for Tue 5 Jan 2027, 14:00 GMT" in text
    assert bot.last and bot.last.reply.private
    [post] = [m for m in bot.chat.sent if isinstance(m, ChannelPost)]
    assert post.reply.card is not None
    assert [b.command for b in post.reply.card.buttons] == [
        "meeting rsvp 1 yes",
        "meeting rsvp 1 maybe",
        "meeting rsvp 1 no",
    ]
    assert "https://meet.example/k" in bot.chat.channel()[0]


@pytest.mark.parametrize(
    ("phrase", "shown"),
    [
        ("tomorrow 10:00", "Tue 5 Jan 2027, 10:00 GMT"),
        ("3 Dec 2pm", "Fri 3 Dec 2027, 14:00 GMT"),
        ("next Tuesday 14:30", "Tue 5 Jan 2027, 14:30 GMT"),
        ("2027-01-12 14:00", "Tue 12 Jan 2027, 14:00 GMT"),
        ("2027-06-12T14:00", "Sat 12 Jun 2027, 14:00 BST"),
    ],
)
async def test_when_phrases_are_read_in_the_community_timezone(
    bot: Harness, phrase: str, shown: str
) -> None:
    await bot.setup()
    text = await bot.say("alice", f'/cop meeting schedule when="{phrase}" title=T')
    assert shown in text


@pytest.mark.parametrize("phrase", ["yesterday 10:00", "2026-12-01 10:00", "someday soon"])
async def test_past_or_unreadable_dates_are_refused_with_an_example(
    bot: Harness, phrase: str
) -> None:
    await bot.setup()
    text = await bot.say("alice", f'/cop meeting schedule when="{phrase}" title=T')
    assert bot.last and not bot.last.ok and bot.last.field == "when"
    assert "next Tuesday 14:00" in text
    assert "No meetings scheduled" in await bot.say("alice", "/cop meeting list")


async def test_only_facilitators_schedule_move_and_cancel(bot: Harness) -> None:
    await bot.setup()
    assert "Only facilitators" in await bot.say("bob", SCHEDULE)
    await bot.say("alice", SCHEDULE)
    assert "Only facilitators" in await bot.say("bob", '/cop meeting move 1 when="3 Dec 2pm"')
    assert "Only facilitators" in await bot.say("bob", "/cop meeting cancel 1")


async def test_schedule_spec_declares_a_form_for_slack_and_discord_modals(bot: Harness) -> None:
    spec = REGISTRY.get("meeting schedule")
    assert spec is not None
    assert spec.form == ("when", "title", "every", "duration", "where")
    await bot.setup()
    out = await bot.run("alice", "meeting schedule", supports_forms=True)
    assert out.reply.form is not None and out.reply.form.command == "meeting schedule"


async def test_rsvps_by_button_are_counted_and_named_outside_chatham(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    assert "you're down as coming" in await bot.press("bob", "meeting rsvp 1 yes")
    assert "can't come" in await bot.press("carol", "meeting rsvp 1 no")
    await bot.press("dan", "meeting rsvp 1 maybe")
    await bot.press("dan", "meeting rsvp 1 yes")  # changing one's mind replaces the answer
    shown = await bot.say("alice", "/cop meeting show 1")
    assert "yes (2): bob, dan" in shown and "no (1): carol" in shown
    with bot.app.core.uow_factory() as uow:
        answers = api.rsvps(uow, 1)
        bob = uow.members.get(1, "bob")
        assert bob is not None and answers[bob.id] == "yes"
        assert sorted(answers.values()) == ["no", "yes", "yes"]


async def test_chatham_house_meetings_show_counts_never_names(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE + " chatham=yes")
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.press("carol", "meeting rsvp 1 maybe")
    await bot.say("bob", '/cop meeting agenda 1 add "Frank talk"')
    bot.chat.clear()
    await bot.advance("1d")  # the 1d reminder fires in the channel
    shown = "\n".join(bot.chat.channel()) + await bot.say("dan", "/cop meeting show 1")
    assert "1 yes · 1 maybe · 0 no" in shown
    assert "bob" not in shown and "carol" not in shown
    assert "Chatham House" in shown
    await bot.advance("6h")
    text = await bot.say("alice", '/cop meeting notes 1 "We agreed to share templates"')
    assert "never who said it" in text
    assert all("bob" not in t and "carol" not in t for t in bot.chat.channel())


async def test_reminders_fire_in_channel_and_by_dm_to_yes_and_maybe(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.press("carol", "meeting rsvp 1 maybe")
    await bot.press("dan", "meeting rsvp 1 no")
    bot.chat.clear()
    await bot.advance("10d")  # past the 7d reminder (Jan 13 14:00)
    assert len([t for t in bot.chat.channel() if t.startswith("Reminder: Club")]) == 1
    assert bot.chat.dms("bob") and bot.chat.dms("carol") and not bot.chat.dms("dan")
    bot.chat.clear()
    await bot.advance("6d")  # past the 1d reminder (Jan 19 14:00)
    assert len([t for t in bot.chat.channel() if t.startswith("Reminder: Club")]) == 1
    bot.chat.clear()
    await bot.advance("10d")
    assert not [t for t in bot.chat.channel() if t.startswith("Reminder")]


async def test_reminder_offsets_follow_the_community_setting(bot: Harness) -> None:
    await bot.setup()
    text = await bot.say("alice", "/cop setup reminders=1h,7d,1d")
    assert "reminders: 7d,1d,1h" in text
    assert "not a valid" in await bot.say("alice", "/cop setup reminders=soon")
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    fired = []
    for step in ("10d", "125h", "23h", "1h"):
        bot.chat.clear()
        await bot.advance(step)
        fired.append(len([t for t in bot.chat.channel() if t.startswith("Reminder")]))
    assert fired == [1, 1, 1, 0]


async def test_moving_a_meeting_reschedules_its_reminders_and_tells_those_coming(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    await bot.press("bob", "meeting rsvp 1 yes")
    text = await bot.say("alice", '/cop meeting move 1 when="2027-02-10 14:00"')
    assert "Wed 10 Feb 2027, 14:00 GMT" in text
    assert any("has moved" in t for t in bot.chat.dms("bob"))
    bot.chat.clear()
    await bot.advance("20d")  # past the old meeting and its reminders
    assert not [t for t in bot.chat.channel() if t.startswith("Reminder")]
    await bot.advance("17d")  # Feb 3 and Feb 9 reminders
    assert len([t for t in bot.chat.channel() if t.startswith("Reminder")]) == 2


async def test_cancelling_one_occurrence_or_the_series_cancels_their_reminders(
    bot: Harness,
) -> None:
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club" every=month')
    await bot.press("bob", "meeting rsvp 2 yes")
    text = await bot.say("alice", "/cop meeting cancel 2")
    assert "Cancelled meeting #2" in text
    assert any("is cancelled" in t for t in bot.chat.dms("bob"))
    listed = await bot.say("bob", "/cop meeting list")
    assert "#1 " in listed and "#2 " not in listed and "#3 " in listed
    text = await bot.say("alice", "/cop meeting cancel 3 series=yes")
    assert "Cancelled Club from" in text
    listed = await bot.say("bob", "/cop meeting list")
    assert "#1 " in listed and "#3 " not in listed and "#4 " not in listed
    bot.chat.clear()
    await bot.advance("30w")
    reminders = [t for t in bot.chat.channel() if t.startswith("Reminder")]
    assert len(reminders) == 2  # only meeting #1's 7d and 1d reminders
    with bot.app.core.uow_factory() as uow:
        assert uow.jobs.pending("meeting:") == []
        assert uow.jobs.pending("series:") == []


async def test_agenda_lists_items_in_order_with_feature_slots(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)

    def slot(uow: object, community: object, meeting_id: int) -> list[Msg]:
        return [Msg.plain(f"Resource of the month for #{meeting_id}")]

    REGISTRY.agenda_slots["test-slot"] = slot
    try:
        await bot.say("bob", '/cop meeting agenda 1 add "Outcome payments"')
        text = await bot.say("carol", '/cop meeting agenda 1 add "SPV governance"')
        assert "item 2" in text
        agenda = await bot.say("dan", "/cop meeting agenda 1")
        lines = agenda.splitlines()
        assert lines[1].startswith("1. Outcome payments") and "bob" in lines[1]
        assert lines[2].startswith("2. SPV governance")
        assert lines[3] == "Resource of the month for #1"
        assert "Only the member" in await bot.say("dan", "/cop meeting agenda 1 remove 1")
        assert "Removed item 1" in await bot.say("bob", "/cop meeting agenda 1 remove 1")
        assert "Usage" in await bot.say("bob", "/cop meeting agenda 1 add")
    finally:
        del REGISTRY.agenda_slots["test-slot"]


async def test_notes_go_to_the_channel_and_by_dm_to_absentees_only(any_bot: Harness) -> None:
    bot = any_bot
    await bot.setup()
    await members(bot, "bob", "carol", "dan", "erin")
    await bot.say("alice", SCHEDULE)
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.press("carol", "meeting rsvp 1 no")
    await bot.press("dan", "meeting rsvp 1 maybe")
    # erin never answered
    assert "not started yet" in await bot.say("alice", '/cop meeting notes 1 "Too soon"')
    await bot.advance("2d")
    assert "Only the host" in await bot.say("bob", '/cop meeting notes 1 "Mine"')
    bot.chat.clear()
    text = await bot.say("alice", '/cop meeting notes 1 "We compared outcome frameworks"')
    assert "(3)" in text
    assert any("We compared outcome frameworks" in t for t in bot.chat.channel())
    for absent in ("carol", "dan", "erin"):
        assert any("We compared outcome frameworks" in t for t in bot.chat.dms(absent)), absent
    assert not bot.chat.dms("bob") and not bot.chat.dms("alice")
    assert "DMs were not sent again" in await bot.say("alice", '/cop meeting notes 1 "Again"')
    with bot.app.core.uow_factory() as uow:
        bob = uow.members.get(1, "bob")
        assert bob is not None and api.attendees(uow, 1) == [bob.id]


async def test_the_host_corrects_attendance(bot: Harness) -> None:
    await bot.setup()
    await members(bot, "bob", "dan")
    await bot.say("alice", SCHEDULE + " host=@bob")
    await bot.press("carol", "meeting rsvp 1 yes")
    await bot.advance("2d")
    assert "Only the host" in await bot.say("carol", "/cop meeting attended 1 @carol")
    text = await bot.say("bob", "/cop meeting attended 1 @bob @dan")
    assert "Recorded 2 attendees" in text
    bot.chat.clear()
    await bot.say("bob", '/cop meeting notes 1 "Summary"')
    assert bot.chat.dms("carol") and not bot.chat.dms("dan")


async def test_events_are_emitted_for_other_features(bot: Harness) -> None:
    seen: list[tuple[str, dict[str, object]]] = []

    def listen(name: str):  # type: ignore[no-untyped-def]
        async def handler(scope: object, payload: dict[str, object]) -> None:
            seen.append((name, dict(payload)))

        return handler

    names = (
        "meeting.scheduled",
        "meeting.moved",
        "meeting.cancelled",
        "meeting.host_confirmed",
        "meeting.notes",
    )
    handlers = {n: listen(n) for n in names}
    for n, h in handlers.items():
        REGISTRY.listeners.setdefault(n, []).append(h)
    try:
        await bot.setup()
        await members(bot, "bob")
        await bot.say("alice", SCHEDULE + " host=@bob")
        await bot.say("alice", '/cop meeting schedule when="2027-02-01 10:00" title=Other')
        await bot.say("alice", '/cop meeting move 2 when="2027-02-02 10:00"')
        await bot.say("alice", "/cop meeting cancel 2")
        await bot.press("bob", "host confirm 1")
        await bot.advance("2d")
        await bot.say("bob", '/cop meeting notes 1 "Done"')
    finally:
        for n, h in handlers.items():
            REGISTRY.listeners[n].remove(h)
    bob_id = next(p["member_id"] for n, p in seen if n == "meeting.host_confirmed")
    assert [(n, p["meeting_id"]) for n, p in seen] == [
        ("meeting.scheduled", 1),
        ("meeting.scheduled", 2),
        ("meeting.moved", 2),
        ("meeting.cancelled", 2),
        ("meeting.host_confirmed", 1),
        ("meeting.notes", 1),
    ]
    assert isinstance(bob_id, int)


async def test_api_reports_upcoming_and_next_meetings(any_bot: Harness) -> None:
    bot = any_bot
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club" every=month')
    await bot.say("alice", '/cop meeting schedule when="2027-01-06 09:00" title="Breakfast"')
    with bot.app.core.uow_factory() as uow:
        upcoming = api.upcoming_meetings(uow, 1, bot.clock.now(), limit=3)
        assert [m.title for m in upcoming] == ["Breakfast", "Club", "Club"]
        nxt = api.next_meeting(uow, 1, bot.clock.now())
        assert nxt is not None and nxt.title == "Breakfast" and nxt.series_id is None
        info = api.get_meeting(uow, 1, 1)
        assert info is not None and info.series_id is not None and info.status == "scheduled"
        assert info.starts_at == datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
        assert api.get_meeting(uow, 99, 1) is None


async def test_host_rotation_is_fair_and_skips_members_who_are_away(bot: Harness) -> None:
    await bot.setup()
    for name in ("bob", "carol", "dan"):
        assert "host rota" in await bot.say(name, "/cop host volunteer")
    await bot.say("carol", "/cop host away until=2027-03-20")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club" every=month')
    await bot.advance("26w")
    hosts: list[str | None] = []
    with bot.app.core.uow_factory() as uow:
        for info in sorted(
            (m for i in range(1, 9) if (m := api.get_meeting(uow, 1, i))),
            key=lambda m: m.starts_at,
        ):
            member = uow.members.by_id(info.host_member_id) if info.host_member_id else None
            hosts.append(member.display_name if member else None)
    # Jan, Feb, Mar: carol is away; from April she takes her turn.
    assert hosts[:6] == ["bob", "dan", "bob", "carol", "dan", "bob"]
    assert any("You're next to host" in t for t in bot.chat.dms("carol"))


async def test_hosts_are_asked_ahead_and_can_confirm_or_pass(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("carol", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-03-02 14:00" title="Club"')
    await bot.advance("41d")
    assert not bot.chat.dms("bob")
    await bot.advance("3d")  # 14 days before: Feb 16
    [asked] = [m for m in bot.chat.sent if isinstance(m, DirectMessage) and m.user_id == "bob"]
    assert asked.reply.card is not None
    assert [b.command for b in asked.reply.card.buttons] == ["host confirm 1", "host pass 1"]
    assert "not the host" in await bot.press("carol", "host confirm 1")
    assert "next person" in await bot.press("bob", "host pass 1")
    assert any("You're next to host" in t for t in bot.chat.dms("carol"))
    assert "Thank you" in await bot.press("carol", "host confirm 1")
    assert any("carol will host Club" in t for t in bot.chat.channel())
    assert "carol" in await bot.say("dan", "/cop meeting show 1")


async def test_ics_export_of_a_series_has_its_rrule_and_a_vtimezone(bot: Harness) -> None:
    await bot.setup()
    await bot.say(
        "alice",
        '/cop meeting schedule when="2027-01-12 14:00" title="Club" every="first tuesday"',
    )
    await bot.say("alice", "/cop meeting cancel 2")
    await bot.say("alice", '/cop meeting move 3 when="2027-04-07 15:00"')
    out = await bot.run("bob", "meeting ics 1")
    [attachment] = out.reply.attachments
    assert attachment.mime == "text/calendar" and attachment.filename.endswith(".ics")
    cal = Calendar.from_ical(attachment.content)
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/London"
    event, moved = cal.walk("VEVENT")
    assert str(moved["UID"]) == str(event["UID"])  # an override of one occurrence
    assert moved.decoded("RECURRENCE-ID").replace(tzinfo=None) == datetime(2027, 4, 6, 14)
    assert moved.decoded("DTSTART").replace(tzinfo=None) == datetime(2027, 4, 7, 15)
    assert event["RRULE"]["FREQ"] == ["MONTHLY"] and event["RRULE"]["BYDAY"] == ["+1TU"]
    start = event.decoded("DTSTART")
    assert (start.year, start.month, start.day, start.hour) == (2027, 2, 2, 14)
    assert str(start.tzinfo) == "Europe/London"
    assert "EXDATE" in event  # the cancelled occurrence
    single = await bot.run("bob", "meeting ics 1 series=no")
    [one] = Calendar.from_ical(single.reply.attachments[0].content).walk("VEVENT")
    assert "RRULE" not in one


async def test_unknown_or_foreign_meeting_ids_are_refused(bot: Harness) -> None:
    await bot.setup()
    assert "no meeting #7" in await bot.say("bob", "/cop meeting show 7")
    assert "not a valid" in await bot.say("bob", "/cop meeting show soon")


async def test_forget_me_removes_rsvps_agenda_items_and_rota_place(bot: Harness) -> None:
    await bot.setup()
    await members(bot, "bob")
    await bot.say("alice", SCHEDULE + " host=@bob")
    await bot.press("bob", "meeting rsvp 1 yes")
    await bot.say("bob", '/cop meeting agenda 1 add "Mine"')
    await bot.say("bob", "/cop host volunteer")
    text = await bot.say("bob", "/cop forget-me")
    assert "RSVPs" in text and "1 agenda item" in text and "host rota" in text
    shown = await bot.say("alice", "/cop meeting show 1")
    assert "bob" not in shown and "not chosen yet" in shown


async def test_going_away_hands_an_assigned_meeting_to_the_next_host(bot: Harness) -> None:
    await bot.setup()
    await bot.say("bob", "/cop host volunteer")
    await bot.say("carol", "/cop host volunteer")
    await bot.say("alice", '/cop meeting schedule when="2027-01-12 14:00" title="Club"')
    assert any("You're next to host" in t for t in bot.chat.dms("bob"))
    assert "not on the host rota" in await bot.say("dan", "/cop host away until=2027-02-01")
    text = await bot.say("bob", "/cop host away until=2027-02-01")
    assert "until 2027-02-01" in text and "(meetings handed to the next host: 1)" in text
    assert any("You're next to host" in t for t in bot.chat.dms("carol"))
    rota = await bot.say("alice", "/cop host rota")
    assert "bob: hosted 1 (away until 2027-02-01)" in rota
    assert "taking hosting turns again" in await bot.say("bob", "/cop host back")


async def test_cancelling_a_one_off_meeting_as_a_series_is_refused(bot: Harness) -> None:
    await bot.setup()
    await bot.say("alice", SCHEDULE)
    text = await bot.say("alice", "/cop meeting cancel 1 series=yes")
    assert "does not repeat" in text
    assert "#1" in await bot.say("alice", "/cop meeting list")
