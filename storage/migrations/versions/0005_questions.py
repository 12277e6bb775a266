"""questions: anonymous questions, the rotating key and its token tables

Revision ID: 0005_questions
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_questions"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("questions",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _community() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("community_id", sa.Integer(), nullable=False)


def _community_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE")


def _question_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("id", _ID, autoincrement=False, nullable=False),
        _community(),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("release_by", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("review_no", sa.Integer(), nullable=True),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        _community_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(op.f("ix_question_community_id"), "question", ["community_id"], unique=False)
    op.create_table(
        "question_key",
        _community(),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rotates_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _community_fk(),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "question_quota",
        _community(),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _community_fk(),
        sa.PrimaryKeyConstraint("community_id", "token", "day"),
    )
    op.create_table(
        "question_block",
        _community(),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _community_fk(),
        sa.PrimaryKeyConstraint("community_id", "token"),
    )
    op.create_table(
        "question_blockable",
        sa.Column("question_id", _ID, nullable=False),
        _community(),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        _community_fk(),
        _question_fk(),
        sa.PrimaryKeyConstraint("question_id"),
    )
    op.create_index(
        op.f("ix_question_blockable_community_id"),
        "question_blockable",
        ["community_id"],
        unique=False,
    )
    op.create_table(
        "question_vote",
        sa.Column("question_id", _ID, nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        _community(),
        sa.Column("epoch", sa.Integer(), nullable=False),
        _community_fk(),
        _question_fk(),
        sa.PrimaryKeyConstraint("question_id", "token"),
    )
    op.create_index(
        op.f("ix_question_vote_community_id"), "question_vote", ["community_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_question_vote_community_id"), table_name="question_vote")
    op.drop_table("question_vote")
    op.drop_index(op.f("ix_question_blockable_community_id"), table_name="question_blockable")
    op.drop_table("question_blockable")
    op.drop_table("question_block")
    op.drop_table("question_quota")
    op.drop_table("question_key")
    op.drop_index(op.f("ix_question_community_id"), table_name="question")
    op.drop_table("question")
