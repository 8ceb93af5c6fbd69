"""Every feed of a fixed set of replayed hours, to prove a refactoring changes no result.

    $ python -m benchmarks.feed_fingerprint --out /tmp/before.jsonl            # on the old code
    $ python -m benchmarks.feed_fingerprint --out /tmp/after.jsonl             # on the new code
    $ python -m benchmarks.feed_fingerprint --compare /tmp/before.jsonl /tmp/after.jsonl
    identical: 468 hours in 3 worlds

Three worlds go through the hour's functional core with the history kept in memory
(:class:`benchmarks.evaluation.replay.HourReplayer`), with the shipped dictionary and default
settings: the real economy news of 2026-02-06 .. 02-20 (``--quick``: from 02-17) and general news
of 2022-07-27 .. 08-01 from ``../shared/data``, and the demo's simulated portal (30 hours, its
queries included). Each line of the output is one hour's feed document (:func:`feed_document`)
plus the hour's counts; ``--compare`` names the first hours that differ and how.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WORLDS = {
    "econ": (DATA / "news_econ_kr_2026feb" / "items.jsonl.gz", "2026-02-06T00:00+09:00", "2026-02-20T23:00+09:00"),
    "general": (DATA / "news_general_kr_2022jul" / "items.jsonl.gz", "2022-07-27T00:00+09:00",
                "2022-08-01T09:00+09:00"),
}


def _tools(dictionary_path=None):
    from dictionaries import load_dictionary, load_stopwords
    from dictionaries.authors import load_influential_authors
    from jobs.settings import resolve_settings
    from titling.blocklist import load_blocklist, load_evergreen

    flags = {"dictionary": str(dictionary_path)} if dictionary_path else {}
    settings = resolve_settings(flags, {})
    return settings, _build_tools(load_dictionary(settings.dictionary), load_stopwords(settings.stopwords),
                                  load_influential_authors(settings.influential_authors),
                                  load_blocklist(settings.title_blocklist), load_evergreen(settings.evergreen))


def _build_tools(*args):
    try:
        from jobs.pipeline.hour import HourTools
    except ImportError:                              # the code before the composition moved
        from issues.pipeline import HourTools
    return HourTools.build(*args)


def _feed_document(result, timezone):
    try:
        from jobs.pipeline.feed import feed_document
    except ImportError:
        from issues.pipeline import feed_document
    return feed_document(result, timezone)


def replay(name: str, posts: pd.DataFrame, queries: pd.DataFrame | None, hours, settings, tools):
    from benchmarks.evaluation.replay import HourReplayer
    from crawler.ingest import posts_in_hour, queries_in_hour

    replayer = HourReplayer(tools, settings)
    for hour in hours:
        q = queries_in_hour(queries, hour) if queries is not None else None
        result = replayer.run(hour, posts_in_hour(posts, hour), q)
        yield {"world": name, "hour": hour.isoformat(), "counts": {k: int(v) for k, v in result.counts.items()},
               "feed": _feed_document(result, settings.timezone)}


def news_world(name: str, quick: bool):
    from crawler.ingest import read_posts
    from crawler.mappings import post_mapping

    path, start, end = WORLDS[name]
    if quick and name == "econ":
        start = "2026-02-17T00:00+09:00"
    posts = read_posts([str(path)], post_mapping("knews"), earliest=pd.Timestamp("2000-01-01", tz="UTC"),
                       latest=pd.Timestamp("2100-01-01", tz="UTC")).accepted
    hours = pd.date_range(pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"), freq="h")
    return posts, None, hours


def demo_world(workdir: Path):
    from crawler.ingest import read_posts, read_query_counts
    from jobs.demo.run import DEMO_EVENTS, DEMO_START, demo_vocabulary, write_demo_dictionary
    from jobs.demo.simulator import PortalSimulator

    dictionary = write_demo_dictionary(workdir / "keywords.tsv")
    sim = PortalSimulator(demo_vocabulary(dictionary), posts_per_hour=300, seed=20260504)
    posts, queries = sim.simulate(DEMO_START, 30, DEMO_EVENTS, flood_keyword="광고")
    posts.to_json(workdir / "posts.jsonl", orient="records", lines=True, force_ascii=False)
    queries.to_csv(workdir / "queries.csv", index=False)
    far = dict(earliest=pd.Timestamp("2000-01-01", tz="UTC"), latest=pd.Timestamp("2100-01-01", tz="UTC"))
    accepted = read_posts([str(workdir / "posts.jsonl")], **far).accepted
    query_rows = read_query_counts([str(workdir / "queries.csv")]).accepted
    hours = pd.date_range(DEMO_START.tz_convert("UTC"), periods=30, freq="h")
    return dictionary, accepted, query_rows, hours


def record(out: Path, quick: bool) -> int:
    n = 0
    with out.open("w", encoding="utf-8") as f, tempfile.TemporaryDirectory() as tmp:
        settings, tools = _tools()
        for name in WORLDS:
            posts, queries, hours = news_world(name, quick)
            for line in replay(name, posts, queries, hours, settings, tools):
                f.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
            print(f"{name}: {len(hours)} hours", file=sys.stderr)
        dictionary, posts, queries, hours = demo_world(Path(tmp))
        settings, tools = _tools(dictionary)
        for line in replay("demo", posts, queries, hours, settings, tools):
            f.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        print(f"demo: {len(hours)} hours", file=sys.stderr)
    print(f"recorded {n} hours to {out}")
    return 0


def compare(a: Path, b: Path, show: int = 5) -> int:
    left = [json.loads(x) for x in a.read_text(encoding="utf-8").splitlines()]
    right = [json.loads(x) for x in b.read_text(encoding="utf-8").splitlines()]
    if len(left) != len(right):
        print(f"different: {len(left)} hours against {len(right)}")
        return 1
    differ = [(x, y) for x, y in zip(left, right) if x != y]
    worlds = len({x["world"] for x in left})
    if not differ:
        print(f"identical: {len(left)} hours in {worlds} worlds")
        return 0
    print(f"different: {len(differ)} of {len(left)} hours")
    for x, y in differ[:show]:
        keys = [k for k in ("counts", "feed") if x[k] != y[k]]
        print(f"  {x['world']} {x['hour']}: {', '.join(keys)} differ")
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write every replayed hour's feed here (JSON lines)")
    parser.add_argument("--quick", action="store_true", help="econ news from 02-17 only (96 hours, not 360)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                        help="compare two recordings; exit 1 if any hour differs")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if not args.out:
        parser.error("give --out FILE or --compare BEFORE AFTER")
    return record(args.out, args.quick)


if __name__ == "__main__":
    sys.exit(main())
