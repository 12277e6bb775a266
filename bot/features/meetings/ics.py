"""iCalendar export (RFC 5545) built with ``icalendar``: one event, or a series with its
RRULE and a VTIMEZONE, so Google Calendar and Outlook keep it at local wall-clock time.

Cancelled occurrences of a series become EXDATEs; a moved occurrence is an override
VEVENT with the series' UID and a RECURRENCE-ID, as calendar programs expect.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.features.meetings import service as svc
from bot.features.meetings.records import CANCELLED, Meeting

PRODID = "-//copbot//meetings//EN"


def _domain(scope: svc.Scope) -> str:
    c = scope.c
    raw = f"{c.platform}-{c.workspace}-{c.channel}.copbot"
    return re.sub(r"[^A-Za-z0-9.-]", "-", raw).lower()


def _event(scope: svc.Scope, meeting: Meeting, uid: str, start: datetime, end: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", scope.now())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.title)
    if meeting.where:
        event.add("location", meeting.where)
        if meeting.where.lower().startswith(("https://", "http://")):
            event.add("url", meeting.where)
    event.add("description", f"{scope.c.name}: /cop meeting show {meeting.id}")
    return event


def calendar_for(scope: svc.Scope, meeting: Meeting, whole_series: bool) -> bytes:
    tz = ZoneInfo(scope.c.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    domain = _domain(scope)
    series = (
        svc.meetings(scope).get_series(meeting.series_id)
        if whole_series and meeting.series_id is not None
        else None
    )
    first: date = meeting.starts_at.astimezone(tz).date()
    if series is None:
        event = _event(
            scope,
            meeting,
            f"meeting-{meeting.id}@{domain}",
            meeting.starts_at.astimezone(tz),
            meeting.ends_at.astimezone(tz),
        )
        if meeting.status == CANCELLED:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    else:
        uid = f"series-{series.id}@{domain}"
        start = series.local_start.replace(tzinfo=tz)
        first = start.date()
        event = _event(
            scope, meeting, uid, start, start + timedelta(minutes=series.duration_minutes)
        )
        occurrences = svc.meetings(scope).in_series(series.id)
        live = [m for m in occurrences if m.status != CANCELLED]
        rule = vRecur.from_ical(series.rrule)
        if series.status == CANCELLED:
            if not live:
                event.add("status", "CANCELLED")
            else:
                last = max(m.original_start or m.starts_at for m in live)
                rule["UNTIL"] = [last]
        event.add("rrule", rule)
        limit = max((m.original_start or m.starts_at for m in live), default=None)
        for m in occurrences:
            if m.status != CANCELLED or m.original_start is None:
                continue
            if series.status != CANCELLED or limit is None or m.original_start <= limit:
                event.add("exdate", m.original_start.astimezone(tz))
        cal.add_component(event)
        for m in live:
            if m.original_start is not None and m.starts_at != m.original_start:
                override = _event(
                    scope, m, uid, m.starts_at.astimezone(tz), m.ends_at.astimezone(tz)
                )
                override.add("recurrence-id", m.original_start.astimezone(tz))
                cal.add_component(override)
    cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(2038, 1, 1))
    return bytes(cal.to_ical())
