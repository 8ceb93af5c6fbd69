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
        [--prefix issuewire] [--no-redis] [--issue-weight W] [--users u1,u2] [--top-k 20]

Exit codes: 0 done (``train-recommender``: also when the candidate was kept but not
promoted - the output says so), 1 a recommender/data/export error (one line on stderr),
2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_recommender_commands", "run_train", "run_recommend"]


# Optional flags are registered with default=SUPPRESS so that a value the lead's parser sets at
# the top level (e.g. ``issuewire --redis-url ... recommend``) is not overwritten by a subparser
# default; the defaults live here, in one place.
DEFAULTS = {"model_dir": "var/recommender", "rating_threshold": 3.0, "min_count": 10, "threads": None,
            "top_k": 20, "items": None, "validation_feed": None, "validation_days": 7.0, "epochs": 100,
            "seed": 0, "no_progress": False, "feed_file": None, "hour": None, "out": None,
            "redis_url": "redis://127.0.0.1:6379/0", "prefix": "issuewire", "no_redis": False,
            "issue_weight": None, "users": None}


def _opt(args, name):
    return getattr(args, name, DEFAULTS[name])


def _settings(args):
    from recommender.shell import RecommenderSettings
    from recommender.data import DataSettings

    threshold = _opt(args, "rating_threshold")
    threshold = None if threshold is not None and threshold < 0 else threshold
    data = DataSettings(rating_threshold=threshold, min_user_count=_opt(args, "min_count"),
                        min_item_count=_opt(args, "min_count"))
    return RecommenderSettings(model_dir=_opt(args, "model_dir"), data=data,
                               validation_days=_opt(args, "validation_days"), vae_epochs=_opt(args, "epochs"),
                               threads=_opt(args, "threads"), seed=_opt(args, "seed"), top_k=_opt(args, "top_k"),
                               progress=not _opt(args, "no_progress"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def run_train(args) -> int:
    from recommender.shell import train_recommender
    from recommender.base import RecommenderError

    try:
        out = train_recommender(_settings(args), args.interactions, _opt(args, "items"),
                                _opt(args, "validation_feed"))
    except (RecommenderError, OSError, ValueError) as e:
        return _fail(str(e))
    verdict = "promoted to current" if out["promoted"] else "NOT promoted (worse than current)"
    print(f"model {out['version']} {verdict}; validation {json.dumps(out['metrics'])}; "
          f"current {json.dumps(out['current_metrics'])}; issue weight {out['issue']['weight']} "
          f"({out['issue'].get('note', '')}); data {out['fingerprint']}")
    return 0


def run_recommend(args) -> int:
    from recommender.shell import recommend
    from recommender.base import RecommenderError

    feed, hour = _opt(args, "feed_file"), _opt(args, "hour")
    if feed and "{hour}" in feed:
        if not hour:
            return _fail("--feed-file contains {hour}: give --hour")
        import pandas as pd
        feed = feed.replace("{hour}", pd.Timestamp(hour).strftime("%Y%m%dT%H"))
    client = None
    try:
        if not _opt(args, "no_redis"):
            import redis
            client = redis.Redis.from_url(_opt(args, "redis_url"))
        users = _opt(args, "users")
        users = users.split(",") if users else None
        meta = recommend(_settings(args), feed_path=feed, out_path=_opt(args, "out"), redis_client=client,
                         redis_prefix=_opt(args, "prefix"), users=users, issue_weight=_opt(args, "issue_weight"))
    except (RecommenderError, OSError, ValueError) as e:
        return _fail(str(e))
    print(f"exported {meta['n_users']} users as {meta['version']} "
          f"({meta['issue_note']}; {meta['n_boosted_items']} boosted items)")
    return 0


def _flag(p, flag: str, help: str, **kw) -> None:
    """An optional flag whose default lives in DEFAULTS (shown in --help), never in the namespace."""
    default = DEFAULTS[flag.lstrip("-").replace("-", "_")]
    if default not in (None, False):
        help = f"{help} (default: {default})"
    p.add_argument(flag, default=argparse.SUPPRESS, help=help, **kw)


def _common(p):
    _flag(p, "--model-dir", "model store folder")
    _flag(p, "--threads", "torch threads", type=int)
    _flag(p, "--top-k", "items per user", type=int)


def add_recommender_commands(subparsers) -> None:
    """Register ``train-recommender`` and ``recommend`` on an argparse subparsers object."""
    t = subparsers.add_parser("train-recommender", help="daily: train, validate, promote if not worse")
    t.add_argument("--interactions", required=True, help="CSV/Parquet: user_id,item_id,[rating],timestamp")
    _flag(t, "--items", "CSV/Parquet: item_id,title,[genres]")
    _flag(t, "--validation-feed", "issue feed JSON at the validation cut, to choose the issue weight")
    _flag(t, "--validation-days", "time-based validation window in days", type=float)
    _flag(t, "--epochs", "max VAE epochs (early stopping)", type=int)
    _flag(t, "--seed", "random seed", type=int)
    _flag(t, "--no-progress", "no progress bars", action="store_true")
    _flag(t, "--rating-threshold", "ratings >= this are positives; negative: no threshold", type=float)
    _flag(t, "--min-count", "min positives per user and per item", type=int)
    _common(t)
    t.set_defaults(func=run_train)

    r = subparsers.add_parser("recommend", help="hourly: re-rank with current issues, export file + Redis")
    _flag(r, "--feed-file", "issue feed JSON; may contain {hour} (YYYYMMDDTHH)")
    _flag(r, "--hour", "ISO 8601 hour for {hour} in --feed-file")
    _flag(r, "--out", "export JSONL path (written atomically)")
    _flag(r, "--redis-url", "Redis to export to")
    _flag(r, "--prefix", "Redis key prefix (the feed prefix)")
    _flag(r, "--no-redis", "skip the Redis export", action="store_true")
    _flag(r, "--issue-weight", "override the validated issue weight", type=float)
    _flag(r, "--users", "comma-separated user ids (default: all)")
    _common(r)
    r.set_defaults(func=run_recommend)


def main(argv=None) -> int:
    """Stand-alone entry point until the lead's ``jobs/cli/main.py`` registers these commands."""
    parser = argparse.ArgumentParser(prog="issuewire-recommender")
    add_recommender_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
