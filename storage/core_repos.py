"""Repositories for the foundation tables: communities, settings, members, profiles."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from bot.ports import Community, Member, Profile
from bot.replies import Place
from storage.convert import to_record
from storage.models import CommunityRow, MemberRow, ProfileRow, SettingRow


class SqlCommunityRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, place: Place) -> Community | None:
        row = self.s.exec(
            select(CommunityRow).where(
                CommunityRow.platform == place.platform,
                CommunityRow.workspace == place.workspace,
                CommunityRow.channel == place.channel,
            )
        ).first()
        return to_record(row, Community) if row else None

    def by_id(self, community_id: int) -> Community | None:
        row = self.s.get(CommunityRow, community_id)
        return to_record(row, Community) if row else None

    def create(self, place: Place, name: str, timezone: str, now: datetime) -> Community:
        row = CommunityRow(
            platform=place.platform,
            workspace=place.workspace,
            channel=place.channel,
            name=name,
            timezone=timezone,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return to_record(row, Community)

    def update(self, community_id: int, *, name: str, timezone: str) -> Community:
        row = self.s.get_one(CommunityRow, community_id)
        row.name, row.timezone = name, timezone
        self.s.add(row)
        self.s.flush()
        return to_record(row, Community)

    def all(self) -> list[Community]:
        rows = self.s.exec(select(CommunityRow).order_by(col(CommunityRow.id))).all()
        return [to_record(r, Community) for r in rows]

    def settings(self, community_id: int) -> dict[str, str]:
        rows = self.s.exec(select(SettingRow).where(SettingRow.community_id == community_id))
        return {r.key: r.value for r in rows}

    def set_setting(self, community_id: int, key: str, value: str) -> None:
        row = self.s.get(SettingRow, (community_id, key))
        if row is None:
            row = SettingRow(community_id=community_id, key=key, value=value)
        row.value = value
        self.s.add(row)
        self.s.flush()


class SqlMemberRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, community_id: int, user_id: str) -> Member | None:
        row = self.s.exec(
            select(MemberRow).where(
                MemberRow.community_id == community_id, MemberRow.user_id == user_id
            )
        ).first()
        return to_record(row, Member) if row else None

    def by_id(self, member_id: int) -> Member | None:
        row = self.s.get(MemberRow, member_id)
        return to_record(row, Member) if row else None

    def by_name(self, community_id: int, name: str) -> list[Member]:
        rows = self.s.exec(
            select(MemberRow).where(
                MemberRow.community_id == community_id,
                func.lower(MemberRow.display_name) == name.lower(),
            )
        ).all()
        return [to_record(r, Member) for r in rows]

    def add(
        self,
        community_id: int,
        user_id: str,
        display_name: str,
        now: datetime,
        facilitator: bool = False,
    ) -> Member:
        row = MemberRow(
            community_id=community_id,
            user_id=user_id,
            display_name=display_name[:100],
            is_facilitator=facilitator,
            joined_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return to_record(row, Member)

    def rename(self, member_id: int, display_name: str) -> None:
        row = self.s.get_one(MemberRow, member_id)
        row.display_name = display_name[:100]
        self.s.add(row)
        self.s.flush()

    def set_facilitator(self, member_id: int, value: bool) -> None:
        row = self.s.get_one(MemberRow, member_id)
        row.is_facilitator = value
        self.s.add(row)
        self.s.flush()

    def dm_blocked(self, member_id: int) -> bool:
        row = self.s.get(MemberRow, member_id)
        return bool(row and row.dm_blocked_at is not None)

    def mark_dm_blocked(self, member_id: int, now: datetime) -> bool:
        """Flag a member whose DMs are closed; True the first time only."""
        row = self.s.get_one(MemberRow, member_id)
        if row.dm_blocked_at is not None:
            return False
        row.dm_blocked_at = now
        self.s.add(row)
        self.s.flush()
        return True

    def clear_dm_blocked(self, member_id: int) -> None:
        self.s.exec(
            update(MemberRow)
            .where(col(MemberRow.id) == member_id, col(MemberRow.dm_blocked_at).is_not(None))
            .values(dm_blocked_at=None)
        )

    def list(self, community_id: int) -> list[Member]:
        rows = self.s.exec(
            select(MemberRow)
            .where(MemberRow.community_id == community_id)
            .order_by(func.lower(MemberRow.display_name), col(MemberRow.id))
        ).all()
        return [to_record(r, Member) for r in rows]

    def delete(self, member_id: int) -> None:
        self.s.exec(delete(MemberRow).where(col(MemberRow.id) == member_id))
        self.s.flush()

    def memberships(self, platform: str, user_id: str) -> builtins.list[tuple[Community, Member]]:
        rows = self.s.exec(
            select(CommunityRow, MemberRow)
            .join(MemberRow, col(MemberRow.community_id) == col(CommunityRow.id))
            .where(CommunityRow.platform == platform, MemberRow.user_id == user_id)
            .order_by(col(CommunityRow.id))
        ).all()
        return [(to_record(c, Community), to_record(m, Member)) for c, m in rows]


def _topics(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


class SqlProfileRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, member_id: int) -> Profile | None:
        row = self.s.get(ProfileRow, member_id)
        return to_record(row, Profile, topics=_topics(row.topics)) if row else None

    def save(self, profile: Profile, now: datetime) -> None:
        row = self.s.get(ProfileRow, profile.member_id) or ProfileRow(
            member_id=profile.member_id, updated_at=now
        )
        row.sector = profile.sector
        row.organisation = profile.organisation
        row.topics = ", ".join(profile.topics)
        row.level = profile.level
        row.region = profile.region
        row.timezone = profile.timezone
        row.updated_at = now
        self.s.add(row)
        self.s.flush()

    def list(self, community_id: int) -> list[tuple[Member, Profile | None]]:
        rows = self.s.exec(
            select(MemberRow, ProfileRow)
            .join(ProfileRow, col(ProfileRow.member_id) == col(MemberRow.id), isouter=True)
            .where(MemberRow.community_id == community_id)
            .order_by(func.lower(MemberRow.display_name), col(MemberRow.id))
        ).all()
        return [
            (
                to_record(m, Member),
                to_record(p, Profile, topics=_topics(p.topics)) if p is not None else None,
            )
            for m, p in rows
        ]

    def delete(self, member_id: int) -> bool:
        row = self.s.get(ProfileRow, member_id)
        if row is None:
            return False
        self.s.delete(row)
        self.s.flush()
        return True
