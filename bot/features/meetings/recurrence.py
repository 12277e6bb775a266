"""Recurring meetings: ``every=`` phrases to RFC 5545 rules, expanded in local time.

A series stores its first start as local wall-clock time, an IANA timezone and an RRULE.
Occurrences are expanded by ``dateutil.rrule`` on naive local times and only then turned
into UTC with ``zoneinfo``, so a monthly 14:00 London meeting stays at 14:00 on both sides
of a daylight-saving change (a fixed UTC offset would drift by an hour).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from bot.features.meetings.when import WEEKDAYS, to_utc

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SIMPLE = {
    "week": "FREQ=WEEKLY",
    "weekly": "FREQ=WEEKLY",
    "fortnight": "FREQ=WEEKLY;INTERVAL=2",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "2 weeks": "FREQ=WEEKLY;INTERVAL=2",
    "month": "FREQ=MONTHLY",
    "monthly": "FREQ=MONTHLY",
    "quarter": "FREQ=MONTHLY;INTERVAL=3",
    "quarterly": "FREQ=MONTHLY;INTERVAL=3",
    "year": "FREQ=YEARLY",
    "yearly": "FREQ=YEARLY",
}
_NTH_RE = re.compile(
    r"^(?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last)\s+(?P<day>[a-z]+)"
    r"(?:\s+of\s+(?:the|each|every)\s+month|\s+monthly)?$"
)
# Parts a raw RRULE may have: which days, never the time of day (BYHOUR, BYMINUTE…).
_RAW_PARTS = frozenset(
    {
        *("FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"),
        *("BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "BYWEEKNO", "BYYEARDAY"),
    }
)
# Never materialise more than this many occurrences in one go (a weekly series: 26).
MAX_BATCH = 60
HORIZON = timedelta(days=183)


class RecurrenceError(ValueError):
    pass


def _weekday_index(word: str) -> int | None:
    for i, name in enumerate(WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return i
    return None


def rule_for(every: str) -> str:
    """The RRULE body for an ``every=`` phrase; raises RecurrenceError."""
    text = re.sub(r"\s+", " ", every.strip().lower().removeprefix("every ").strip())
    if text in _SIMPLE:
        return _SIMPLE[text]
    match = _NTH_RE.match(text)
    if match:
        day = _weekday_index(match.group("day"))
        if day is not None:
            return f"FREQ=MONTHLY;BYDAY={_ORDINALS[match.group('nth')]:+d}{_DAY_CODES[day]}"
    day = _weekday_index(text)
    if day is not None:
        return f"FREQ=WEEKLY;BYDAY={_DAY_CODES[day]}"
    upper = every.strip().upper().removeprefix("RRULE:")
    if upper.startswith("FREQ="):
        _check_raw(upper, every)
        return upper
    raise RecurrenceError(every)


def _check_raw(upper: str, every: str) -> None:
    """A raw RRULE may only say which days a meeting falls on: the time of day is the one
    ``when=`` gave, and each day has at most one occurrence."""
    parts: dict[str, str] = {}
    for part in upper.split(";"):
        name, sep, value = part.partition("=")
        if not sep or name not in _RAW_PARTS or name in parts or not value:
            raise RecurrenceError(every)
        parts[name] = value
    if parts["FREQ"] not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise RecurrenceError(every)
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 1000:
        raise RecurrenceError(every)
    try:
        rrulestr(upper, dtstart=datetime(2027, 1, 1))
    except (ValueError, TypeError, OverflowError):
        raise RecurrenceError(every) from None


def _rule(rule: str, local_start: datetime) -> rrule:
    parsed = rrulestr(rule, dtstart=local_start.replace(tzinfo=None))
    assert isinstance(parsed, rrule)
    return parsed


def first_local(rule: str, wanted: datetime) -> datetime:
    """The first occurrence at or after ``wanted`` (naive local), which becomes DTSTART.

    RFC 5545 wants DTSTART to be an occurrence: "first Tuesday" scheduled for a Monday
    starts on the first matching Tuesday after it.
    """
    try:
        found = _rule(rule, wanted).after(wanted.replace(tzinfo=None), inc=True)
    except (ValueError, TypeError, OverflowError):
        raise RecurrenceError(rule) from None
    if found is None:
        raise RecurrenceError(rule)
    return found


def expand(
    rule: str, local_start: datetime, tz: str, after: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """(local wall-clock, UTC) of each occurrence starting in ``[after, until)`` (UTC)."""
    recurrence = _rule(rule, local_start)
    out: list[tuple[datetime, datetime]] = []
    for local in recurrence:
        assert isinstance(local, datetime)
        at = to_utc(local, tz)
        if at >= until or len(out) >= MAX_BATCH:
            break
        if at >= after:
            out.append((local, at))
    return out
