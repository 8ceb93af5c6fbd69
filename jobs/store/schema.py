"""The run database's tables (SQLAlchemy Core), defined once; Alembic migrations create and change them.

    >>> sorted(metadata.tables)[:4]
    ['bundles', 'channel_activity', 'console_audit', 'feeds']
    >>> [c.name for c in run_lock.c]
    ['name', 'owner', 'token', 'acquired_at', 'heartbeat_at', 'expires_at']

All times are naive UTC. This module is the *current* shape of the schema; a database reaches it
through the revisions in ``jobs/store/migrations/versions`` (:mod:`jobs.store.migrate`), never
through ``create_all``. Changing a table here means adding a revision there: a test compares a
migrated database with these tables on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime), sa.Column("finished_at", sa.DateTime),
    sa.Column("posts_read", sa.Integer), sa.Column("posts_accepted", sa.Integer),
    sa.Column("posts_rejected", sa.Integer), sa.Column("posts_in_hour", sa.Integer),
    sa.Column("queries_read", sa.Integer), sa.Column("queries_rejected", sa.Integer),
    sa.Column("issues_published", sa.Integer), sa.Column("feed_version", sa.String(64)),
    sa.Column("redis_published", sa.Boolean), sa.Column("file_published", sa.Boolean),
    sa.Column("stage_seconds", sa.Text), sa.Column("error", sa.Text),
    sa.Column("inputs", sa.Text),       # JSON: input files and the compute settings, to recompute the hour
)
keyword_stats = sa.Table(
    "keyword_stats", metadata,
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
channel_activity = sa.Table(
    "channel_activity", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("channel", sa.String(100), primary_key=True),
    sa.Column("posts", sa.Integer, nullable=False),
)
query_stats = sa.Table(
    "query_stats", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("query", sa.String(400), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)
issues = sa.Table(
    "issues", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("channel", sa.String(100), primary_key=True),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("issue_id", sa.String(40), nullable=False, index=True),
    sa.Column("keyword", sa.String(200), nullable=False),
    sa.Column("title", sa.String(400), nullable=False), sa.Column("title_source", sa.String(16)),
    sa.Column("score", sa.Float), sa.Column("facets", sa.Text), sa.Column("signals", sa.Text),
    sa.Column("pinned", sa.Boolean), sa.Column("state", sa.String(16)), sa.Column("onset", sa.DateTime),
)
bundles = sa.Table(
    "bundles", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("channel", sa.String(100), primary_key=True),
    sa.Column("issue_id", sa.String(40), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("post_id", sa.String(200), nullable=False),
    sa.Column("title", sa.Text), sa.Column("author_id", sa.String(200)), sa.Column("url", sa.Text),
    sa.Column("bundle_score", sa.Float),
)
rejects = sa.Table(
    "rejects", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("source", sa.String(500), primary_key=True),
    sa.Column("line", sa.Integer, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False), sa.Column("raw", sa.Text),
    sa.Column("first_hour", sa.DateTime),
)
feeds = sa.Table(
    "feeds", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)
run_lock = sa.Table(
    "run_lock", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(200)), sa.Column("token", sa.BigInteger, nullable=False),
    sa.Column("acquired_at", sa.DateTime), sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("expires_at", sa.DateTime),
)
run_attempts = sa.Table(
    "run_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hour", sa.DateTime, nullable=False, index=True),
    sa.Column("started_at", sa.DateTime), sa.Column("finished_at", sa.DateTime),
    sa.Column("status", sa.String(16), nullable=False), sa.Column("stage", sa.String(32)),
    sa.Column("error", sa.Text), sa.Column("owner", sa.String(200)), sa.Column("token", sa.BigInteger),
)
override_firings = sa.Table(        # every override rule that changed an hour's feed
    "override_firings", metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("rule", sa.String(16), nullable=False), sa.Column("line", sa.Integer),
    sa.Column("subject", sa.Text), sa.Column("channel", sa.String(100)), sa.Column("detail", sa.Text),
)
override_files = sa.Table(          # the text of every valid override file a run used
    "override_files", metadata,
    sa.Column("sha", sa.String(64), primary_key=True),
    sa.Column("path", sa.Text), sa.Column("text", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)
console_audit = sa.Table(           # every edit saved from the console (jobs.console.audit)
    "console_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("user", sa.String(200), nullable=False), sa.Column("address", sa.String(200)),
    sa.Column("action", sa.String(32), nullable=False), sa.Column("hour", sa.DateTime),
    sa.Column("summary", sa.Text, nullable=False), sa.Column("rule", sa.Text),
    sa.Column("path", sa.Text), sa.Column("sha_before", sa.String(64)), sa.Column("sha_after", sa.String(64)),
    sa.Column("outcome", sa.Text),
)
HOURLY_TABLES = (keyword_stats, channel_activity, query_stats, issues, bundles, feeds, override_firings)


def utc_now() -> datetime:
    """Now, as the naive UTC datetime the tables store."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
