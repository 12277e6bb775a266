"""Human-readable dates for the console and plain-text fallbacks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text import Moment


def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(ZoneInfo(tz))


def format_moment(value: Moment) -> str:
    when = local(value.at, value.tz)
    if value.style == "date":
        return when.strftime("%a %-d %b %Y")
    if value.style == "time":
        return when.strftime("%H:%M %Z")
    return when.strftime("%a %-d %b %Y, %H:%M %Z")
