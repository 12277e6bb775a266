"""Tracked channel posts: which platform message a stable key (``question:3:7``) names.

Only the community, the key and the platform's reference are stored (no member, no text,
no time), so editing or deleting a post later reveals nothing new about anyone.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, Session, SQLModel


class PostedMessageRow(SQLModel, table=True):
    __tablename__ = "posted_message"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(primary_key=True, max_length=100)
    ref: str = Field(max_length=200)


class SqlPostRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ref(self, community_id: int, key: str) -> str | None:
        row = self.session.get(PostedMessageRow, (community_id, key))
        return row.ref if row is not None else None

    def remember(self, community_id: int, key: str, ref: str) -> None:
        row = self.session.get(PostedMessageRow, (community_id, key))
        if row is None:
            self.session.add(PostedMessageRow(community_id=community_id, key=key, ref=ref))
        else:
            row.ref = ref
            self.session.add(row)
        self.session.flush()

    def forget(self, community_id: int, key: str) -> bool:
        row = self.session.get(PostedMessageRow, (community_id, key))
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True
