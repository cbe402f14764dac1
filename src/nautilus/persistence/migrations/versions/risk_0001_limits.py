"""risk engine: limits, portfolio assignment, denials, alerts, trading states

Revision ID: risk_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "risk_0001"
down_revision = "0001"
branch_labels = ("risk",)
depends_on = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "risk_limits",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "risk_portfolios",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("portfolio_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_risk_portfolios_portfolio_id", "risk_portfolios", ["portfolio_id"])
    op.create_table(
        "risk_denials",
        sa.Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("strategy_id", sa.String(64), nullable=True),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", sa.String(64), nullable=False),
        sa.Column("price", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("code", sa.String(48), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(48), nullable=True),
    )
    op.create_index("ix_risk_denials_code", "risk_denials", ["code"])
    op.create_index("ix_risk_denials_account_ts", "risk_denials", ["account_id", "ts_event"])
    op.create_table(
        "risk_alerts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("limit", sa.Float(), nullable=False),
        sa.Column("utilisation", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_risk_alerts_ts_event", "risk_alerts", ["ts_event"])
    op.create_index("ix_risk_alerts_account_id", "risk_alerts", ["account_id"])
    op.create_index("ix_risk_alerts_severity", "risk_alerts", ["severity"])
    op.create_table(
        "risk_states",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("risk_states", "risk_alerts", "risk_denials", "risk_portfolios", "risk_limits"):
        op.drop_table(table)
