"""What other features may ask about meetings (resources, pairing, questions use this).

Kept small and stable; the meetings feature implements it on its storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


# Implemented by the meetings feature:
#   get_meeting(uow, community_id, meeting_id) -> MeetingInfo | None
#   upcoming_meetings(uow, community_id, now, limit=10) -> list[MeetingInfo]
#   next_meeting(uow, community_id, now) -> MeetingInfo | None
#   rsvps(uow, meeting_id) -> dict[int, str]          member id -> "yes" | "no" | "maybe"
#   attendees(uow, meeting_id) -> list[int]           member ids recorded as attended
