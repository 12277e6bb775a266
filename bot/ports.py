"""The small ports the core needs from the world: clock, chat, storage.

The core never imports slack_bolt, discord, sqlmodel or apscheduler; adapters and
storage/ implement these protocols, tests use fakes or the real SQLite storage.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from bot.replies import Outgoing, Place

# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Community:
    id: int
    platform: str
    workspace: str
    channel: str
    name: str
    timezone: str
    created_at: datetime

    @property
    def place(self) -> Place:
        return Place(self.platform, self.workspace, self.channel)


@dataclass(frozen=True)
class Member:
    id: int
    community_id: int
    user_id: str  # the platform's user id (Slack U…, Discord snowflake, console name)
    display_name: str
    is_facilitator: bool
    joined_at: datetime


@dataclass(frozen=True)
class Profile:
    member_id: int
    sector: str | None = None
    organisation: str | None = None
    topics: tuple[str, ...] = ()
    level: str | None = None
    region: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class DueJob:
    id: int
    community_id: int | None
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    key: str | None


# ---------------------------------------------------------------- ports


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True)
class Delivery:
    ok: bool
    reason: str | None = None  # e.g. "dm_closed", "not_found", "error"
    # For a delivered ChannelPost: the platform's reference to the message, e.g. Slack
    # "C123:1700000000.000100", Discord "<channel id>:<message id>", console "3".
    ref: str | None = None


class Chat(Protocol):
    """One method for every kind of Outgoing.

    ChannelPost, DirectMessage, GroupMessage send; EditPost replaces and DeletePost removes
    the message named by its ``ref`` (a ref this chat returned from an earlier send).
    A message that no longer exists gives ``Delivery(ok=False, reason="not_found")``.
    """

    async def send(self, message: Outgoing) -> Delivery: ...


class PostRepo(Protocol):
    """Where tracked channel posts went: (community, key) -> the platform's message ref.

    Holds nothing else: no member, no text, no time."""

    def ref(self, community_id: int, key: str) -> str | None: ...
    def remember(self, community_id: int, key: str, ref: str) -> None: ...
    def forget(self, community_id: int, key: str) -> bool: ...


class CommunityRepo(Protocol):
    def get(self, place: Place) -> Community | None: ...
    def by_id(self, community_id: int) -> Community | None: ...
    def create(self, place: Place, name: str, timezone: str, now: datetime) -> Community: ...
    def update(self, community_id: int, *, name: str, timezone: str) -> Community: ...
    def all(self) -> list[Community]: ...
    def settings(self, community_id: int) -> dict[str, str]: ...
    def set_setting(self, community_id: int, key: str, value: str) -> None: ...


class MemberRepo(Protocol):
    def get(self, community_id: int, user_id: str) -> Member | None: ...
    def by_id(self, member_id: int) -> Member | None: ...
    def by_name(self, community_id: int, name: str) -> list[Member]: ...
    def add(
        self,
        community_id: int,
        user_id: str,
        display_name: str,
        now: datetime,
        facilitator: bool = False,
    ) -> Member: ...
    def rename(self, member_id: int, display_name: str) -> None: ...
    def set_facilitator(self, member_id: int, value: bool) -> None: ...
    def list(self, community_id: int) -> list[Member]: ...
    def delete(self, member_id: int) -> None: ...
    def dm_blocked(self, member_id: int) -> bool: ...
    def mark_dm_blocked(self, member_id: int, now: datetime) -> bool: ...
    def clear_dm_blocked(self, member_id: int) -> None: ...
    def memberships(
        self, platform: str, user_id: str
    ) -> builtins.list[tuple[Community, Member]]: ...


class ProfileRepo(Protocol):
    def get(self, member_id: int) -> Profile | None: ...
    def save(self, profile: Profile, now: datetime) -> None: ...
    def list(self, community_id: int) -> list[tuple[Member, Profile | None]]: ...
    def delete(self, member_id: int) -> bool: ...


class JobRepo(Protocol):
    """Due work as database rows (see bot/scheduler.py for the claim protocol)."""

    def add(
        self,
        kind: str,
        due_at: datetime,
        payload: Mapping[str, Any] | None = None,
        community_id: int | None = None,
        key: str | None = None,
        expires_at: datetime | None = None,
    ) -> int:
        """Add a job; with ``key``, replace any pending job with the same key.

        A job still pending at ``expires_at`` is dropped rather than run late.
        """
        ...

    def cancel(self, key_prefix: str, community_id: int | None = None) -> int:
        """Delete pending jobs whose key starts with ``key_prefix``; returns how many."""
        ...

    def pending(self, key_prefix: str, community_id: int | None = None) -> list[DueJob]: ...

    def next_due(self) -> datetime | None: ...

    def claim(
        self, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[DueJob]: ...

    def finish(self, job_id: int, worker: str, now: datetime) -> bool:
        """Mark done; False if another worker reclaimed the job (the caller rolls back)."""
        ...

    def release(self, job_id: int, worker: str, retry_at: datetime, error: str) -> None: ...

    def attempts(self, job_id: int) -> int: ...


class UnitOfWork(Protocol):
    """One transaction. Feature repositories hang off it as attributes (see storage/uow.py)."""

    communities: CommunityRepo
    members: MemberRepo
    profiles: ProfileRepo
    jobs: JobRepo
    posts: PostRepo

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __getattr__(self, name: str) -> Any: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
