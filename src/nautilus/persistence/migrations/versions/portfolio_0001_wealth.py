"""portfolio: clients, households, accounts, portfolios, transactions, securities, plans

Revision ID: portfolio_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "portfolio_0001"
down_revision = "0001"
branch_labels = ("portfolio",)
depends_on = None

DEC = 40


def _id(name: str = "id") -> sa.Column:
    return sa.Column(name, sa.String(length=32), nullable=False)


def upgrade() -> None:
    op.create_table(
        "portfolio_clients",
        _id(),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tax_rate_short", sa.String(length=DEC), nullable=False),
        sa.Column("tax_rate_long", sa.String(length=DEC), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_clients_owner_id", "portfolio_clients", ["owner_id"])
    op.create_table(
        "portfolio_households",
        _id(),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_households_owner_id", "portfolio_households", ["owner_id"])
    op.create_table(
        "portfolio_household_members",
        _id("household_id"),
        _id("client_id"),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("related_to", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["portfolio_households.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["portfolio_clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("household_id", "client_id", "role"),
    )
    op.create_table(
        "portfolio_accounts",
        _id(),
        _id("client_id"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("base_currency", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["portfolio_clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_accounts_client_id", "portfolio_accounts", ["client_id"])
    op.create_table(
        "portfolio_portfolios",
        _id(),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("lot_method", sa.String(length=16), nullable=False),
        sa.Column("model_weights", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=True),
        sa.Column("last_rebalance_ns", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["portfolio_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_portfolios_owner_id", "portfolio_portfolios", ["owner_id"])
    op.create_index("ix_portfolio_portfolios_account_id", "portfolio_portfolios", ["account_id"])
    op.create_table(
        "portfolio_transactions",
        _id(),
        _id("portfolio_id"),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.String(length=DEC), nullable=False),
        sa.Column("price", sa.String(length=DEC), nullable=False),
        sa.Column("amount", sa.String(length=DEC), nullable=False),
        sa.Column("fee", sa.String(length=DEC), nullable=False),
        sa.Column("ratio", sa.String(length=DEC), nullable=False),
        sa.Column("lot_ids", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio_portfolios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_portfolio_transactions_pf_ts", "portfolio_transactions", ["portfolio_id", "ts"]
    )
    op.create_table(
        "portfolio_securities",
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("price", sa.String(length=DEC), nullable=False),
        sa.Column("lot_size", sa.String(length=DEC), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("instrument_id"),
    )
    op.create_table(
        "portfolio_rebalances",
        _id(),
        _id("portfolio_id"),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio_portfolios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_portfolio_rebalances_portfolio_id", "portfolio_rebalances", ["portfolio_id"]
    )
    op.create_table(
        "portfolio_goals",
        _id(),
        _id("portfolio_id"),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio_portfolios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portfolio_goals_portfolio_id", "portfolio_goals", ["portfolio_id"])
    op.create_table(
        "portfolio_optimisation_inputs",
        _id(),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_portfolio_optimisation_inputs_owner_id", "portfolio_optimisation_inputs", ["owner_id"]
    )


def downgrade() -> None:
    for table in (
        "portfolio_optimisation_inputs",
        "portfolio_goals",
        "portfolio_rebalances",
        "portfolio_securities",
        "portfolio_transactions",
        "portfolio_portfolios",
        "portfolio_accounts",
        "portfolio_household_members",
        "portfolio_households",
        "portfolio_clients",
    ):
        op.drop_table(table)
