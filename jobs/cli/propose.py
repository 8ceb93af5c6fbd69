"""``issuewire propose-keywords``: new words and surging queries for operators to review.

    $ issuewire propose-keywords --posts drop/ --posts-mapping knews --hours 24 --out proposals.tsv
    $ issuewire propose-keywords --db sqlite:///issuewire.sqlite --queries drop/ --since 2026-02-19T00:00

The recent window is ``--since`` (local time without an offset) or the last ``--hours``
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

__all__ = ["add_propose_command", "run_propose_command", "write_tsv_atomic"]


def add_propose_command(subparsers) -> argparse.ArgumentParser:
    """Register ``propose-keywords`` on an argparse subparsers object."""
    p = subparsers.add_parser("propose-keywords",
                              help="propose new dictionary words from recent posts and queries (TSV for review)")
    p.add_argument("--posts", nargs="+", default=[], metavar="FILE", help="post files or folders")
    p.add_argument("--posts-mapping", dest="posts_mapping", help="field mapping of the post files (e.g. knews)")
    p.add_argument("--queries", nargs="+", default=[], metavar="FILE", help="query-count files or folders")
    p.add_argument("--db", dest="db_url", help="run DB: adds its query_stats and bundle titles")
    window = p.add_mutually_exclusive_group()
    window.add_argument("--since", help="start of the recent window, ISO 8601 (local time without offset)")
    window.add_argument("--hours", type=float, default=24.0, help="recent window length (default 24)")
    p.add_argument("--until", help="end of the recent window (default: newest post or query)")
    p.add_argument("--background-hours", type=float, default=168.0,
                   help="how far before the window the background reaches (default 168)")
    p.add_argument("--dictionary", help="keyword dictionary TSV (default: the shipped one)")
    p.add_argument("--stopwords", help="stopword list (default: the shipped one)")
    p.add_argument("--timezone", default="Asia/Seoul")
    p.add_argument("--min-posts", type=int, default=5)
    p.add_argument("--min-authors", type=int, default=3)
    p.add_argument("--min-queries", type=int, default=50)
    p.add_argument("--min-surge", type=float, default=3.0)
    p.add_argument("--top", type=int, default=200)
    p.add_argument("--out", default="keyword-proposals.tsv", help="review TSV to write")
    p.set_defaults(func=run_propose_command)
    return p


def _time(text: str | None, tz: str) -> pd.Timestamp | None:
    if not text:
        return None
    ts = pd.Timestamp(text)
    return (ts.tz_localize(tz) if ts.tzinfo is None else ts).tz_convert("UTC")


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
    from dictionaries import (default_dictionary_path, default_stopwords_path, load_dictionary,
                              load_stopwords)
    from dictionaries.proposals import ProposeSettings, propose_keywords

    if not args.posts and not args.queries and not args.db_url:
        raise ValueError("give --posts FILE..., --queries FILE... or --db URL")
    dictionary = load_dictionary(args.dictionary or default_dictionary_path())
    stopwords = load_stopwords(args.stopwords or default_stopwords_path())
    posts = read_posts(args.posts, mapping=post_mapping(args.posts_mapping)).accepted if args.posts else None
    queries = read_query_counts(args.queries).accepted if args.queries else None
    until = _time(args.until, args.timezone)
    if until is None:
        stamps = [f.max() for f in (posts["published_at"] if posts is not None and len(posts) else None,
                                    queries["hour"] if queries is not None and len(queries) else None)
                  if f is not None]
        until = (max(pd.Timestamp(t) for t in stamps) + pd.Timedelta(seconds=1)) if stamps else None
    since = _time(args.since, args.timezone)
    if since is None:
        if until is None and not args.db_url:
            raise ValueError("no posts or queries read")
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
    settings = ProposeSettings(min_posts=args.min_posts, min_authors=args.min_authors,
                               min_queries=args.min_queries, min_surge=args.min_surge, top=args.top)
    out = propose_keywords(posts, queries, dictionary, stopwords, since, settings, until=until)
    out = out.assign(first_seen=pd.to_datetime(out["first_seen"], utc=True)
                     .dt.tz_convert(args.timezone).dt.strftime("%Y-%m-%dT%H:%M%z"))
    path = write_tsv_atomic(out, args.out)
    print(f"{len(out)} candidates for review in {path} (window {since:%Y-%m-%d %H:%M} .. "
          f"{until:%Y-%m-%d %H:%M} UTC; nothing was added to the dictionary)")
    return 0
