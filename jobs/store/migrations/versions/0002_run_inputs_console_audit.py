"""``runs.inputs`` (the hour's input files and compute settings, to recompute it) and the
``console_audit`` table (every edit saved from the console).

Each step checks first: a database created before migrations may already have either, because
the code of that time added them outside migrations.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "inputs" not in {c["name"] for c in inspector.get_columns("runs")}:
        op.add_column("runs", sa.Column("inputs", sa.Text))
    if not inspector.has_table("console_audit"):
        op.create_table(
            "console_audit",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime, nullable=False),
            sa.Column("user", sa.String(200), nullable=False), sa.Column("address", sa.String(200)),
            sa.Column("action", sa.String(32), nullable=False), sa.Column("hour", sa.DateTime),
            sa.Column("summary", sa.Text, nullable=False), sa.Column("rule", sa.Text),
            sa.Column("path", sa.Text), sa.Column("sha_before", sa.String(64)), sa.Column("sha_after", sa.String(64)),
            sa.Column("outcome", sa.Text),
        )
        op.create_index("ix_console_audit_at", "console_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_console_audit_at", table_name="console_audit")
    op.drop_table("console_audit")
    op.drop_column("runs", "inputs")
