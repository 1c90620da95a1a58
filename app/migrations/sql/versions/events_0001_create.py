"""Create events.

Revision ID: events_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models import columns as sql

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sql.UUID, nullable=False),
        sa.Column("type", sql.Text(64), nullable=False),
        sa.Column("user_id", sql.UUID, nullable=True),
        sa.Column("product_id", sql.UUID, nullable=True),
        sa.Column("properties", sql.Json, nullable=False),
        sa.Column("occurred_at", sql.UTCDateTime(), nullable=False),
        sa.Column("created_at", sql.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sql.UTCDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        mysql_charset="utf8mb4",
    )
    op.create_index("ix_events_type", "events", ["type"])
    op.create_index("ix_events_user_id", "events", ["user_id"])
    op.create_index("ix_events_product_id", "events", ["product_id"])
    op.create_index("ix_events_created_at_id", "events", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("events")
