"""Create products.

Revision ID: products_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models import columns as sql

revision = "products_0001"
down_revision = None
branch_labels = ("products",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sql.UUID, nullable=False),
        sa.Column("sku", sql.Text(64), nullable=False),
        sa.Column("name", sql.Text(200), nullable=False),
        sa.Column("price", sql.Money(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sql.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sql.UTCDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
        mysql_charset="utf8mb4",
    )
    op.create_index("ix_products_name", "products", ["name"])
    op.create_index("ix_products_created_at_id", "products", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("products")
