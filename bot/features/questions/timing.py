"""Settings and release times: batches go out at the community's release times only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import format_duration, parse_duration, parse_time
from bot.settings import Setting, Settings, register_setting


def parse_times(text: str) -> tuple[time, ...]:
    found = sorted({parse_time(part) for part in text.split(",") if part.strip()})
    if not found:
        raise ValueError(text)
    return tuple(found)


def _times_text(value: tuple[time, ...]) -> str:
    return ",".join(t.strftime("%H:%M") for t in value)


def _positive_int(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise ValueError(text)
    return value


def _duration_between(low: timedelta, high: timedelta) -> Callable[[str], timedelta]:
    def parse(text: str) -> timedelta:
        value = parse_duration(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return parse


for _setting in (
    Setting(
        "questions_release",
        "09:00",
        "questions.setting_release",
        parse=parse_times,
        canonical=_times_text,
    ),
    Setting("questions_min_batch", "2", "questions.setting_min_batch", parse=_positive_int),
    Setting(
        "questions_max_wait",
        "48h",
        "questions.setting_max_wait",
        parse=_duration_between(timedelta(hours=1), timedelta(days=30)),
        canonical=format_duration,
    ),
    Setting("questions_per_day", "5", "questions.setting_per_day", parse=_positive_int),
    Setting("questions_moderation", "off", "questions.setting_moderation", choices=("off", "on")),
    Setting(
        "questions_key_rotation",
        "7d",
        "questions.setting_key_rotation",
        parse=_duration_between(timedelta(days=1), timedelta(days=30)),
        canonical=format_duration,
    ),
    Setting(
        "questions_block",
        "30d",
        "questions.setting_block",
        parse=_duration_between(timedelta(days=1), timedelta(days=365)),
        canonical=format_duration,
    ),
):
    register_setting(_setting)


def release_times(settings: Settings) -> tuple[time, ...]:
    value: tuple[time, ...] = settings.get("questions_release")
    return value


def slot_at_or_after(moment: datetime, times: tuple[time, ...], tz: str) -> datetime:
    """The first release time at or after ``moment`` (aware UTC), in the community's zone."""
    zone = ZoneInfo(tz)
    local_day: date = moment.astimezone(zone).date()
    for offset in range(0, 3):
        day = local_day + timedelta(days=offset)
        for t in times:
            candidate = datetime.combine(day, t, tzinfo=zone).astimezone(UTC)
            if candidate >= moment:
                return candidate
    raise AssertionError("a release time exists every day")


def next_slot(moment: datetime, times: tuple[time, ...], tz: str) -> datetime:
    """The first release time strictly after ``moment``."""
    return slot_at_or_after(moment + timedelta(seconds=1), times, tz)


def slot_at_or_before(moment: datetime, times: tuple[time, ...], tz: str) -> datetime:
    """The last release time at or before ``moment``."""
    zone = ZoneInfo(tz)
    local_day: date = moment.astimezone(zone).date()
    for offset in range(0, 3):
        day = local_day - timedelta(days=offset)
        for t in reversed(times):
            candidate = datetime.combine(day, t, tzinfo=zone).astimezone(UTC)
            if candidate <= moment:
                return candidate
    raise AssertionError("a release time exists every day")
