"""pairing: opt-ins, schedule, exclusions, rounds, groups, live sessions

Revision ID: 0004_pairing
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_pairing"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("pairing",)
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "pairing_schedule",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at", S(length=5), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mode", S(length=16), nullable=False),
        sa.Column("cooldown", sa.Integer(), nullable=False),
        sa.Column("next_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "pairing_optin",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_index("ix_pairing_optin_community_id", "pairing_optin", ["community_id"])
    op.create_table(
        "pairing_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "other_id"),
    )
    op.create_index("ix_pairing_exclusion_community_id", "pairing_exclusion", ["community_id"])
    op.create_index("ix_pairing_exclusion_member_id", "pairing_exclusion", ["member_id"])
    op.create_table(
        "pairing_live",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("mode", S(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("started_at", T(), nullable=False),
        sa.Column("ends_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pairing_live_community_id", "pairing_live", ["community_id"])
    op.create_table(
        "pairing_live_member",
        sa.Column("live_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_round", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["live_id"], ["pairing_live.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("live_id", "member_id"),
    )
    op.create_table(
        "pairing_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("mode", S(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("ran_at", T(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["live_id"], ["pairing_live.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pairing_round_community_id", "pairing_round", ["community_id"])
    op.create_index("ix_pairing_round_live_id", "pairing_round", ["live_id"])
    op.create_table(
        "pairing_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["pairing_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pairing_group_round_id", "pairing_group", ["round_id"])
    op.create_table(
        "pairing_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("met", S(length=8), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["pairing_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("pairing_group_member")
    op.drop_index("ix_pairing_group_round_id", table_name="pairing_group")
    op.drop_table("pairing_group")
    op.drop_index("ix_pairing_round_live_id", table_name="pairing_round")
    op.drop_index("ix_pairing_round_community_id", table_name="pairing_round")
    op.drop_table("pairing_round")
    op.drop_table("pairing_live_member")
    op.drop_index("ix_pairing_live_community_id", table_name="pairing_live")
    op.drop_table("pairing_live")
    op.drop_index("ix_pairing_exclusion_member_id", table_name="pairing_exclusion")
    op.drop_index("ix_pairing_exclusion_community_id", table_name="pairing_exclusion")
    op.drop_table("pairing_exclusion")
    op.drop_index("ix_pairing_optin_community_id", table_name="pairing_optin")
    op.drop_table("pairing_optin")
