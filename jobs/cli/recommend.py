"""The ``train-recommender`` and ``recommend`` subcommands, registered on the main CLI.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> add_recommender_commands(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["recommend", "--model-dir", "var/reco", "--users", "abc,42"])
    >>> args.func.__name__, _users(args)
    ('run_recommend', ['abc', '42'])

Usage::

    issuewire train-recommender --interactions ratings.csv [more.csv ...] [--items items.csv] \\
        [--columns user=user,item=movie,rating=rate,timestamp=time] [--feedback feedback.csv] \\
        [--model-dir var/recommender] [--validation-feed feed.json] [--rating-threshold 3] \\
        [--min-count 10] [--validation-users 0.1] [--epochs 20] [--threads 1]
    issuewire recommend [--model-dir var/recommender] [--interactions since.csv ...] [--feedback fb.csv] \\
        [--feed-file 'feeds/feed-{hour}.json' --hour H] [--out export.jsonl] [--similar-out items.jsonl] \\
        [--redis redis://127.0.0.1:6379/0] [--redis-prefix issuewire] [--config issuewire.toml] \\
        [--users u1,u2 | --users users.txt] [--issue-weight W] [--top-k 20]

``--redis``/``--redis-prefix``/``--config`` resolve like ``issuewire run`` (defaults < config file
< environment < flags); without a Redis URL the export goes to the files only. ``--redis-url`` and
``--prefix`` are kept as hidden aliases.

Exit codes: 0 done (``train-recommender``: also when the candidate was kept but not promoted -
the output says so); bad input (a file, a column, an option: :class:`recommender.base.InputFileError`
and the other named recommender errors) and the Redis export's failure are converted to one line
and an exit code by ``jobs/cli/main.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["add_recommender_commands", "run_train", "run_recommend", "export_recommendations"]


# Optional flags are registered with default=SUPPRESS so that a value the main parser sets at
# the top level is not overwritten by a subparser default; the defaults live here, in one place.
DEFAULTS = {"model_dir": "var/recommender", "rating_threshold": 3.0, "min_count": 10, "threads": 1,
            "top_k": 20, "items": None, "validation_feed": None, "validation_users": 0.1, "epochs": 20,
            "seed": 0, "no_progress": False, "feed_file": None, "hour": None, "out": None, "similar_out": None,
            "redis_url": None, "redis_prefix": None, "config": None, "no_redis": False, "issue_weight": None,
            "users": None, "columns": None, "feedback": None, "interactions": None}


def _opt(args, name):
    return getattr(args, name, DEFAULTS[name])


def _settings(args):
    from recommender.data import DataSettings
    from recommender.shell import RecommenderSettings

    given = hasattr(args, "rating_threshold")
    threshold = _opt(args, "rating_threshold")
    threshold = None if threshold is not None and threshold < 0 else threshold
    data = DataSettings(rating_threshold=threshold, min_user_count=_opt(args, "min_count"),
                        min_item_count=_opt(args, "min_count"), rating_required=given and threshold is not None)
    return RecommenderSettings(model_dir=_opt(args, "model_dir"), data=data,
                               validation_users=_opt(args, "validation_users"), vae_epochs=_opt(args, "epochs"),
                               threads=_opt(args, "threads"), seed=_opt(args, "seed"), top_k=_opt(args, "top_k"),
                               progress=not _opt(args, "no_progress"))


def _columns(args):
    from recommender.data import parse_columns
    return parse_columns(_opt(args, "columns"))


def _users(args) -> list[str] | None:
    """``--users``: a file of ids (one per line) when such a file exists, else comma-separated ids."""
    value = _opt(args, "users")
    if value is None:
        return None
    if os.path.isfile(value):
        return [line.strip() for line in Path(value).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [u.strip() for u in value.split(",") if u.strip()]


def run_train(args) -> int:
    from recommender.shell import train_recommender

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    out = train_recommender(_settings(args), args.interactions, _opt(args, "items"), _opt(args, "validation_feed"),
                            columns=_columns(args), feedback_path=_opt(args, "feedback"),
                            log=None if _opt(args, "no_progress") else log)
    verdict = "promoted to current" if out["promoted"] else "NOT promoted (worse than current)"
    print(f"model {out['version']} {verdict} in {out['seconds']:.1f}s; served list {out['served']} "
          f"(+{out['margin']:.4f} NDCG@20 over {out['runner_up']}), EASE ridge {out['ease_l2']:g}, "
          f"similar items from {out['similar_model']}; validation ({out['validation_users']} users) "
          f"{json.dumps(out['metrics'])}; current {json.dumps(out['current_metrics'])}; "
          f"issue weight {out['issue']['weight']} ({out['issue'].get('note', '')}); data {out['fingerprint']}")
    return 0


def _feed_path(feed: str | None, hour: str | None, timezone: str) -> str | None:
    """The feed file of ``--hour`` by the one ``{hour}`` rule (:func:`jobs.publish.paths.hour_file`).

    >>> _feed_path("feeds/feed-{hour}.json", "2026-05-04T17:00Z", "Asia/Seoul")
    'feeds/feed-20260505T02.json'
    """
    if feed and "{hour}" in feed:
        from recommender.base import InputFileError
        if not hour:
            raise InputFileError("--feed-file contains {hour}: give --hour")
        from jobs.cli.options import parse_hour_arg
        from jobs.publish.paths import hour_file
        return str(hour_file(feed, parse_hour_arg(hour, timezone, "--hour"), timezone))
    return feed


def export_recommendations(settings, redis_url: str | None, redis_prefix: str, fence_token: int | None = None,
                           **recommend_args) -> dict:
    """``recommender.shell.recommend`` (files), then the Redis export under the same version
    (a password in ``redis_url`` may hold ``@`` or ``/`` unencoded, as for the feed)."""
    from recommender.shell import recommend

    out = recommend(settings, **recommend_args)
    if redis_url:
        import redis

        from jobs.publish.redis_snapshot import publish_recommendations
        from jobs.runner.alerts import quote_url_password
        client = redis.Redis.from_url(quote_url_password(redis_url), socket_connect_timeout=5)
        publish_recommendations(client, redis_prefix, out["meta"]["version"], out["records"], out["meta"],
                                out["similar"], fence_token=fence_token)
    return out["meta"]


def run_recommend(args) -> int:
    from jobs.settings import resolve_settings

    flags = {"redis_url": None if _opt(args, "no_redis") else _opt(args, "redis_url"),
             "redis_prefix": _opt(args, "redis_prefix")}
    store = resolve_settings(flags, os.environ, _opt(args, "config"))
    redis_url = None if _opt(args, "no_redis") else store.redis_url
    meta = export_recommendations(
        _settings(args), redis_url, store.redis_prefix,
        feed_path=_feed_path(_opt(args, "feed_file"), _opt(args, "hour"), store.timezone), out_path=_opt(args, "out"),
        similar_out_path=_opt(args, "similar_out"), users=_users(args), issue_weight=_opt(args, "issue_weight"),
        interactions_paths=_opt(args, "interactions") or (), columns=_columns(args),
        feedback_path=_opt(args, "feedback"))
    print(f"served {meta['served']} of {meta['n_users']} users as {meta['version']}: "
          f"{meta['folded_in']} folded in ({meta['folded_in_new']} the model never saw), "
          f"{meta['fallback']} fallback ({meta['unknown_users']} with no history at all); "
          f"list {meta['served_list']}; {meta['n_items']} similar-items lists ({meta['similar_model']}); "
          f"{meta['issue_note']}; {meta['n_boosted_items']} boosted items"
          + ("" if redis_url else "; Redis not configured: files only"))
    return 0


def _flag(p, flag: str, help: str, dest: str | None = None, **kw) -> None:
    """An optional flag whose default lives in DEFAULTS (shown in --help), never in the namespace."""
    dest = dest or flag.lstrip("-").replace("-", "_")
    default = DEFAULTS[dest]
    if default not in (None, False) and help != argparse.SUPPRESS:
        help = f"{help} (default: {default})"
    p.add_argument(flag, dest=dest, default=argparse.SUPPRESS, help=help, **kw)


def _common(p):
    _flag(p, "--model-dir", "model store folder")
    _flag(p, "--threads", "torch threads", type=int)
    _flag(p, "--top-k", "items per user", type=int)
    _flag(p, "--columns", "column mapping of the interaction files, e.g. user=user,item=movie,rating=rate,"
                          "timestamp=time")
    _flag(p, "--feedback", "CSV/Parquet user_id,item_id,feedback,timestamp; feedback good|bad")
    _flag(p, "--rating-threshold", "ratings >= this are positives; negative: no threshold", type=float)
    _flag(p, "--min-count", "min positives per user and per item", type=int)


def add_recommender_commands(subparsers) -> None:
    """Register ``train-recommender`` and ``recommend`` on an argparse subparsers object."""
    t = subparsers.add_parser("train-recommender", help="daily: train, validate, promote if not worse")
    t.add_argument("--interactions", required=True, nargs="+", metavar="FILE",
                   help="CSV/Parquet: user_id,item_id,[rating],timestamp (see --columns)")
    _flag(t, "--items", "CSV/Parquet: item_id,title,[genres]")
    _flag(t, "--validation-feed", "issue feed JSON at the validation cut, to choose the issue weight")
    _flag(t, "--validation-users", "share of users in the time-based validation window", type=float)
    _flag(t, "--epochs", "max VAE epochs (early stopping)", type=int)
    _flag(t, "--seed", "random seed", type=int)
    _flag(t, "--no-progress", "no progress lines", action="store_true")
    _common(t)
    t.set_defaults(func=run_train)

    r = subparsers.add_parser("recommend", help="hourly: every user's list, re-ranked with the current issues")
    _flag(r, "--interactions", "interactions since training (same contract), folded in at serving time",
          nargs="+", metavar="FILE")
    _flag(r, "--feed-file", "issue feed JSON; may contain {hour} (YYYYMMDDTHH)")
    _flag(r, "--hour", "ISO 8601 hour for {hour} in --feed-file")
    _flag(r, "--out", "export JSONL path (written atomically)")
    _flag(r, "--similar-out", "similar-items JSONL path (written atomically)")
    _flag(r, "--redis", "Redis URL; without it the export goes to the files only", dest="redis_url")
    _flag(r, "--redis-url", argparse.SUPPRESS, dest="redis_url")
    _flag(r, "--redis-prefix", "prefix of every Redis key (the feed's)", dest="redis_prefix")
    _flag(r, "--prefix", argparse.SUPPRESS, dest="redis_prefix")
    _flag(r, "--config", "TOML config file (for the Redis settings)")
    _flag(r, "--no-redis", argparse.SUPPRESS, action="store_true")
    _flag(r, "--issue-weight", "override the validated issue weight", type=float)
    _flag(r, "--users", "user ids, comma-separated, or a file of ids one per line (default: everyone known)")
    _common(r)
    r.set_defaults(func=run_recommend)
