"""The ingest stage alone (posts read, validated and mapped; query counts read), two checkouts side by side.

    $ python -m benchmarks.bench_ingest --posts /tmp/issuewire-bench-hour/posts-100000.jsonl --queries /tmp/issuewire-bench-hour/queries-500000.csv \\
          --checkout ../issuewire-before:1 --checkout .:2 --repeat 3

Each ``--checkout PATH:PROCESSES`` runs in its own subprocess (``PYTHONPATH`` = PATH,
``[engine] map_processes`` = PROCESSES) what ``issuewire run`` does in its ingest stage: a fresh
``RunContext`` reads the posts (mapped as they are read) and the query counts, the overlapped way
(``RunContext.read_inputs``) where the checkout has it. Prints the wall and CPU seconds (this
process and its children), the peak RSS of its largest process and the peak summed RSS of
all its processes (:class:`benchmarks.bench_hour.TreeMemory`) of each run, their medians, and the counts read, which
must agree between checkouts.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_hour import TreeMemory

_CHILD = r"""
import json, resource, sys, time
from jobs.engine import EngineSettings
from jobs.runner.context import RunContext
from jobs.settings import Settings

posts, queries, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = RunContext(Settings(db_url="sqlite://", engine=EngineSettings(map_processes=processes)))
ctx.tools
t0, c0 = time.perf_counter(), time.process_time()
if hasattr(ctx, "read_inputs"):
    post_batch, query_batch = ctx.read_inputs([posts], [queries])
else:
    post_batch, query_batch = ctx.read("posts", [posts]), ctx.read("queries", [queries])
wall = time.perf_counter() - t0
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - c0 + kids.ru_utime + kids.ru_stime
rows = sum(t.num_rows for t in (r.result() if hasattr(r, "result") else r for r in post_batch.mapped))
print(json.dumps({"wall": wall, "cpu": cpu, "peak_gib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  kids.ru_maxrss) / 2**20, "posts": post_batch.summary, "mapped_rows": rows,
                  "queries": query_batch.summary, "query_rows": len(query_batch.accepted)}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--checkout", action="append", required=True, help="PATH:MAP_PROCESSES")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {c: [] for c in args.checkout}
    for _ in range(args.repeat):
        for checkout in args.checkout:             # interleaved: a busy moment hits both alike
            path, processes = checkout.rsplit(":", 1)
            env = dict(os.environ, PYTHONPATH=str(Path(path).resolve()))
            with TreeMemory() as tree:
                proc = subprocess.run([sys.executable, "-c", _CHILD, args.posts, args.queries, processes], env=env,
                                      capture_output=True, text=True, cwd="/tmp")
            if proc.returncode:
                sys.stderr.write(proc.stderr[-3000:])
                return 1
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            result["tree_gib"] = tree.peak_kib / 2**20
            runs[checkout].append(result)
            print(checkout, json.dumps(result), flush=True)
    for checkout, results in runs.items():
        print(f"{checkout}: median wall {statistics.median(r['wall'] for r in results):.1f} s, "
              f"cpu {statistics.median(r['cpu'] for r in results):.1f} s, "
              f"peak {statistics.median(r['peak_gib'] for r in results):.2f} GiB (one process), "
              f"{statistics.median(r['tree_gib'] for r in results):.2f} GiB (all processes) (of {len(results)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
