"""Create users.

Revision ID: users_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models import columns as sql

revision = "users_0001"
down_revision = None
branch_labels = ("users",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sql.UUID, nullable=False),
        sa.Column("email", sql.Text(320), nullable=False),
        sa.Column("name", sql.Text(100), nullable=False),
        sa.Column("created_at", sql.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sql.UTCDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        mysql_charset="utf8mb4",
    )
    op.create_index("ix_users_name", "users", ["name"])
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("users")
