"""``issuewire propose-keywords``: new words and surging queries for operators to review.

    >>> import tempfile
    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> _ = add_propose_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["propose-keywords", "--posts", "drop/", "--since", "2026-05-05T00:00"])
    >>> args.posts, args.since, args.func.__name__
    (['drop/'], '2026-05-05T00:00', 'run_propose_command')
    >>> path = write_tsv_atomic(pd.DataFrame({"candidate": ["오키나와"], "surge": [4.5]}),
    ...                         pathlib.Path(tempfile.mkdtemp()) / "proposals.tsv")
    >>> [line.split() for line in path.read_text(encoding="utf-8").splitlines()]     # tab-separated
    [['candidate', 'surge'], ['오키나와', '4.5']]

    $ issuewire propose-keywords --posts drop/ --posts-mapping knews --hours 24 --out proposals.tsv
    $ issuewire propose-keywords --db sqlite:///issuewire.sqlite --queries drop/ --since 2026-02-19T00:00

The recent window is ``--since`` (local time of the ``timezone`` setting without an offset) or the last ``--hours``
before ``--until`` (default: the newest post or query read); everything older that was
read is the background the surge is measured against (``--background-hours``, default
7 days, limits how far back the files or the DB are read).  Posts come from ``--posts``
files or folders (JSONL/CSV/Parquet, e.g. the crawler's processed Parquet); with
``--db`` the run DB adds its stored query counts (``query_stats``) and the titles of its
stored bundle posts (``bundles``).  The review TSV (``candidate, first_seen, post_count,
distinct_authors, query_count, surge, example_titles``) is written atomically (a
temporary file in the same folder, then a rename).  Nothing is added to the dictionary:
an operator copies the rows worth keeping into ``dictionaries/keywords.tsv``.
The logic is :func:`dictionaries.proposals.propose_keywords`.
"""
from __future__ import annotations

import argparse
import pathlib

import pandas as pd

from jobs.cli.options import add_options, local_time, parse_time_arg, posts_mapping_help, settings_from_args
from jobs.errors import OutputError
from jobs.settings import SettingsError

__all__ = ["add_propose_command", "run_propose_command", "write_tsv_atomic"]


def add_propose_command(subparsers) -> argparse.ArgumentParser:
    """Register ``propose-keywords`` on an argparse subparsers object."""
    p = subparsers.add_parser("propose-keywords",
                              help="propose new dictionary words from recent posts and queries (TSV for review)")
    p.add_argument("--posts", nargs="+", default=[], metavar="FILE", help="post files or folders")
    p.add_argument("--posts-mapping", dest="posts_mapping", metavar="NAME", help=posts_mapping_help())
    p.add_argument("--queries", nargs="+", default=[], metavar="FILE", help="query-count files or folders")
    add_options(p, "db", "config", "timezone",
                db={"help": "run database: adds its query_stats and bundle titles (not read unless given)"})
    window = p.add_mutually_exclusive_group()
    window.add_argument("--since", metavar="TIME",
                        help="start of the recent window, ISO 8601, e.g. 2026-05-05T00:00: local time unless an "
                             "offset is given")
    window.add_argument("--hours", type=float, default=24.0, metavar="H", help="recent window length in hours")
    p.add_argument("--until", metavar="TIME",
                   help="end of the recent window, like --since (default: just after the newest post or query)")
    p.add_argument("--background-hours", type=float, default=168.0, metavar="H",
                   help="how far before the window the background reaches, in hours")
    p.add_argument("--dictionary", metavar="FILE", help="keyword dictionary TSV")
    p.add_argument("--stopwords", metavar="FILE", help="stopword list")
    p.add_argument("--min-posts", type=int, default=5, metavar="N",
                   help="a candidate is proposed when in this many recent posts (by --min-authors authors) or "
                        "searched --min-queries times, and surging by --min-surge")
    p.add_argument("--min-authors", type=int, default=3, metavar="N",
                   help="distinct authors of those recent posts")
    p.add_argument("--min-queries", type=int, default=50, metavar="N",
                   help="searches in the recent window that qualify a candidate without the posts")
    p.add_argument("--min-surge", type=float, default=3.0, metavar="X",
                   help="recent rate per hour over background rate per hour (smoothed) a candidate needs")
    p.add_argument("--top", type=int, default=200, metavar="N", help="at most this many candidates")
    p.add_argument("--out", default="keyword-proposals.tsv", metavar="FILE", help="review TSV to write")
    p.set_defaults(func=run_propose_command,
                   resolves_settings=("posts_mapping", "dictionary", "stopwords", "timezone"))
    return p


def write_tsv_atomic(frame: pd.DataFrame, path) -> pathlib.Path:
    """Write ``frame`` as UTF-8 TSV to ``path`` atomically (:func:`issues.atomic_file.atomic_write`)."""
    from issues.atomic_file import atomic_write

    return atomic_write(pathlib.Path(path), lambda handle: frame.to_csv(handle, sep="\t", index=False,
                                                                       lineterminator="\n"), newline="")


def _from_db(url: str, start: pd.Timestamp, end: pd.Timestamp | None):
    from jobs.store.issue_store import IssueStore, from_db_time

    store = IssueStore(url, create=False)
    queries = store.table("query_stats")
    bundles = store.table("bundles")
    if len(queries):
        queries["hour"] = from_db_time(queries["hour"])
        queries = queries[(queries["hour"] >= start) & ((end is None) | (queries["hour"] < end))]
    if len(bundles):
        bundles["hour"] = from_db_time(bundles["hour"])
        bundles = bundles[bundles["hour"] >= start].drop_duplicates("post_id")
        bundles = pd.DataFrame({"post_id": bundles["post_id"], "author_id": bundles["author_id"],
                                "title": bundles["title"], "body": "", "published_at": bundles["hour"]})
    return queries[["hour", "query", "count"]] if len(queries) else None, bundles if len(bundles) else None


def run_propose_command(args: argparse.Namespace) -> int:
    from crawler.ingest import read_posts, read_query_counts
    from crawler.mappings import post_mapping
    from dictionaries import load_dictionary, load_stopwords
    from dictionaries.proposals import ProposeSettings, propose_keywords

    settings = settings_from_args(args)
    tz = settings.timezone
    if not args.posts and not args.queries and not args.db_url:
        raise SettingsError("give --posts FILE..., --queries FILE... or --db URL")
    try:
        thresholds = ProposeSettings(min_posts=args.min_posts, min_authors=args.min_authors,
                                     min_queries=args.min_queries, min_surge=args.min_surge, top=args.top)
    except ValueError as exc:
        raise SettingsError(f"a threshold is out of range: {exc}") from None
    until = parse_time_arg(args.until, tz, "--until") if args.until else None
    since = parse_time_arg(args.since, tz, "--since") if args.since else None
    dictionary = load_dictionary(settings.dictionary)
    stopwords = load_stopwords(settings.stopwords) if settings.stopwords else frozenset()
    posts = read_posts(args.posts, mapping=post_mapping(settings.posts_mapping)).accepted if args.posts else None
    queries = read_query_counts(args.queries).accepted if args.queries else None
    if until is None:
        stamps = [f.max() for f in (posts["published_at"] if posts is not None and len(posts) else None,
                                    queries["hour"] if queries is not None and len(queries) else None)
                  if f is not None]
        until = (max(pd.Timestamp(t) for t in stamps) + pd.Timedelta(seconds=1)) if stamps else None
    if since is None:
        if until is None and not args.db_url:
            raise SettingsError("no post or query was read from the files given")
        until = until or pd.Timestamp.now(tz="UTC")
        since = until - pd.Timedelta(hours=args.hours)
    start = since - pd.Timedelta(hours=args.background_hours)
    if args.db_url:
        db_queries, db_posts = _from_db(args.db_url, start, until)
        queries = pd.concat([q for q in (queries, db_queries) if q is not None]) \
            if queries is not None or db_queries is not None else None
        posts = pd.concat([p for p in (posts, db_posts) if p is not None]) \
            if posts is not None or db_posts is not None else None
    if posts is not None:
        posts = posts[pd.to_datetime(posts["published_at"], utc=True) >= start]
    if queries is not None:
        queries = queries[pd.to_datetime(queries["hour"], utc=True) >= start]
    out = propose_keywords(posts, queries, dictionary, stopwords, since, thresholds, until=until)
    out = out.assign(first_seen=pd.to_datetime(out["first_seen"], utc=True)
                     .dt.tz_convert(tz).dt.strftime("%Y-%m-%dT%H:%M%z"))
    try:
        path = write_tsv_atomic(out, args.out)
    except OSError as exc:
        raise OutputError(f"{args.out}: cannot write the review TSV: {exc.strerror or exc}") from None
    print(f"{len(out)} candidates for review in {path} (window {local_time(since, tz)} .. "
          f"{local_time(until, tz)}; nothing was added to the dictionary)")
    return 0
