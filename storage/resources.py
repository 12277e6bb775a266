"""Resource of the month: suggestions, ballots, votes and ratings."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, select

from bot.features.resources.records import (
    CLOSED,
    LIVE,
    Ballot,
    RatingSummary,
    Resource,
    Why,
)
from storage.convert import to_record
from storage.models import community_fk, member_fk


def _resource_fk() -> Any:
    return Column(
        Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False, index=True
    )


class ResourceRow(SQLModel, table=True):
    __tablename__ = "resource"
    __table_args__ = (UniqueConstraint("community_id", "url_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    url: str = Field(max_length=2000)
    url_key: str = Field(max_length=2000)
    url_hash: str = Field(max_length=64)  # sha256 of url_key: the duplicate check's index
    title: str = Field(max_length=200)
    title_given: bool = False
    why: str | None = Field(default=None, max_length=500)
    tags: str = Field(default="", max_length=500)  # comma-separated
    # The suggestion outlives its suggester's forget-me only once picked (in the library).
    suggested_by: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    created_at: datetime
    picked_meeting_id: int | None = Field(default=None, index=True)
    picked_at: datetime | None = None
    meeting_at: datetime | None = None
    pick_mode: str | None = Field(default=None, max_length=16)


class ResourceWhyRow(SQLModel, table=True):
    """Further reasons, added when someone suggests an address that is already there."""

    __tablename__ = "resource_why"

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(sa_column=_resource_fk())
    member_id: int | None = Field(default=None, sa_column=member_fk(nullable=True))
    text: str = Field(max_length=500)
    created_at: datetime


class ResourceBallotRow(SQLModel, table=True):
    __tablename__ = "resource_ballot"
    __table_args__ = (UniqueConstraint("community_id", "meeting_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    meeting_id: int
    opens_at: datetime
    closes_at: datetime
    status: str = Field(max_length=16)
    candidates: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    picked_resource_id: int | None = None
    closed_at: datetime | None = None


class ResourceVoteRow(SQLModel, table=True):
    __tablename__ = "resource_vote"
    __table_args__ = (UniqueConstraint("ballot_id", "resource_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("resource_ballot.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    resource_id: int = Field(sa_column=_resource_fk())
    member_id: int = Field(sa_column=member_fk())
    created_at: datetime


class ResourceRatingRow(SQLModel, table=True):
    __tablename__ = "resource_rating"
    __table_args__ = (UniqueConstraint("resource_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(sa_column=_resource_fk())
    member_id: int = Field(sa_column=member_fk())
    stars: int
    created_at: datetime


def _hash(url_key: str) -> str:
    return hashlib.sha256(url_key.encode("utf-8")).hexdigest()


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _resource(row: ResourceRow) -> Resource:
    return to_record(row, Resource, tags=_tags(row.tags))


def _ballot(row: ResourceBallotRow) -> Ballot:
    return to_record(row, Ballot, candidates=tuple(int(c) for c in row.candidates))


class SqlResourceRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    # ------------------------------------------------------------ suggestions

    def add(
        self,
        community_id: int,
        url: str,
        url_key: str,
        title: str,
        title_given: bool,
        why: str | None,
        tags: tuple[str, ...],
        suggested_by: int | None,
        now: datetime,
    ) -> Resource:
        row = ResourceRow(
            community_id=community_id,
            url=url,
            url_key=url_key,
            url_hash=_hash(url_key),
            title=title,
            title_given=title_given,
            why=why,
            tags=", ".join(tags),
            suggested_by=suggested_by,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return _resource(row)

    def get(self, community_id: int, resource_id: int) -> Resource | None:
        row = self.s.get(ResourceRow, resource_id)
        return _resource(row) if row is not None and row.community_id == community_id else None

    def by_key(self, community_id: int, url_key: str) -> Resource | None:
        row = self.s.exec(
            select(ResourceRow).where(
                ResourceRow.community_id == community_id, ResourceRow.url_hash == _hash(url_key)
            )
        ).first()
        return _resource(row) if row else None

    def set_title(self, resource_id: int, title: str) -> None:
        row = self.s.get(ResourceRow, resource_id)
        if row is not None:
            row.title = title
            self.s.add(row)
            self.s.flush()

    def set_tags(self, resource_id: int, tags: tuple[str, ...]) -> None:
        row = self.s.get_one(ResourceRow, resource_id)
        row.tags = ", ".join(tags)
        self.s.add(row)
        self.s.flush()

    def add_why(self, resource_id: int, member_id: int | None, text: str, now: datetime) -> None:
        self.s.add(
            ResourceWhyRow(resource_id=resource_id, member_id=member_id, text=text, created_at=now)
        )
        self.s.flush()

    def whys(self, resource_id: int) -> list[Why]:
        rows = self.s.exec(
            select(ResourceWhyRow)
            .where(ResourceWhyRow.resource_id == resource_id)
            .order_by(col(ResourceWhyRow.created_at), col(ResourceWhyRow.id))
        ).all()
        return [Why(r.member_id, r.text, r.created_at) for r in rows]

    def candidates(self, community_id: int, since: datetime, limit: int) -> list[Resource]:
        rows = self.s.exec(
            select(ResourceRow)
            .where(
                ResourceRow.community_id == community_id,
                col(ResourceRow.picked_meeting_id).is_(None),
                col(ResourceRow.created_at) >= since,
            )
            .order_by(col(ResourceRow.created_at).desc(), col(ResourceRow.id).desc())
            .limit(limit)
        ).all()
        return [_resource(r) for r in rows]

    def delete(self, resource_id: int) -> None:
        self.s.exec(delete(ResourceRow).where(col(ResourceRow.id) == resource_id))
        self.s.flush()

    def by_suggester(self, member_id: int) -> list[Resource]:
        rows = self.s.exec(
            select(ResourceRow)
            .where(ResourceRow.suggested_by == member_id)
            .order_by(col(ResourceRow.id))
        ).all()
        return [_resource(r) for r in rows]

    # ------------------------------------------------------------ picks and library

    def pick(
        self, resource_id: int, meeting_id: int, meeting_at: datetime, mode: str, now: datetime
    ) -> None:
        row = self.s.get_one(ResourceRow, resource_id)
        row.picked_meeting_id = meeting_id
        row.meeting_at = meeting_at
        row.picked_at = now
        row.pick_mode = mode
        self.s.add(row)
        self.s.flush()

    def unpick(self, resource_id: int) -> None:
        row = self.s.get_one(ResourceRow, resource_id)
        row.picked_meeting_id = None
        row.meeting_at = None
        row.picked_at = None
        row.pick_mode = None
        self.s.add(row)
        self.s.flush()

    def picked_for(self, community_id: int, meeting_id: int) -> Resource | None:
        row = self.s.exec(
            select(ResourceRow).where(
                ResourceRow.community_id == community_id,
                ResourceRow.picked_meeting_id == meeting_id,
            )
        ).first()
        return _resource(row) if row else None

    def move_meeting(self, community_id: int, meeting_id: int, meeting_at: datetime) -> None:
        rows = self.s.exec(
            select(ResourceRow).where(
                ResourceRow.community_id == community_id,
                ResourceRow.picked_meeting_id == meeting_id,
            )
        ).all()
        for row in rows:
            row.meeting_at = meeting_at
            self.s.add(row)
        self.s.flush()

    def library(self, community_id: int) -> list[Resource]:
        rows = self.s.exec(
            select(ResourceRow)
            .where(
                ResourceRow.community_id == community_id,
                col(ResourceRow.picked_meeting_id).is_not(None),
            )
            .order_by(col(ResourceRow.meeting_at).desc(), col(ResourceRow.id).desc())
        ).all()
        return [_resource(r) for r in rows]

    # ------------------------------------------------------------ ballots and votes

    def add_ballot(
        self,
        community_id: int,
        meeting_id: int,
        opens_at: datetime,
        closes_at: datetime,
        status: str,
        candidates: tuple[int, ...],
    ) -> Ballot:
        row = ResourceBallotRow(
            community_id=community_id,
            meeting_id=meeting_id,
            opens_at=opens_at,
            closes_at=closes_at,
            status=status,
            candidates=list(candidates),
        )
        self.s.add(row)
        self.s.flush()
        return _ballot(row)

    def ballot_for(self, community_id: int, meeting_id: int) -> Ballot | None:
        row = self.s.exec(
            select(ResourceBallotRow).where(
                ResourceBallotRow.community_id == community_id,
                ResourceBallotRow.meeting_id == meeting_id,
            )
        ).first()
        return _ballot(row) if row else None

    def live_ballots(self, community_id: int) -> list[Ballot]:
        rows = self.s.exec(
            select(ResourceBallotRow)
            .where(
                ResourceBallotRow.community_id == community_id,
                col(ResourceBallotRow.status).in_(LIVE),
            )
            .order_by(col(ResourceBallotRow.closes_at), col(ResourceBallotRow.id))
        ).all()
        return [_ballot(r) for r in rows]

    def last_closed_ballot(self, community_id: int) -> Ballot | None:
        row = self.s.exec(
            select(ResourceBallotRow)
            .where(
                ResourceBallotRow.community_id == community_id,
                ResourceBallotRow.status == CLOSED,
            )
            .order_by(col(ResourceBallotRow.closed_at).desc(), col(ResourceBallotRow.id).desc())
        ).first()
        return _ballot(row) if row else None

    def update_ballot(
        self,
        ballot_id: int,
        *,
        status: str | None = None,
        candidates: tuple[int, ...] | None = None,
        closes_at: datetime | None = None,
        picked_resource_id: int | None = None,
        closed_at: datetime | None = None,
    ) -> None:
        row = self.s.get_one(ResourceBallotRow, ballot_id)
        if status is not None:
            row.status = status
        if candidates is not None:
            row.candidates = list(candidates)
        if closes_at is not None:
            row.closes_at = closes_at
        if picked_resource_id is not None:
            row.picked_resource_id = picked_resource_id
        if closed_at is not None:
            row.closed_at = closed_at
        self.s.add(row)
        self.s.flush()

    def add_vote(self, ballot_id: int, resource_id: int, member_id: int, now: datetime) -> bool:
        exists = self.s.exec(
            select(ResourceVoteRow.id).where(
                ResourceVoteRow.ballot_id == ballot_id,
                ResourceVoteRow.resource_id == resource_id,
                ResourceVoteRow.member_id == member_id,
            )
        ).first()
        if exists is not None:
            return False
        try:
            # A savepoint: two presses racing each other hit the unique constraint, and
            # the loser's vote is simply not counted again.
            with self.s.begin_nested():
                self.s.add(
                    ResourceVoteRow(
                        ballot_id=ballot_id,
                        resource_id=resource_id,
                        member_id=member_id,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def remove_vote(self, ballot_id: int, resource_id: int, member_id: int) -> bool:
        result = self.s.exec(
            delete(ResourceVoteRow).where(
                col(ResourceVoteRow.ballot_id) == ballot_id,
                col(ResourceVoteRow.resource_id) == resource_id,
                col(ResourceVoteRow.member_id) == member_id,
            )
        )
        self.s.flush()
        return bool(result.rowcount)

    def member_votes(self, ballot_id: int, member_id: int) -> set[int]:
        rows = self.s.exec(
            select(ResourceVoteRow.resource_id).where(
                ResourceVoteRow.ballot_id == ballot_id, ResourceVoteRow.member_id == member_id
            )
        ).all()
        return set(rows)

    def tally(self, ballot_id: int) -> dict[int, int]:
        rows = self.s.exec(
            select(ResourceVoteRow.resource_id, func.count(col(ResourceVoteRow.id)))
            .where(ResourceVoteRow.ballot_id == ballot_id)
            .group_by(col(ResourceVoteRow.resource_id))
        ).all()
        return {int(rid): int(n) for rid, n in rows}

    def voters(self, ballot_id: int) -> int:
        found = self.s.exec(
            select(func.count(func.distinct(ResourceVoteRow.member_id))).where(
                ResourceVoteRow.ballot_id == ballot_id
            )
        ).first()
        return int(found or 0)

    # ------------------------------------------------------------ ratings

    def rate(self, resource_id: int, member_id: int, stars: int, now: datetime) -> bool:
        row = self.s.exec(
            select(ResourceRatingRow).where(
                ResourceRatingRow.resource_id == resource_id,
                ResourceRatingRow.member_id == member_id,
            )
        ).first()
        new = row is None
        if row is None:
            row = ResourceRatingRow(
                resource_id=resource_id, member_id=member_id, stars=stars, created_at=now
            )
        row.stars = stars
        self.s.add(row)
        self.s.flush()
        return new

    def ratings(self, resource_ids: list[int]) -> dict[int, RatingSummary]:
        if not resource_ids:
            return {}
        rows = self.s.exec(
            select(
                ResourceRatingRow.resource_id,
                func.avg(ResourceRatingRow.stars),
                func.count(col(ResourceRatingRow.id)),
            )
            .where(col(ResourceRatingRow.resource_id).in_(resource_ids))
            .group_by(col(ResourceRatingRow.resource_id))
        ).all()
        return {int(rid): RatingSummary(float(avg), int(n)) for rid, avg, n in rows}

    # ------------------------------------------------------------ forget-me

    def count_member_data(self, member_id: int) -> dict[str, int]:
        def count(model: Any, column: Any) -> int:
            found = self.s.exec(select(func.count()).select_from(model).where(column == member_id))
            return int(found.one())

        return {
            "votes": count(ResourceVoteRow, col(ResourceVoteRow.member_id)),
            "ratings": count(ResourceRatingRow, col(ResourceRatingRow.member_id)),
            "whys": count(ResourceWhyRow, col(ResourceWhyRow.member_id)),
        }


def attach(uow: Any, session: Session) -> None:
    uow.resources = SqlResourceRepo(session)
