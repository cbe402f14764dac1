"""execution: accounts, orders and order events of the OMS

Revision ID: execution_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "execution_0001"
down_revision = "0001"
branch_labels = ("execution",)
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "execution_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("starting_cash", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_execution_accounts_owner_id", "execution_accounts", ["owner_id"])
    op.create_table(
        "execution_orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("seq", _ID, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled_qty", sa.String(length=40), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
        sa.Column("ts_last", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["execution_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_order_id"),
    )
    op.create_index("ix_execution_orders_account_id", "execution_orders", ["account_id"])
    op.create_index("ix_execution_orders_account_seq", "execution_orders", ["account_id", "seq"])
    op.create_table(
        "execution_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_execution_events_client_order_id", "execution_events", ["client_order_id"])
    op.create_index("ix_execution_events_account_id", "execution_events", ["account_id", "id"])
    op.create_index(
        "ux_execution_events_trade", "execution_events", ["account_id", "trade_id"], unique=True
    )


def downgrade() -> None:
    op.drop_table("execution_events")
    op.drop_table("execution_orders")
    op.drop_index("ix_execution_accounts_owner_id", table_name="execution_accounts")
    op.drop_table("execution_accounts")
