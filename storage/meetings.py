"""Meetings tables and repository: series (RRULE), occurrences, RSVPs, attendance,
agenda items and the host rota. Rows become the core's frozen records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, func
from sqlmodel import Field, Session, SQLModel, col, delete, select

from bot.features.meetings.records import (
    CANCELLED,
    SCHEDULED,
    AgendaItem,
    Meeting,
    RotaEntry,
    Series,
)
from storage.convert import to_record
from storage.models import community_fk, member_fk


def _meeting_fk(primary_key: bool = False) -> Any:
    return Column(
        Integer,
        ForeignKey("meeting.id", ondelete="CASCADE"),
        nullable=False,
        index=not primary_key,
        primary_key=primary_key,
    )


class MeetingSeriesRow(SQLModel, table=True):
    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    title: str = Field(max_length=200)
    local_start: str = Field(max_length=32)  # ISO wall-clock time, no offset
    timezone: str = Field(max_length=64)
    rrule: str = Field(max_length=300)
    every: str = Field(max_length=100)
    duration_minutes: int
    where: str | None = Field(default=None, max_length=500)
    chatham: bool = False
    status: str = Field(default=SCHEDULED, max_length=16)
    materialised_until: datetime | None = None
    created_at: datetime


class MeetingRow(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_community_start", "community_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    series_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("meeting_series.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    title: str = Field(max_length=200)
    starts_at: datetime
    ends_at: datetime
    where: str | None = Field(default=None, max_length=500)
    chatham: bool = False
    # A host who uses forget-me leaves the meeting without a host, not without a meeting.
    host_member_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    host_confirmed: bool = False
    status: str = Field(default=SCHEDULED, max_length=16)
    original_start: datetime | None = None
    notes: str | None = Field(default=None, max_length=4000)
    notes_at: datetime | None = None
    attendance_recorded: bool = False
    passed: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime


class MeetingRsvpRow(SQLModel, table=True):
    __tablename__ = "meeting_rsvp"

    meeting_id: int = Field(sa_column=_meeting_fk(primary_key=True))
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    answer: str = Field(max_length=8)
    answered_at: datetime


class MeetingAttendanceRow(SQLModel, table=True):
    __tablename__ = "meeting_attendance"

    meeting_id: int = Field(sa_column=_meeting_fk(primary_key=True))
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )


class AgendaItemRow(SQLModel, table=True):
    __tablename__ = "meeting_agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=_meeting_fk())
    member_id: int | None = Field(default=None, sa_column=member_fk(nullable=True))
    text: str = Field(max_length=500)
    position: int
    created_at: datetime


class HostRotaRow(SQLModel, table=True):
    __tablename__ = "host_rota"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    community_id: int = Field(sa_column=community_fk())
    joined_at: datetime
    away_until: date | None = None
    last_assigned_at: datetime | None = None
    times_assigned: int = 0


def _series(row: MeetingSeriesRow) -> Series:
    return to_record(row, Series, local_start=datetime.fromisoformat(row.local_start))


def _meeting(row: MeetingRow) -> Meeting:
    return to_record(row, Meeting, passed=tuple(row.passed or ()))


def _rota(row: HostRotaRow) -> RotaEntry:
    return to_record(row, RotaEntry)


class SqlMeetingRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    # ------------------------------------------------------------ series

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
    ) -> Series:
        row = MeetingSeriesRow(
            community_id=community_id,
            title=title,
            local_start=local_start.replace(tzinfo=None).isoformat(timespec="minutes"),
            timezone=timezone,
            rrule=rrule,
            every=every,
            duration_minutes=duration_minutes,
            where=where,
            chatham=chatham,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return _series(row)

    def get_series(self, series_id: int) -> Series | None:
        row = self.s.get(MeetingSeriesRow, series_id)
        return _series(row) if row else None

    def update_series(self, series_id: int, **changes: Any) -> None:
        row = self.s.get_one(MeetingSeriesRow, series_id)
        for key, value in changes.items():
            setattr(row, key, value)
        self.s.add(row)
        self.s.flush()

    def active_series(self) -> list[Series]:
        rows = self.s.exec(
            select(MeetingSeriesRow).where(MeetingSeriesRow.status == SCHEDULED)
        ).all()
        return [_series(r) for r in rows]

    # ------------------------------------------------------------ occurrences

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
    ) -> Meeting:
        row = MeetingRow(
            community_id=community_id,
            series_id=series_id,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            where=where,
            chatham=chatham,
            original_start=original_start,
            host_member_id=host_member_id,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return _meeting(row)

    def get(self, meeting_id: int) -> Meeting | None:
        row = self.s.get(MeetingRow, meeting_id)
        return _meeting(row) if row else None

    def update(self, meeting_id: int, **changes: Any) -> None:
        row = self.s.get_one(MeetingRow, meeting_id)
        for key, value in changes.items():
            setattr(row, key, list(value) if key == "passed" else value)
        self.s.add(row)
        self.s.flush()

    def upcoming(self, community_id: int, now: datetime, limit: int) -> list[Meeting]:
        rows = self.s.exec(
            select(MeetingRow)
            .where(
                MeetingRow.community_id == community_id,
                MeetingRow.status == SCHEDULED,
                col(MeetingRow.ends_at) > now,
            )
            .order_by(col(MeetingRow.starts_at), col(MeetingRow.id))
            .limit(limit)
        ).all()
        return [_meeting(r) for r in rows]

    def in_series(self, series_id: int, since: datetime | None = None) -> list[Meeting]:
        query = select(MeetingRow).where(MeetingRow.series_id == series_id)
        if since is not None:
            query = query.where(col(MeetingRow.starts_at) >= since)
        rows = self.s.exec(query.order_by(col(MeetingRow.starts_at), col(MeetingRow.id))).all()
        return [_meeting(r) for r in rows]

    def original_starts(self, series_id: int) -> set[datetime]:
        rows = self.s.exec(
            select(MeetingRow.original_start).where(MeetingRow.series_id == series_id)
        ).all()
        return {r for r in rows if r is not None}

    # ------------------------------------------------------------ RSVPs and attendance

    def rsvps(self, meeting_id: int) -> dict[int, str]:
        rows = self.s.exec(
            select(MeetingRsvpRow)
            .where(MeetingRsvpRow.meeting_id == meeting_id)
            .order_by(col(MeetingRsvpRow.answered_at), col(MeetingRsvpRow.member_id))
        ).all()
        return {r.member_id: r.answer for r in rows}

    def set_rsvp(self, meeting_id: int, member_id: int, answer: str, now: datetime) -> None:
        row = self.s.get(MeetingRsvpRow, (meeting_id, member_id))
        if row is None:
            row = MeetingRsvpRow(
                meeting_id=meeting_id, member_id=member_id, answer=answer, answered_at=now
            )
        row.answer, row.answered_at = answer, now
        self.s.add(row)
        self.s.flush()

    def attendees(self, meeting_id: int) -> list[int]:
        rows = self.s.exec(
            select(MeetingAttendanceRow.member_id)
            .where(MeetingAttendanceRow.meeting_id == meeting_id)
            .order_by(col(MeetingAttendanceRow.member_id))
        ).all()
        return list(rows)

    def set_attendees(self, meeting_id: int, member_ids: list[int]) -> None:
        self.s.exec(
            delete(MeetingAttendanceRow).where(col(MeetingAttendanceRow.meeting_id) == meeting_id)
        )
        for member_id in dict.fromkeys(member_ids):
            self.s.add(MeetingAttendanceRow(meeting_id=meeting_id, member_id=member_id))
        self.update(meeting_id, attendance_recorded=True)

    # ------------------------------------------------------------ agenda

    def agenda(self, meeting_id: int) -> list[AgendaItem]:
        rows = self.s.exec(
            select(AgendaItemRow)
            .where(AgendaItemRow.meeting_id == meeting_id)
            .order_by(col(AgendaItemRow.position), col(AgendaItemRow.id))
        ).all()
        return [
            AgendaItem(r.id or 0, r.meeting_id, r.member_id, r.text, i + 1)
            for i, r in enumerate(rows)
        ]

    def add_agenda(self, meeting_id: int, member_id: int, text: str, now: datetime) -> AgendaItem:
        last = self.s.exec(
            select(func.max(AgendaItemRow.position)).where(AgendaItemRow.meeting_id == meeting_id)
        ).first()
        row = AgendaItemRow(
            meeting_id=meeting_id,
            member_id=member_id,
            text=text,
            position=(last or 0) + 1,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return next(i for i in self.agenda(meeting_id) if i.id == row.id)

    def remove_agenda(self, meeting_id: int, position: int) -> AgendaItem | None:
        items = self.agenda(meeting_id)
        if not 1 <= position <= len(items):
            return None
        item = items[position - 1]
        self.s.exec(delete(AgendaItemRow).where(col(AgendaItemRow.id) == item.id))
        self.s.flush()
        return item

    # ------------------------------------------------------------ host rota

    def rota(self, community_id: int) -> list[RotaEntry]:
        rows = self.s.exec(
            select(HostRotaRow)
            .where(HostRotaRow.community_id == community_id)
            .order_by(col(HostRotaRow.joined_at), col(HostRotaRow.member_id))
        ).all()
        return [_rota(r) for r in rows]

    def rota_entry(self, member_id: int) -> RotaEntry | None:
        row = self.s.get(HostRotaRow, member_id)
        return _rota(row) if row else None

    def join_rota(self, community_id: int, member_id: int, now: datetime) -> bool:
        if self.s.get(HostRotaRow, member_id) is not None:
            return False
        # A newcomer joins the back of the queue: as if assigned most recently.
        self.s.add(HostRotaRow(community_id=community_id, member_id=member_id, joined_at=now))
        self.s.flush()
        return True

    def leave_rota(self, member_id: int) -> bool:
        row = self.s.get(HostRotaRow, member_id)
        if row is None:
            return False
        self.s.delete(row)
        self.s.flush()
        return True

    def set_away(self, member_id: int, until: date | None) -> None:
        row = self.s.get_one(HostRotaRow, member_id)
        row.away_until = until
        self.s.add(row)
        self.s.flush()

    def mark_assigned(self, member_id: int, now: datetime) -> None:
        row = self.s.get(HostRotaRow, member_id)
        if row is None:
            return
        row.last_assigned_at = now
        row.times_assigned += 1
        self.s.add(row)
        self.s.flush()

    # ------------------------------------------------------------ forget-me

    def forget_member(self, member_id: int) -> dict[str, int]:
        """Count what deleting the member removes (cascades do the deleting)."""
        counts: dict[str, int] = {}
        for name, table, column in (
            ("rsvps", MeetingRsvpRow, MeetingRsvpRow.member_id),
            ("attendance", MeetingAttendanceRow, MeetingAttendanceRow.member_id),
            ("agenda", AgendaItemRow, AgendaItemRow.member_id),
        ):
            n = self.s.exec(
                select(func.count()).select_from(table).where(col(column) == member_id)
            ).one()
            counts[name] = int(n)
        counts["rota"] = 1 if self.s.get(HostRotaRow, member_id) else 0
        hosting = self.s.exec(
            select(func.count())
            .select_from(MeetingRow)
            .where(col(MeetingRow.host_member_id) == member_id)
        ).one()
        counts["hosting"] = int(hosting)
        # Explicit deletes too, so the result does not depend on foreign keys being enforced.
        self.s.exec(delete(MeetingRsvpRow).where(col(MeetingRsvpRow.member_id) == member_id))
        self.s.exec(
            delete(MeetingAttendanceRow).where(col(MeetingAttendanceRow.member_id) == member_id)
        )
        self.s.exec(delete(AgendaItemRow).where(col(AgendaItemRow.member_id) == member_id))
        self.s.exec(delete(HostRotaRow).where(col(HostRotaRow.member_id) == member_id))
        for row in self.s.exec(
            select(MeetingRow).where(col(MeetingRow.host_member_id) == member_id)
        ).all():
            row.host_member_id, row.host_confirmed = None, False
            self.s.add(row)
        self.s.flush()
        return counts


def attach(uow: Any, session: Session) -> None:
    uow.meetings = SqlMeetingRepo(session)


__all__ = [
    "CANCELLED",
    "AgendaItemRow",
    "HostRotaRow",
    "MeetingAttendanceRow",
    "MeetingRow",
    "MeetingRsvpRow",
    "MeetingSeriesRow",
    "SqlMeetingRepo",
    "attach",
]
