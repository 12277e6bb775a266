"""What other features may ask about meetings (resources, pairing, questions use this).

Kept small and stable; the meetings feature implements it on its storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.ports import UnitOfWork


@dataclass(frozen=True)
class MeetingInfo:
    id: int  # one occurrence; a series has one row per occurrence
    community_id: int
    title: str
    starts_at: datetime  # aware UTC
    ends_at: datetime
    chatham: bool
    host_member_id: int | None
    host_confirmed: bool
    series_id: int | None
    status: str  # "scheduled", "cancelled"
    where: str | None = None


def get_meeting(uow: UnitOfWork, community_id: int, meeting_id: int) -> MeetingInfo | None:
    """One occurrence of this community (cancelled ones too), or None."""
    from bot.features.meetings.records import repo

    found = repo(uow).get(meeting_id)
    if found is None or found.community_id != community_id:
        return None
    return found.info()


def upcoming_meetings(
    uow: UnitOfWork, community_id: int, now: datetime, limit: int = 10
) -> list[MeetingInfo]:
    """Scheduled (not cancelled) occurrences that have not ended yet, soonest first."""
    from bot.features.meetings.records import repo

    return [m.info() for m in repo(uow).upcoming(community_id, now, limit)]


def next_meeting(uow: UnitOfWork, community_id: int, now: datetime) -> MeetingInfo | None:
    """The next scheduled occurrence that has not started yet."""
    for meeting in upcoming_meetings(uow, community_id, now, limit=5):
        if meeting.starts_at > now:
            return meeting
    return None


def rsvps(uow: UnitOfWork, meeting_id: int) -> dict[int, str]:
    """Member id -> "yes" | "no" | "maybe" for one occurrence."""
    from bot.features.meetings.records import repo

    return repo(uow).rsvps(meeting_id)


def attendees(uow: UnitOfWork, meeting_id: int) -> list[int]:
    """Member ids recorded as attended (from yes RSVPs once it ended, as the host corrected)."""
    from bot.features.meetings.records import repo

    return repo(uow).attendees(meeting_id)
