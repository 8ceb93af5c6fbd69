"""Replay hours through the old and the new path and say, per hour, whether the feeds are identical.

    $ python -m benchmarks.feed_equality --quick                  # posts frame vs map + reduce, this checkout
    $ python -m benchmarks.feed_equality --quick --old-ref main   # this checkout's engine vs the code of `main`

The worlds are those of :mod:`benchmarks.feed_fingerprint` (real economy and general news from
``../shared/data``, the demo's simulated portal with its planted events and flood); every hour
goes through the functional core with the history kept in memory
(:class:`benchmarks.evaluation.replay.HourReplayer`). Without ``--old-ref`` the two sides are the
core reading the whole posts frame (bodies and all) and the core reading the hour's map and
reduce (:class:`jobs.pipeline.engine.LocalEngine`, chunks of ``--chunk-rows`` posts). With
``--old-ref REF`` the old side is :mod:`benchmarks.feed_fingerprint` run in a temporary git
worktree of REF and the new side the engine path here. One line per hour (``identical`` or
``different: what``), then a summary; exit 1 when any hour differs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.evaluation.replay import HourReplayer
from benchmarks.feed_fingerprint import WORLDS, _feed_document, _tools, demo_world, news_world

ROOT = Path(__file__).resolve().parents[1]


class MappedReplayer(HourReplayer):
    """The replayer whose hours go through the map and reduce (the body dropped after the map)."""

    def __init__(self, tools, settings, chunk_rows: int = 500, **kwargs):
        super().__init__(tools, settings, **kwargs)
        self.chunk_rows = chunk_rows

    def inputs(self, hour, posts, queries):
        from jobs.pipeline.engine import EngineSettings, LocalEngine, chunks_of

        inputs = super().inputs(hour, posts, queries)
        engine = LocalEngine(EngineSettings(chunk_rows=self.chunk_rows))
        inputs.mapped = engine.mapped_hour(chunks_of(posts, self.chunk_rows), self.tools, self.settings,
                                           inputs.doc_freq, inputs.n_docs, queries)
        inputs.posts = inputs.mapped.posts
        return inputs


def replay_lines(name: str, posts, queries, hours, settings, tools, mapped: bool, chunk_rows: int):
    from crawler.ingest import posts_in_hour, queries_in_hour

    replayer = MappedReplayer(tools, settings, chunk_rows) if mapped else HourReplayer(tools, settings)
    for hour in hours:
        q = queries_in_hour(queries, hour) if queries is not None else None
        result = replayer.run(hour, posts_in_hour(posts, hour), q)
        yield {"world": name, "hour": hour.isoformat(), "counts": {k: int(v) for k, v in result.counts.items()},
               "feed": _feed_document(result, settings.timezone)}


def record(mapped: bool, quick: bool, chunk_rows: int, worlds=None) -> list[dict]:
    """Every hour's feed line of the worlds (``worlds``: names; default all, demo included)."""
    worlds = worlds or [*WORLDS, "demo"]
    out = []
    settings, tools = _tools()
    for name in (w for w in worlds if w in WORLDS):
        posts, queries, hours = news_world(name, quick)
        out += list(replay_lines(name, posts, queries, hours, settings, tools, mapped, chunk_rows))
    if "demo" in worlds:
        with tempfile.TemporaryDirectory() as tmp:
            dictionary, posts, queries, hours = demo_world(Path(tmp))
            settings, tools = _tools(dictionary)
            out += list(replay_lines("demo", posts, queries, hours, settings, tools, mapped, chunk_rows))
    return out


def _old_lines(ref: str, quick: bool) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        (Path(tmp) / "shared").symlink_to(ROOT.parent / "shared")     # feed_fingerprint finds ../shared/data
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True,
                       capture_output=True)
        try:
            out = Path(tmp) / "old.jsonl"
            env = dict(os.environ, PYTHONPATH=str(tree))
            subprocess.run([sys.executable, "-m", "benchmarks.feed_fingerprint", "--out", str(out)]
                           + (["--quick"] if quick else []), cwd=tree, env=env, check=True)
            return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def compare(left: list[dict], right: list[dict]) -> int:
    differ = 0
    for x, y in zip(left, right):
        keys = [k for k in ("counts", "feed") if x[k] != y[k]]
        differ += bool(keys)
        print(f"{x['world']} {x['hour']}: " + (f"different: {', '.join(keys)}" if keys else "identical"))
    if len(left) != len(right):
        print(f"different: {len(left)} hours against {len(right)}")
        return 1
    print(f"{len(left) - differ} of {len(left)} hours identical, {differ} different")
    return 1 if differ else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="econ news from 02-17 only")
    parser.add_argument("--old-ref", help="compare against feed_fingerprint run on this git ref (e.g. main)")
    parser.add_argument("--chunk-rows", type=int, default=500, help="posts per mapped chunk (default 500)")
    parser.add_argument("--world", action="append", choices=[*WORLDS, "demo"], help="only these worlds")
    parser.add_argument("--save", type=Path, help="write both sides here (old.jsonl, new.jsonl)")
    args = parser.parse_args(argv)
    new = record(True, args.quick, args.chunk_rows, args.world)
    old = _old_lines(args.old_ref, args.quick) if args.old_ref else record(False, args.quick, args.chunk_rows,
                                                                            args.world)
    if args.old_ref and args.world:
        old = [x for x in old if x["world"] in args.world]
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, lines in (("old", old), ("new", new)):
            (args.save / f"{name}.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False, sort_keys=True) + "\n"
                                                             for x in lines), encoding="utf-8")
    return compare(old, new)


if __name__ == "__main__":
    sys.exit(main())
