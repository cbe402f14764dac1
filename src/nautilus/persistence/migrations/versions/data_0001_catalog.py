"""data engine: instruments catalogue, corporate actions, backfill checkpoints, markers

Revision ID: data_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0001"
down_revision = "0001"
branch_labels = ("data",)
depends_on = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "data_instruments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(48), nullable=False),
        sa.Column("venue", sa.String(16), nullable=False),
        sa.Column("asset_class", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("calendar", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_data_instruments_symbol", "data_instruments", ["symbol"])
    op.create_index("ix_data_instruments_venue", "data_instruments", ["venue"])
    op.create_index("ix_data_instruments_asset_class", "data_instruments", ["asset_class"])
    op.create_table(
        "data_corporate_actions",
        sa.Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("ex_ts", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_index(
        "ux_data_corp_actions_key",
        "data_corporate_actions",
        ["instrument_id", "ex_ts", "kind"],
        unique=True,
    )
    op.create_table(
        "data_backfill_checkpoints",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("end_ns", sa.BigInteger(), nullable=False),
        sa.Column("next_ns", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_data_backfill_checkpoints_instrument_id",
        "data_backfill_checkpoints",
        ["instrument_id"],
    )
    op.create_table(
        "data_markers",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_markers")
    op.drop_table("data_backfill_checkpoints")
    op.drop_index("ux_data_corp_actions_key", table_name="data_corporate_actions")
    op.drop_table("data_corporate_actions")
    for col in ("asset_class", "venue", "symbol"):
        op.drop_index(f"ix_data_instruments_{col}", table_name="data_instruments")
    op.drop_table("data_instruments")
