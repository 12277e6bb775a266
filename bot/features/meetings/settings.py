"""Community settings the meetings feature adds to ``/cop setup``."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import format_duration, parse_duration
from bot.settings import Setting, register_setting

_OFF = ("off", "none", "no")
# How long a meeting may last (duration= and the meeting_duration setting).
SHORTEST = timedelta(minutes=5)
LONGEST = timedelta(hours=12)


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """``7d,1d,1h`` -> offsets before a meeting, largest first; ``off`` -> none."""
    if text.strip().lower() in _OFF:
        return ()
    offsets = {parse_duration(part) for part in text.split(",") if part.strip()}
    if not offsets or any(o <= timedelta(0) or o > timedelta(days=60) for o in offsets):
        raise ValueError(text)
    return tuple(sorted(offsets, reverse=True))


def label(offset: timedelta) -> str:
    """``7d`` rather than ``1w``: how people write reminder offsets."""
    if offset and offset % timedelta(days=1) == timedelta(0):
        return f"{offset.days}d"
    return format_duration(offset)


def canonical_offsets(value: tuple[timedelta, ...]) -> str:
    return ",".join(label(o) for o in value) if value else "off"


def _positive_duration(text: str) -> timedelta:
    value = parse_duration(text)
    if value <= timedelta(0):
        raise ValueError(text)
    return value


def _meeting_length(text: str) -> timedelta:
    value = parse_duration(text)
    if not SHORTEST <= value <= LONGEST:
        raise ValueError(text)
    return value


REMINDERS = register_setting(
    Setting(
        "reminders",
        default="7d,1d",
        help="meetings.setting_reminders",
        parse=parse_offsets,
        canonical=canonical_offsets,
    )
)
HOST_NOTICE = register_setting(
    Setting(
        "host_notice",
        default="14d",
        help="meetings.setting_host_notice",
        parse=_positive_duration,
        canonical=format_duration,
    )
)
MEETING_DURATION = register_setting(
    Setting(
        "meeting_duration",
        default="60m",
        help="meetings.setting_meeting_duration",
        parse=_meeting_length,
        canonical=format_duration,
    )
)
