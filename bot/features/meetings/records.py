"""The meetings feature's records and the repository protocol its storage implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

from bot.features.meetings.api import MeetingInfo
from bot.ports import UnitOfWork

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
RSVP_ANSWERS = ("yes", "no", "maybe")


@dataclass(frozen=True)
class Series:
    """A recurring meeting: local wall-clock start, an IANA timezone and an RRULE."""

    id: int
    community_id: int
    title: str
    local_start: datetime  # naive: wall-clock time in ``timezone`` of the first occurrence
    timezone: str
    rrule: str  # RFC 5545 RRULE body, e.g. "FREQ=MONTHLY;BYDAY=1TU"
    every: str  # what the facilitator typed, for display
    duration_minutes: int
    where: str | None
    chatham: bool
    status: str
    materialised_until: datetime | None  # aware UTC: occurrences exist up to here


@dataclass(frozen=True)
class Meeting:
    """One occurrence (a single meeting, or one of a series)."""

    id: int
    community_id: int
    series_id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    where: str | None
    chatham: bool
    host_member_id: int | None
    host_confirmed: bool
    status: str
    original_start: datetime | None  # the rule's instant for a series occurrence
    notes: str | None
    notes_at: datetime | None
    attendance_recorded: bool
    passed: tuple[int, ...]  # members who passed on hosting this occurrence
    created_at: datetime

    def info(self) -> MeetingInfo:
        return MeetingInfo(
            id=self.id,
            community_id=self.community_id,
            title=self.title,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            chatham=self.chatham,
            host_member_id=self.host_member_id,
            host_confirmed=self.host_confirmed,
            series_id=self.series_id,
            status=self.status,
            where=self.where,
        )


@dataclass(frozen=True)
class AgendaItem:
    id: int
    meeting_id: int
    member_id: int | None
    text: str
    position: int


@dataclass(frozen=True)
class RotaEntry:
    member_id: int
    community_id: int
    joined_at: datetime
    away_until: date | None
    last_assigned_at: datetime | None
    times_assigned: int


class MeetingRepo(Protocol):
    # series
    def add_series(
        self,
        community_id: int,
        title: str,
        local_start: datetime,
        timezone: str,
        rrule: str,
        every: str,
        duration_minutes: int,
        where: str | None,
        chatham: bool,
        now: datetime,
    ) -> Series: ...
    def get_series(self, series_id: int) -> Series | None: ...
    def update_series(self, series_id: int, **changes: Any) -> None: ...
    def active_series(self) -> list[Series]: ...

    # occurrences
    def add(
        self,
        community_id: int,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        where: str | None,
        chatham: bool,
        now: datetime,
        series_id: int | None = None,
        original_start: datetime | None = None,
        host_member_id: int | None = None,
    ) -> Meeting: ...
    def get(self, meeting_id: int) -> Meeting | None: ...
    def update(self, meeting_id: int, **changes: Any) -> None: ...
    def upcoming(self, community_id: int, now: datetime, limit: int) -> list[Meeting]: ...
    def in_series(self, series_id: int, since: datetime | None = None) -> list[Meeting]: ...
    def original_starts(self, series_id: int) -> set[datetime]: ...

    # RSVPs and attendance
    def rsvps(self, meeting_id: int) -> dict[int, str]: ...
    def set_rsvp(self, meeting_id: int, member_id: int, answer: str, now: datetime) -> None: ...
    def attendees(self, meeting_id: int) -> list[int]: ...
    def set_attendees(self, meeting_id: int, member_ids: list[int]) -> None: ...

    # agenda
    def agenda(self, meeting_id: int) -> list[AgendaItem]: ...
    def add_agenda(
        self, meeting_id: int, member_id: int, text: str, now: datetime
    ) -> AgendaItem: ...
    def remove_agenda(self, meeting_id: int, position: int) -> AgendaItem | None: ...

    # host rota
    def rota(self, community_id: int) -> list[RotaEntry]: ...
    def rota_entry(self, member_id: int) -> RotaEntry | None: ...
    def join_rota(self, community_id: int, member_id: int, now: datetime) -> bool: ...
    def leave_rota(self, member_id: int) -> bool: ...
    def set_away(self, member_id: int, until: date | None) -> None: ...
    def mark_assigned(self, member_id: int, now: datetime) -> None: ...

    # forget-me
    def forget_member(self, member_id: int) -> dict[str, int]: ...


def repo(uow: UnitOfWork) -> MeetingRepo:
    """The meetings repository attached to a unit of work (see storage/meetings.py)."""
    return cast(MeetingRepo, uow.meetings)
