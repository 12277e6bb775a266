"""SQLModel tables. Every row that belongs to a community carries its ``community_id``.

Feature tables live in their own modules (storage/meetings.py, …) and are imported by
``storage.tables`` so that Alembic and ``metadata`` see them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def community_fk() -> Any:
    """A community foreign key that removes the row with its community."""
    return Column(
        Integer, ForeignKey("community.id", ondelete="CASCADE"), nullable=False, index=True
    )


def member_fk(nullable: bool = False) -> Any:
    """A member foreign key: forget-me deletes the member and, with it, these rows."""
    return Column(
        Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=nullable, index=True
    )


class CommunityRow(SQLModel, table=True):
    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64)
    channel: str = Field(max_length=64)
    name: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    created_at: datetime


class SettingRow(SQLModel, table=True):
    __tablename__ = "community_setting"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)


class MemberRow(SQLModel, table=True):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(sa_column=community_fk())
    user_id: str = Field(max_length=64)
    display_name: str = Field(max_length=100)
    is_facilitator: bool = False
    joined_at: datetime
    dm_blocked_at: datetime | None = None  # DMs bounced; facilitators were told once


class ProfileRow(SQLModel, table=True):
    __tablename__ = "profile"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    sector: str | None = Field(default=None, max_length=32)
    organisation: str | None = Field(default=None, max_length=200)
    topics: str = Field(default="", max_length=1000)  # comma-separated, as the member typed
    level: str | None = Field(default=None, max_length=16)
    region: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    updated_at: datetime


class JobRow(SQLModel, table=True):
    """Due work: one row per reminder, release or round; claimed by one worker at a time."""

    __tablename__ = "job"
    __table_args__ = (
        # The tick's query only ever looks at undone rows in due order.
        Index(
            "ix_job_pending_due",
            "due_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("ix_job_key", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), nullable=True),
    )
    kind: str = Field(max_length=64)
    key: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime
    expires_at: datetime | None = None  # due work past this is dropped, not run late
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    done_at: datetime | None = None
