"""Reading "when" phrases in a community's timezone.

Accepted: ISO (``2027-01-12T14:00``, ``2027-01-12 14:00``, with or without an offset),
``today 18:00``, ``tomorrow 10:00``, ``next Tuesday 14:30``, ``Tuesday 2pm``,
``3 Dec 2pm``, ``Dec 3 14:00``, ``12/01/2027 14:00`` (day first) and ``in 3 days 10:00``.
A time of day is always required. Relative words are handled here; the rest goes to
``dateutil.parser`` (day-first, as written in the UK and most of Europe). A phrase with no
year that would fall in the past is read as next year's date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT_DAYS = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}

_TIME_RE = re.compile(
    r"(?<![\d/.-])(?:(?P<h>\d{1,2})(?::|\.|h)(?P<m>\d{2})\s*(?P<ap>am|pm)?"
    r"|(?P<h2>\d{1,2})\s*(?P<ap2>am|pm)|(?P<word>noon|midday|midnight))(?![\d:])",
    re.I,
)
_YEAR_RE = re.compile(r"\b\d{4}\b")
_IN_RE = re.compile(r"^in\s+(\d+)\s+(day|days|week|weeks)$")


class WhenError(ValueError):
    """The phrase could not be read (``reason``: "no_time", "unknown")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _clean(text: str) -> str:
    text = text.strip().lower().replace(",", " ")
    text = re.sub(r"\bat\b", " ", text)
    text = re.sub(r"\b(on|the)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _split_time(text: str) -> tuple[str, time | None]:
    match = _TIME_RE.search(text)
    if match is None:
        return text, None
    if match.group("word"):
        value = time(0, 0) if match.group("word") == "midnight" else time(12, 0)
    else:
        hour = int(match.group("h") or match.group("h2"))
        minute = int(match.group("m") or 0)
        ampm = (match.group("ap") or match.group("ap2") or "").lower()
        if ampm:
            if not 1 <= hour <= 12:
                raise WhenError("unknown")
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour > 23 or minute > 59:
            raise WhenError("unknown")
        value = time(hour, minute)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return re.sub(r"\s+", " ", rest), value


def _weekday(word: str) -> int | None:
    word = word.rstrip(".")
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    return _SHORT_DAYS.get(word)


def _day_part(text: str, today: date) -> tuple[date, bool] | None:
    """Relative phrases -> (date, year_given); None when dateutil should try."""
    if text in ("", "today", "tonight"):
        return today, True
    if text == "tomorrow":
        return today + timedelta(days=1), True
    match = _IN_RE.match(text)
    if match:
        n = int(match.group(1))
        return today + timedelta(days=n * (7 if match.group(2).startswith("week") else 1)), True
    words = text.split()
    if len(words) in (1, 2) and (len(words) == 1 or words[0] in ("next", "this", "coming")):
        day = _weekday(words[-1])
        if day is not None:
            ahead = (day - today.weekday()) % 7 or 7  # the coming one, never today
            return today + timedelta(days=ahead), True
    return None


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """The aware UTC instant ``text`` means in timezone ``tz``; raises WhenError."""
    zone = ZoneInfo(tz)
    raw = text.strip()
    iso = _iso(raw, zone)
    if iso is not None:
        return iso
    local_now = now.astimezone(zone)
    cleaned = _clean(raw)
    day_text, at = _split_time(cleaned)
    if at is None:
        raise WhenError("no_time")
    relative = _day_part(day_text, local_now.date())
    if relative is not None:
        day, year_given = relative
    else:
        try:
            parsed = dateutil_parser.parse(
                day_text,
                default=datetime(local_now.year, local_now.month, local_now.day),
                dayfirst=True,
            )
        except (ValueError, OverflowError):
            raise WhenError("unknown") from None
        day, year_given = parsed.date(), bool(_YEAR_RE.search(day_text))
    local = datetime.combine(day, at)
    if not year_given and _to_utc(local, zone) < now:
        try:
            local = local.replace(year=local.year + 1)
        except ValueError:  # 29 February
            raise WhenError("unknown") from None
    return _to_utc(local, zone)


def _iso(raw: str, zone: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        return None
    text = raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", raw) else raw
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WhenError("unknown") from None
    if len(text) <= 10:
        raise WhenError("no_time")
    if value.tzinfo is not None:
        return value.astimezone(ZoneInfo("UTC"))
    return _to_utc(value, zone)


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone`` -> UTC. A time skipped by the spring change reads with
    the offset before it (01:30 becomes 02:30 summer time); a repeated autumn time is the
    first of the two (PEP 495 fold=0)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(ZoneInfo("UTC"))


def to_utc(local: datetime, tz: str) -> datetime:
    return _to_utc(local, ZoneInfo(tz))
