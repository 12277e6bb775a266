"""posts: tracked channel posts (community, key -> platform message reference)

Revision ID: 0006_posts
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_posts"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("posts",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "posted_message",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("posted_message")
