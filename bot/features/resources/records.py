"""The resources feature's records and the repository protocol its storage implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from bot.ports import UnitOfWork

# Ballot states: waiting (opened with no candidates: the channel was asked for some),
# open (members vote), closed (tallied or decided by a pick), cancelled (meeting cancelled).
WAITING = "waiting"
OPEN = "open"
CLOSED = "closed"
CANCELLED = "cancelled"
LIVE = (WAITING, OPEN)


@dataclass(frozen=True)
class Resource:
    id: int
    community_id: int
    url: str  # cleaned: tracking parameters removed, host lower-cased, unsafe characters quoted
    url_key: str  # what duplicates are compared on
    title: str
    title_given: bool  # the member typed it (a look-up never overwrites it)
    why: str | None
    tags: tuple[str, ...]
    suggested_by: int | None  # member id; None once the suggester used forget-me
    created_at: datetime
    picked_meeting_id: int | None
    picked_at: datetime | None
    meeting_at: datetime | None  # the picked meeting's start, kept in step when it moves
    pick_mode: str | None  # vote, host or facilitator

    @property
    def picked(self) -> bool:
        return self.picked_meeting_id is not None


@dataclass(frozen=True)
class Why:
    member_id: int | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Ballot:
    id: int
    community_id: int
    meeting_id: int
    opens_at: datetime
    closes_at: datetime
    status: str
    candidates: tuple[int, ...]  # resource ids, in the order shown (newest first)
    picked_resource_id: int | None
    closed_at: datetime | None


@dataclass(frozen=True)
class RatingSummary:
    average: float
    count: int


class ResourceRepo(Protocol):
    # suggestions
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
    ) -> Resource: ...
    def get(self, community_id: int, resource_id: int) -> Resource | None: ...
    def by_key(self, community_id: int, url_key: str) -> Resource | None: ...
    def set_title(self, resource_id: int, title: str) -> None: ...
    def set_tags(self, resource_id: int, tags: tuple[str, ...]) -> None: ...
    def add_why(
        self, resource_id: int, member_id: int | None, text: str, now: datetime
    ) -> None: ...
    def whys(self, resource_id: int) -> list[Why]: ...
    def candidates(self, community_id: int, since: datetime, limit: int) -> list[Resource]: ...
    def delete(self, resource_id: int) -> None: ...
    def by_suggester(self, member_id: int) -> list[Resource]: ...

    # picks and the library
    def pick(
        self, resource_id: int, meeting_id: int, meeting_at: datetime, mode: str, now: datetime
    ) -> None: ...
    def unpick(self, resource_id: int) -> None: ...
    def picked_for(self, community_id: int, meeting_id: int) -> Resource | None: ...
    def move_meeting(self, community_id: int, meeting_id: int, meeting_at: datetime) -> None: ...
    def library(self, community_id: int) -> list[Resource]: ...

    # ballots and votes
    def add_ballot(
        self,
        community_id: int,
        meeting_id: int,
        opens_at: datetime,
        closes_at: datetime,
        status: str,
        candidates: tuple[int, ...],
    ) -> Ballot: ...
    def ballot_for(self, community_id: int, meeting_id: int) -> Ballot | None: ...
    def live_ballots(self, community_id: int) -> list[Ballot]: ...
    def last_closed_ballot(self, community_id: int) -> Ballot | None: ...
    def update_ballot(
        self,
        ballot_id: int,
        *,
        status: str | None = None,
        candidates: tuple[int, ...] | None = None,
        closes_at: datetime | None = None,
        picked_resource_id: int | None = None,
        closed_at: datetime | None = None,
    ) -> None: ...
    def add_vote(self, ballot_id: int, resource_id: int, member_id: int, now: datetime) -> bool:
        """Record a vote; False (and nothing written) if this member already voted for it."""
        ...

    def remove_vote(self, ballot_id: int, resource_id: int, member_id: int) -> bool: ...
    def member_votes(self, ballot_id: int, member_id: int) -> set[int]: ...
    def tally(self, ballot_id: int) -> dict[int, int]: ...
    def voters(self, ballot_id: int) -> int: ...

    # ratings
    def rate(self, resource_id: int, member_id: int, stars: int, now: datetime) -> bool:
        """Set a member's rating; True if new, False if it replaced their earlier one."""
        ...

    def ratings(self, resource_ids: list[int]) -> dict[int, RatingSummary]: ...

    # forget-me
    def count_member_data(self, member_id: int) -> dict[str, int]: ...


def repo(uow: UnitOfWork) -> ResourceRepo:
    """The resources repository attached to a unit of work (see storage/resources.py)."""
    return cast(ResourceRepo, uow.resources)
