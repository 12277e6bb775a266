"""Pairing records and the repository protocol the core uses (storage/pairing.py has it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, cast

from bot.ports import UnitOfWork


@dataclass(frozen=True)
class Schedule:
    community_id: int
    every_days: int
    weekday: int  # 0 = Monday
    at: str  # "HH:MM", community-local wall clock
    size: int
    mode: str
    cooldown: int
    next_at: datetime | None  # aware UTC; None when stopped


@dataclass(frozen=True)
class OptIn:
    member_id: int
    community_id: int
    active: bool
    paused_until: date | None


@dataclass(frozen=True)
class Round:
    id: int
    community_id: int
    number: int
    seed: int
    mode: str
    size: int
    ran_at: datetime
    live_id: int | None
    participants: int
    repeats: int


@dataclass(frozen=True)
class Group:
    id: int
    round_id: int
    member_ids: tuple[int, ...]
    met: Mapping[int, str] = field(default_factory=dict)  # member id -> yes | planned | no


@dataclass(frozen=True)
class LiveSession:
    id: int
    community_id: int
    started_by: int | None
    rounds: int
    minutes: int
    mode: str
    size: int
    meeting_id: int | None
    status: str  # gathering | running | done
    current: int  # the round under way (0 while gathering)
    started_at: datetime
    ends_at: datetime | None  # end of the current round (or of the gathering window)


class PairingRepo(Protocol):
    def schedule(self, community_id: int) -> Schedule | None: ...
    def save_schedule(self, schedule: Schedule) -> None: ...
    def schedules(self) -> list[Schedule]: ...

    def opt_in(self, member_id: int) -> OptIn | None: ...
    def set_opt_in(
        self, community_id: int, member_id: int, active: bool, paused_until: date | None
    ) -> None: ...
    def opted_in(self, community_id: int) -> list[OptIn]: ...

    def exclude(self, community_id: int, member_id: int, other_id: int) -> bool: ...
    def unexclude(self, member_id: int, other_id: int) -> bool: ...
    def exclusions(self, community_id: int) -> list[tuple[int, int]]: ...

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
    ) -> Round: ...
    def rounds(self, community_id: int, live_id: int | None = None) -> list[Round]: ...
    def round(self, round_id: int) -> Round | None: ...
    def groups(self, round_ids: Sequence[int]) -> list[Group]: ...
    def set_met(self, round_id: int, member_id: int, answer: str) -> bool: ...

    def start_live(self, session: LiveSession) -> LiveSession: ...
    def live(self, live_id: int) -> LiveSession | None: ...
    def active_live(self, community_id: int) -> LiveSession | None: ...
    def update_live(self, live_id: int, **changes: Any) -> LiveSession: ...
    def join_live(self, live_id: int, member_id: int, from_round: int) -> bool: ...
    def live_members(self, live_id: int) -> dict[int, int]: ...  # member id -> from round

    def forget_member(self, member_id: int) -> tuple[int, bool, int]: ...


def repo(uow: UnitOfWork) -> PairingRepo:
    return cast(PairingRepo, uow.pairing)
