"""ml: model registry

Revision ID: ml_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ml_0001"
down_revision = "0001"
branch_labels = ("ml",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ml_model_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model_kind", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("train_start_ns", sa.BigInteger(), nullable=True),
        sa.Column("train_end_ns", sa.BigInteger(), nullable=True),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("code_version", sa.String(length=32), nullable=False),
        sa.Column("artefact_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("previous_production", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ml_model_versions", schema=None) as batch_op:
        batch_op.create_index("ix_ml_model_versions_name", ["name"], unique=False)
        batch_op.create_index("ix_ml_model_versions_stage", ["stage"], unique=False)
        batch_op.create_index("ux_ml_model_versions_name_version", ["name", "version"], unique=True)


def downgrade() -> None:
    op.drop_table("ml_model_versions")
