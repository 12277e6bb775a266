"""Anonymous questions: tables and repository.

No table here has a member column. Tokens (HMACs under the community's current key) live
only in the quota, block, blockable and vote tables, and ``purge_tokens`` deletes them all
when the key rotates. Question ids are random, so row order does not reveal arrival order.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, func, update
from sqlmodel import Field, Session, SQLModel, col, delete, select

from bot.features.questions.records import Question, QuestionKey
from storage.convert import to_record
from storage.models import community_fk

# On SQLite an INTEGER PRIMARY KEY is the rowid itself: random ids leave no hidden
# insertion-ordered rowid behind. PostgreSQL gets a BIGINT.
_ID = BigInteger().with_variant(Integer(), "sqlite")
_MAX_ID = 2**53


def _question_fk(primary_key: bool = False) -> Any:
    return Column(
        _ID,
        ForeignKey("question.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=not primary_key,
    )


class QuestionRow(SQLModel, table=True):
    __tablename__ = "question"

    id: int = Field(sa_column=Column(_ID, primary_key=True, autoincrement=False))
    community_id: int = Field(sa_column=community_fk())
    number: int | None = None
    status: str = Field(max_length=16)
    text: str = Field(max_length=1000)
    topic: str | None = Field(default=None, max_length=100)
    votes: int = 0
    code_hash: str = Field(max_length=64, unique=True)
    release_by: datetime | None = None
    released_at: datetime | None = None
    review_no: int | None = None
    answer: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=500)


class QuestionKeyRow(SQLModel, table=True):
    """The community's current HMAC key; rotation overwrites it (no history is kept)."""

    __tablename__ = "question_key"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    epoch: int
    secret: str = Field(max_length=64)
    rotates_at: datetime


class QuestionQuotaRow(SQLModel, table=True):
    """Questions asked per token per community-local day (the daily limit)."""

    __tablename__ = "question_quota"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    token: str = Field(primary_key=True, max_length=64)
    day: str = Field(primary_key=True, max_length=10)
    epoch: int
    count: int = 0


class QuestionBlockRow(SQLModel, table=True):
    __tablename__ = "question_block"

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    token: str = Field(primary_key=True, max_length=64)
    epoch: int
    until: datetime


class QuestionBlockableRow(SQLModel, table=True):
    """A question's author token, kept only so ``questions block`` works in this key window."""

    __tablename__ = "question_blockable"

    question_id: int = Field(sa_column=_question_fk(primary_key=True))
    community_id: int = Field(sa_column=community_fk())
    epoch: int
    token: str = Field(max_length=64)


class QuestionVoteRow(SQLModel, table=True):
    """Upvote de-duplication: one token per question per key window."""

    __tablename__ = "question_vote"

    question_id: int = Field(sa_column=_question_fk(primary_key=True))
    token: str = Field(primary_key=True, max_length=64)
    community_id: int = Field(sa_column=community_fk())
    epoch: int


def _question(row: QuestionRow) -> Question:
    return to_record(row, Question)


class SqlQuestionRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    # ------------------------------------------------------------ keys and tokens

    def key(self, community_id: int) -> QuestionKey | None:
        row = self.s.get(QuestionKeyRow, community_id)
        return to_record(row, QuestionKey) if row else None

    def save_key(
        self, community_id: int, epoch: int, secret: str, rotates_at: datetime
    ) -> QuestionKey:
        if self.s.get_bind().dialect.name == "sqlite":
            # Zero freed space so an overwritten key does not linger in the file's pages.
            self.s.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        row = self.s.get(QuestionKeyRow, community_id) or QuestionKeyRow(
            community_id=community_id, epoch=epoch, secret=secret, rotates_at=rotates_at
        )
        row.epoch, row.secret, row.rotates_at = epoch, secret, rotates_at
        self.s.add(row)
        self.s.flush()
        return to_record(row, QuestionKey)

    def purge_tokens(self, community_id: int) -> None:
        if self.s.get_bind().dialect.name == "sqlite":
            self.s.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        for table in (QuestionQuotaRow, QuestionBlockRow, QuestionBlockableRow, QuestionVoteRow):
            self.s.exec(delete(table).where(col(table.community_id) == community_id))
        self.s.flush()

    def asked_today(self, community_id: int, token: str, day: str) -> int:
        row = self.s.get(QuestionQuotaRow, (community_id, token, day))
        return row.count if row else 0

    def count_ask(self, community_id: int, epoch: int, token: str, day: str) -> None:
        # Older days are of no use: keep only today's counter for this token.
        self.s.exec(
            delete(QuestionQuotaRow).where(
                col(QuestionQuotaRow.community_id) == community_id,
                col(QuestionQuotaRow.token) == token,
                col(QuestionQuotaRow.day) != day,
            )
        )
        row = self.s.get(QuestionQuotaRow, (community_id, token, day)) or QuestionQuotaRow(
            community_id=community_id, token=token, day=day, epoch=epoch, count=0
        )
        row.count += 1
        self.s.add(row)
        self.s.flush()

    def blocked_until(self, community_id: int, token: str, now: datetime) -> datetime | None:
        row = self.s.get(QuestionBlockRow, (community_id, token))
        if row is None:
            return None
        if row.until <= now:
            self.s.delete(row)
            self.s.flush()
            return None
        return row.until

    def block(self, community_id: int, epoch: int, token: str, until: datetime) -> None:
        row = self.s.get(QuestionBlockRow, (community_id, token)) or QuestionBlockRow(
            community_id=community_id, token=token, epoch=epoch, until=until
        )
        row.until = max(row.until, until)
        self.s.add(row)
        self.s.flush()

    def set_blockable(self, question_id: int, epoch: int, token: str) -> None:
        q = self.s.get_one(QuestionRow, question_id)
        self.s.add(
            QuestionBlockableRow(
                question_id=question_id, community_id=q.community_id, epoch=epoch, token=token
            )
        )
        self.s.flush()

    def blockable(self, question_id: int) -> tuple[int, str] | None:
        row = self.s.get(QuestionBlockableRow, question_id)
        return (row.epoch, row.token) if row else None

    def add_vote(self, question_id: int, epoch: int, token: str) -> bool:
        if self.s.get(QuestionVoteRow, (question_id, token)) is not None:
            return False
        q = self.s.get_one(QuestionRow, question_id)
        self.s.add(
            QuestionVoteRow(
                question_id=question_id, token=token, community_id=q.community_id, epoch=epoch
            )
        )
        self.s.exec(
            update(QuestionRow)
            .where(col(QuestionRow.id) == question_id)
            .values(votes=QuestionRow.votes + 1)
        )
        self.s.flush()
        self.s.refresh(q)
        return True

    # ------------------------------------------------------------ questions

    def add(
        self,
        community_id: int,
        text: str,
        topic: str | None,
        code_hash: str,
        release_by: datetime,
    ) -> Question:
        new_id = secrets.randbelow(_MAX_ID - 1) + 1
        while self.s.get(QuestionRow, new_id) is not None:
            new_id = secrets.randbelow(_MAX_ID - 1) + 1
        row = QuestionRow(
            id=new_id,
            community_id=community_id,
            status="waiting",
            text=text,
            topic=topic,
            code_hash=code_hash,
            release_by=release_by,
        )
        self.s.add(row)
        self.s.flush()
        return _question(row)

    def get(self, question_id: int) -> Question | None:
        row = self.s.get(QuestionRow, question_id)
        return _question(row) if row else None

    def by_number(self, community_id: int, number: int) -> Question | None:
        row = self.s.exec(
            select(QuestionRow).where(
                QuestionRow.community_id == community_id, QuestionRow.number == number
            )
        ).first()
        return _question(row) if row else None

    def by_code(self, code_hash: str) -> Question | None:
        row = self.s.exec(select(QuestionRow).where(QuestionRow.code_hash == code_hash)).first()
        return _question(row) if row else None

    def by_review(self, community_id: int, review_no: int) -> Question | None:
        row = self.s.exec(
            select(QuestionRow).where(
                QuestionRow.community_id == community_id,
                QuestionRow.review_no == review_no,
                QuestionRow.status == "review",
            )
        ).first()
        return _question(row) if row else None

    def with_status(self, community_id: int, statuses: tuple[str, ...]) -> list[Question]:
        rows = self.s.exec(
            select(QuestionRow)
            .where(QuestionRow.community_id == community_id, col(QuestionRow.status).in_(statuses))
            .order_by(col(QuestionRow.id))
        ).all()
        return [_question(r) for r in rows]

    def top(self, community_id: int, statuses: tuple[str, ...], limit: int) -> list[Question]:
        rows = self.s.exec(
            select(QuestionRow)
            .where(QuestionRow.community_id == community_id, col(QuestionRow.status).in_(statuses))
            .order_by(col(QuestionRow.votes).desc(), col(QuestionRow.number))
            .limit(limit)
        ).all()
        return [_question(r) for r in rows]

    def max_number(self, community_id: int) -> int:
        found = self.s.exec(
            select(func.max(QuestionRow.number)).where(QuestionRow.community_id == community_id)
        ).first()
        return int(found or 0)

    def release(self, question_id: int, number: int, released_at: datetime) -> None:
        row = self.s.get_one(QuestionRow, question_id)
        row.number, row.status, row.released_at = number, "open", released_at
        row.release_by = None
        row.review_no = None
        self.s.add(row)
        self.s.flush()

    def set_status(
        self,
        question_id: int,
        status: str,
        *,
        review_no: int | None = None,
        reason: str | None = None,
        answer: str | None = None,
    ) -> None:
        row = self.s.get_one(QuestionRow, question_id)
        row.status = status
        row.review_no = review_no
        if reason is not None:
            row.reason = reason
        if answer is not None:
            row.answer = answer
        self.s.add(row)
        self.s.flush()

    def erase(self, question_id: int, status: str) -> None:
        """Withdrawn or hidden: the words and votes go, the number stays taken.

        The blockable token stays until rotation, so a hidden question can still be blocked.
        """
        if self.s.get_bind().dialect.name == "sqlite":
            self.s.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        row = self.s.get_one(QuestionRow, question_id)
        row.status, row.text, row.topic, row.answer = status, "", None, None
        row.release_by, row.review_no = None, None
        self.s.add(row)
        self.s.exec(delete(QuestionVoteRow).where(col(QuestionVoteRow.question_id) == question_id))
        self.s.flush()

    def review_numbers(self, community_id: int) -> set[int]:
        rows = self.s.exec(
            select(QuestionRow.review_no).where(
                QuestionRow.community_id == community_id, col(QuestionRow.review_no).is_not(None)
            )
        ).all()
        return {int(r) for r in rows if r is not None}


def attach(uow: Any, session: Session) -> None:
    uow.questions = SqlQuestionRepo(session)
