"""The schema as it was when migrations were introduced: every table but ``console_audit``,
``runs`` without ``inputs``.

A database created before migrations (by ``create_all``, no ``alembic_version`` table) is
stamped at this revision by :mod:`jobs.store.migrate` and upgraded from here.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime), sa.Column("finished_at", sa.DateTime),
        sa.Column("posts_read", sa.Integer), sa.Column("posts_accepted", sa.Integer),
        sa.Column("posts_rejected", sa.Integer), sa.Column("posts_in_hour", sa.Integer),
        sa.Column("queries_read", sa.Integer), sa.Column("queries_rejected", sa.Integer),
        sa.Column("issues_published", sa.Integer), sa.Column("feed_version", sa.String(64)),
        sa.Column("redis_published", sa.Boolean), sa.Column("file_published", sa.Boolean),
        sa.Column("stage_seconds", sa.Text), sa.Column("error", sa.Text),
    )
    op.create_table(
        "keyword_stats",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("keyword", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("posts", sa.Integer, nullable=False), sa.Column("authors", sa.Integer, nullable=False),
        sa.Column("title_hits", sa.Integer, nullable=False), sa.Column("score_sum", sa.Float),
        sa.Column("top_author_share", sa.Float), sa.Column("query_volume", sa.BigInteger),
        sa.Column("author_entropy", sa.Float), sa.Column("influential", sa.Float), sa.Column("channels", sa.Integer),
        sa.Column("expected", sa.Float), sa.Column("expected_posts", sa.Float), sa.Column("expected_queries", sa.Float),
        sa.Column("surprise", sa.Float), sa.Column("surprise_posts", sa.Float), sa.Column("surprise_queries", sa.Float),
        sa.Column("q_value", sa.Float), sa.Column("score", sa.Float),
        sa.Column("is_issue", sa.Boolean, nullable=False), sa.Column("masked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "channel_activity",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("posts", sa.Integer, nullable=False),
    )
    op.create_table(
        "query_stats",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("query", sa.String(400), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "issues",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("issue_id", sa.String(40), nullable=False),
        sa.Column("keyword", sa.String(200), nullable=False),
        sa.Column("title", sa.String(400), nullable=False), sa.Column("title_source", sa.String(16)),
        sa.Column("score", sa.Float), sa.Column("facets", sa.Text), sa.Column("signals", sa.Text),
        sa.Column("pinned", sa.Boolean), sa.Column("state", sa.String(16)), sa.Column("onset", sa.DateTime),
    )
    op.create_index("ix_issues_issue_id", "issues", ["issue_id"])
    op.create_table(
        "bundles",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("issue_id", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text), sa.Column("author_id", sa.String(200)), sa.Column("url", sa.Text),
        sa.Column("bundle_score", sa.Float),
    )
    op.create_table(
        "rejects",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(500), primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False), sa.Column("raw", sa.Text),
        sa.Column("first_hour", sa.DateTime),
    )
    op.create_table(
        "feeds",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_table(
        "run_lock",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(200)), sa.Column("token", sa.BigInteger, nullable=False),
        sa.Column("acquired_at", sa.DateTime), sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("expires_at", sa.DateTime),
    )
    op.create_table(
        "run_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hour", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime), sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("stage", sa.String(32)),
        sa.Column("error", sa.Text), sa.Column("owner", sa.String(200)), sa.Column("token", sa.BigInteger),
    )
    op.create_index("ix_run_attempts_hour", "run_attempts", ["hour"])
    op.create_table(
        "override_firings",
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("rule", sa.String(16), nullable=False), sa.Column("line", sa.Integer),
        sa.Column("subject", sa.Text), sa.Column("channel", sa.String(100)), sa.Column("detail", sa.Text),
    )
    op.create_table(
        "override_files",
        sa.Column("sha", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text), sa.Column("text", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("override_files", "override_firings", "run_attempts", "run_lock", "feeds", "rejects",
                 "bundles", "issues", "query_stats", "channel_activity", "keyword_stats", "runs"):
        op.drop_table(name)
