"""Rapid pairing tables and repository (records live in bot/features/pairing/records.py).

Forget-me: every row naming a member (opt-in, exclusions either way, group membership,
live participation) goes with the member through ``member_fk`` (ON DELETE CASCADE); the
live session's ``started_by`` (a plain number) is cleared by ``forget_member``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, delete, select, update

from bot.features.pairing.records import Group, LiveSession, OptIn, Round, Schedule
from storage.convert import to_record
from storage.models import community_fk, member_fk


class PairingScheduleRow(SQLModel, table=True):
    __tablename__ = "pairing_schedule"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    every_days: int
    weekday: int
    at: str = Field(max_length=5)
    size: int = 2
    mode: str = Field(default="balanced", max_length=16)
    cooldown: int = 6
    next_at: datetime | None = None


class PairingOptInRow(SQLModel, table=True):
    __tablename__ = "pairing_optin"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    community_id: int = Field(sa_column=community_fk())
    active: bool = True
    paused_until: date | None = None


class PairingExclusionRow(SQLModel, table=True):
    __tablename__ = "pairing_exclusion"
    __table_args__ = (UniqueConstraint("member_id", "other_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    member_id: int = Field(sa_column=member_fk())
    other_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )


class PairingLiveRow(SQLModel, table=True):
    __tablename__ = "pairing_live"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    started_by: int | None = None  # a member id, kept as a plain number
    rounds: int
    minutes: int
    mode: str = Field(max_length=16)
    size: int = 2
    meeting_id: int | None = None  # plain number: no dependency on the meetings tables
    status: str = Field(default="gathering", max_length=16)
    current: int = 0
    started_at: datetime
    ends_at: datetime | None = None


class PairingLiveMemberRow(SQLModel, table=True):
    __tablename__ = "pairing_live_member"

    live_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("pairing_live.id", ondelete="CASCADE"), primary_key=True
        )
    )
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    from_round: int = 1


class PairingRoundRow(SQLModel, table=True):
    __tablename__ = "pairing_round"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    live_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("pairing_live.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    number: int
    seed: int
    mode: str = Field(max_length=16)
    size: int
    ran_at: datetime
    participants: int = 0
    repeats: int = 0


class PairingGroupRow(SQLModel, table=True):
    __tablename__ = "pairing_group"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("pairing_round.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class PairingGroupMemberRow(SQLModel, table=True):
    __tablename__ = "pairing_group_member"

    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("pairing_group.id", ondelete="CASCADE"), primary_key=True
        )
    )
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    met: str | None = Field(default=None, max_length=8)


class SqlPairingRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    # ------------------------------------------------------------ schedule

    def schedule(self, community_id: int) -> Schedule | None:
        row = self.s.get(PairingScheduleRow, community_id)
        return to_record(row, Schedule) if row else None

    def save_schedule(self, schedule: Schedule) -> None:
        row = self.s.get(PairingScheduleRow, schedule.community_id) or PairingScheduleRow(
            community_id=schedule.community_id, every_days=1, weekday=0, at="09:00"
        )
        for name in ("every_days", "weekday", "at", "size", "mode", "cooldown", "next_at"):
            setattr(row, name, getattr(schedule, name))
        self.s.add(row)
        self.s.flush()

    def schedules(self) -> list[Schedule]:
        rows = self.s.exec(select(PairingScheduleRow)).all()
        return [to_record(r, Schedule) for r in rows]

    # ------------------------------------------------------------ opt-in

    def opt_in(self, member_id: int) -> OptIn | None:
        row = self.s.get(PairingOptInRow, member_id)
        return to_record(row, OptIn) if row else None

    def set_opt_in(
        self, community_id: int, member_id: int, active: bool, paused_until: date | None
    ) -> None:
        row = self.s.get(PairingOptInRow, member_id) or PairingOptInRow(
            member_id=member_id, community_id=community_id
        )
        row.active, row.paused_until = active, paused_until
        self.s.add(row)
        self.s.flush()

    def opted_in(self, community_id: int) -> list[OptIn]:
        rows = self.s.exec(
            select(PairingOptInRow)
            .where(PairingOptInRow.community_id == community_id, col(PairingOptInRow.active))
            .order_by(col(PairingOptInRow.member_id))
        ).all()
        return [to_record(r, OptIn) for r in rows]

    # ------------------------------------------------------------ exclusions

    def exclude(self, community_id: int, member_id: int, other_id: int) -> bool:
        found = self.s.exec(
            select(PairingExclusionRow).where(
                PairingExclusionRow.member_id == member_id,
                PairingExclusionRow.other_id == other_id,
            )
        ).first()
        if found:
            return False
        self.s.add(
            PairingExclusionRow(community_id=community_id, member_id=member_id, other_id=other_id)
        )
        self.s.flush()
        return True

    def unexclude(self, member_id: int, other_id: int) -> bool:
        result = self.s.exec(
            delete(PairingExclusionRow).where(
                col(PairingExclusionRow.member_id) == member_id,
                col(PairingExclusionRow.other_id) == other_id,
            )
        )
        return bool(result.rowcount)

    def exclusions(self, community_id: int) -> list[tuple[int, int]]:
        rows = self.s.exec(
            select(PairingExclusionRow).where(PairingExclusionRow.community_id == community_id)
        ).all()
        return [(r.member_id, r.other_id) for r in rows]

    # ------------------------------------------------------------ rounds

    def add_round(
        self,
        community_id: int,
        number: int,
        seed: int,
        mode: str,
        size: int,
        ran_at: datetime,
        groups: Sequence[Sequence[int]],
        repeats: int,
        live_id: int | None = None,
    ) -> Round:
        row = PairingRoundRow(
            community_id=community_id,
            live_id=live_id,
            number=number,
            seed=seed,
            mode=mode,
            size=size,
            ran_at=ran_at,
            participants=sum(len(g) for g in groups),
            repeats=repeats,
        )
        self.s.add(row)
        self.s.flush()
        assert row.id is not None
        for members in groups:
            group = PairingGroupRow(round_id=row.id)
            self.s.add(group)
            self.s.flush()
            assert group.id is not None
            for member_id in members:
                self.s.add(PairingGroupMemberRow(group_id=group.id, member_id=member_id))
        self.s.flush()
        return to_record(row, Round)

    def rounds(self, community_id: int, live_id: int | None = None) -> list[Round]:
        query = select(PairingRoundRow).where(PairingRoundRow.community_id == community_id)
        if live_id is None:
            query = query.where(col(PairingRoundRow.live_id).is_(None))
        else:
            query = query.where(PairingRoundRow.live_id == live_id)
        rows = self.s.exec(query.order_by(col(PairingRoundRow.number))).all()
        return [to_record(r, Round) for r in rows]

    def round(self, round_id: int) -> Round | None:
        row = self.s.get(PairingRoundRow, round_id)
        return to_record(row, Round) if row else None

    def groups(self, round_ids: Sequence[int]) -> list[Group]:
        if not round_ids:
            return []
        rows = self.s.exec(
            select(PairingGroupRow, PairingGroupMemberRow)
            .join(
                PairingGroupMemberRow,
                col(PairingGroupMemberRow.group_id) == col(PairingGroupRow.id),
            )
            .where(col(PairingGroupRow.round_id).in_(list(round_ids)))
            .order_by(col(PairingGroupRow.id), col(PairingGroupMemberRow.member_id))
        ).all()
        found: dict[int, tuple[int, list[int], dict[int, str]]] = {}
        for g, m in rows:
            assert g.id is not None
            entry = found.setdefault(g.id, (g.round_id, [], {}))
            entry[1].append(m.member_id)
            if m.met:
                entry[2][m.member_id] = m.met
        return [
            Group(id=gid, round_id=rid, member_ids=tuple(ms), met=met)
            for gid, (rid, ms, met) in found.items()
        ]

    def set_met(self, round_id: int, member_id: int, answer: str) -> bool:
        row = self.s.exec(
            select(PairingGroupMemberRow)
            .join(PairingGroupRow, col(PairingGroupRow.id) == col(PairingGroupMemberRow.group_id))
            .where(
                PairingGroupRow.round_id == round_id,
                PairingGroupMemberRow.member_id == member_id,
            )
        ).first()
        if row is None:
            return False
        row.met = answer
        self.s.add(row)
        self.s.flush()
        return True

    # ------------------------------------------------------------ live sessions

    def start_live(self, session: LiveSession) -> LiveSession:
        row = PairingLiveRow(
            community_id=session.community_id,
            started_by=session.started_by,
            rounds=session.rounds,
            minutes=session.minutes,
            mode=session.mode,
            size=session.size,
            meeting_id=session.meeting_id,
            status=session.status,
            current=session.current,
            started_at=session.started_at,
            ends_at=session.ends_at,
        )
        self.s.add(row)
        self.s.flush()
        return to_record(row, LiveSession)

    def live(self, live_id: int) -> LiveSession | None:
        row = self.s.get(PairingLiveRow, live_id)
        return to_record(row, LiveSession) if row else None

    def active_live(self, community_id: int) -> LiveSession | None:
        row = self.s.exec(
            select(PairingLiveRow)
            .where(PairingLiveRow.community_id == community_id, PairingLiveRow.status != "done")
            .order_by(col(PairingLiveRow.id).desc())
        ).first()
        return to_record(row, LiveSession) if row else None

    def update_live(self, live_id: int, **changes: Any) -> LiveSession:
        row = self.s.get_one(PairingLiveRow, live_id)
        for name, value in changes.items():
            setattr(row, name, value)
        self.s.add(row)
        self.s.flush()
        return to_record(row, LiveSession)

    def join_live(self, live_id: int, member_id: int, from_round: int) -> bool:
        if self.s.get(PairingLiveMemberRow, (live_id, member_id)) is not None:
            return False
        self.s.add(
            PairingLiveMemberRow(live_id=live_id, member_id=member_id, from_round=from_round)
        )
        self.s.flush()
        return True

    def live_members(self, live_id: int) -> dict[int, int]:
        rows = self.s.exec(
            select(PairingLiveMemberRow).where(PairingLiveMemberRow.live_id == live_id)
        ).all()
        return {r.member_id: r.from_round for r in rows}

    # ------------------------------------------------------------ forget-me

    def forget_member(self, member_id: int) -> tuple[int, bool, int]:
        """Delete a member's pairing data: (groups they were in, had opted in, exclusions)."""
        groups = self.s.exec(
            select(func.count())
            .select_from(PairingGroupMemberRow)
            .where(PairingGroupMemberRow.member_id == member_id)
        ).one()
        opted = self.s.get(PairingOptInRow, member_id) is not None
        exclusions = self.s.exec(
            select(func.count())
            .select_from(PairingExclusionRow)
            .where(PairingExclusionRow.member_id == member_id)
        ).one()
        for table, column in (
            (PairingGroupMemberRow, PairingGroupMemberRow.member_id),
            (PairingOptInRow, PairingOptInRow.member_id),
            (PairingExclusionRow, PairingExclusionRow.member_id),
            (PairingExclusionRow, PairingExclusionRow.other_id),
            (PairingLiveMemberRow, PairingLiveMemberRow.member_id),
        ):
            self.s.exec(delete(table).where(col(column) == member_id))
        # Who started a live session is a plain number: clear it, so no later member who
        # happens to get the same id could steer an old session.
        self.s.exec(
            update(PairingLiveRow)
            .where(col(PairingLiveRow.started_by) == member_id)
            .values(started_by=None)
        )
        self.s.flush()
        return int(groups), opted, int(exclusions)


def attach(uow: Any, session: Session) -> None:
    uow.pairing = SqlPairingRepo(session)
