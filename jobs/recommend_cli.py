"""The ``train-recommender`` and ``recommend`` subcommands, registered on the lead's CLI.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> add_recommender_commands(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["recommend", "--model-dir", "var/reco", "--no-redis"])
    >>> args.func.__name__
    'run_recommend'

Usage::

    issuewire train-recommender --interactions data/interactions.csv --items data/items.csv \\
        [--model-dir var/recommender] [--validation-feed var/feed/20260213T20.json] \\
        [--rating-threshold 3] [--min-count 10] [--validation-days 7] [--epochs 100] [--threads 2]
    issuewire recommend [--model-dir var/recommender] [--feed-file var/feed/{hour}.json --hour H] \\
        [--out var/recommender/export.jsonl] [--redis-url redis://127.0.0.1:6379/0] \\
        [--prefix issuewire] [--no-redis] [--issue-weight W] [--users u1,u2]

Exit codes: 0 done (``train-recommender``: also when the candidate was kept but not
promoted - the output says so), 1 a recommender/data/export error (one line on stderr),
2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_recommender_commands", "run_train", "run_recommend"]


def _settings(args):
    from jobs.recommend import RecommenderSettings
    from recommender.data import DataSettings

    threshold = None if args.rating_threshold is not None and args.rating_threshold < 0 else args.rating_threshold
    data = DataSettings(rating_threshold=threshold, min_user_count=args.min_count, min_item_count=args.min_count)
    return RecommenderSettings(model_dir=args.model_dir, data=data,
                               validation_days=getattr(args, "validation_days", 7.0),
                               vae_epochs=getattr(args, "epochs", 100), threads=args.threads,
                               seed=getattr(args, "seed", 0), top_k=args.top_k,
                               progress=not getattr(args, "no_progress", False))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def run_train(args) -> int:
    from jobs.recommend import train_recommender
    from recommender.base import RecommenderError

    try:
        out = train_recommender(_settings(args), args.interactions, args.items, args.validation_feed)
    except (RecommenderError, OSError, ValueError) as e:
        return _fail(str(e))
    verdict = "promoted to current" if out["promoted"] else "NOT promoted (worse than current)"
    print(f"model {out['version']} {verdict}; validation {json.dumps(out['metrics'])}; "
          f"current {json.dumps(out['current_metrics'])}; issue weight {out['issue']['weight']} "
          f"({out['issue'].get('note', '')}); data {out['fingerprint']}")
    return 0


def run_recommend(args) -> int:
    from jobs.recommend import recommend
    from recommender.base import RecommenderError

    feed = args.feed_file
    if feed and "{hour}" in feed:
        if not args.hour:
            return _fail("--feed-file contains {hour}: give --hour")
        import pandas as pd
        feed = feed.replace("{hour}", pd.Timestamp(args.hour).strftime("%Y%m%dT%H"))
    client = None
    try:
        if not args.no_redis:
            import redis
            client = redis.Redis.from_url(args.redis_url)
        users = None
        if args.users:
            users = args.users.split(",")
        meta = recommend(_settings(args), feed_path=feed, out_path=args.out, redis_client=client,
                         redis_prefix=args.prefix, users=users, issue_weight=args.issue_weight)
    except (RecommenderError, OSError, ValueError) as e:
        return _fail(str(e))
    print(f"exported {meta['n_users']} users as {meta['version']} "
          f"({meta['issue_note']}; {meta['n_boosted_items']} boosted items)")
    return 0


def _common(p):
    p.add_argument("--model-dir", default="var/recommender", help="model store folder")
    p.add_argument("--rating-threshold", type=float, default=3.0,
                   help="ratings >= this are positives (negative: no threshold)")
    p.add_argument("--min-count", type=int, default=10, help="min positives per user and item")
    p.add_argument("--threads", type=int, default=None, help="torch threads")
    p.add_argument("--top-k", type=int, default=20, help="items per user")


def add_recommender_commands(subparsers) -> None:
    """Register ``train-recommender`` and ``recommend`` on an argparse subparsers object."""
    t = subparsers.add_parser("train-recommender", help="daily: train, validate, promote if not worse")
    t.add_argument("--interactions", required=True, help="CSV/Parquet: user_id,item_id,[rating],timestamp")
    t.add_argument("--items", help="CSV/Parquet: item_id,title,[genres]")
    t.add_argument("--validation-feed", help="issue feed JSON at the validation cut, to choose the issue weight")
    t.add_argument("--validation-days", type=float, default=7.0, help="time-based validation window")
    t.add_argument("--epochs", type=int, default=100, help="max VAE epochs (early stopping)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-progress", action="store_true")
    _common(t)
    t.set_defaults(func=run_train)

    r = subparsers.add_parser("recommend", help="hourly: re-rank with current issues, export file + Redis")
    r.add_argument("--feed-file", help="issue feed JSON; may contain {hour} (YYYYMMDDTHH)")
    r.add_argument("--hour", help="ISO 8601 hour for {hour} in --feed-file")
    r.add_argument("--out", help="export JSONL path (written atomically)")
    r.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    r.add_argument("--prefix", default="issuewire", help="Redis key prefix (the feed prefix)")
    r.add_argument("--no-redis", action="store_true")
    r.add_argument("--issue-weight", type=float, default=None, help="override the validated weight")
    r.add_argument("--users", help="comma-separated user ids (default: all)")
    _common(r)
    r.set_defaults(func=run_recommend)


def main(argv=None) -> int:
    """Stand-alone entry point until the lead's ``jobs/cli.py`` registers these commands."""
    parser = argparse.ArgumentParser(prog="issuewire-recommender")
    add_recommender_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
