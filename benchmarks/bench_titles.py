"""Time titling 1,000 issues against 5,000,000 distinct queries of one hour.

    python -m benchmarks.bench_titles [--queries 5000000] [--issues 1000] [--repeats 3]

Synthetic but shaped like a portal's hour: queries are one to three words drawn from the shipped
dictionary's keywords and a pool of context words (Zipf-like counts, seeded), the issues are 1,000
dictionary keywords, and the history is the same queries at a fraction of the count. Reported:
the median of ``--repeats`` runs of ``TitleChooser.choose`` (matching, variants, scoring, titles)
and, as the in-script reference, a bare ahocorasick-rs scan of the same queries for the same
surfaces (one automaton, one pass, no particle check, no scoring).
"""
from __future__ import annotations

import argparse
import statistics
import time

import ahocorasick_rs
import numpy as np
import pandas as pd

from dictionaries import default_dictionary_path, load_dictionary
from keywords.matcher import KeywordMatcher
from titling.titles import TitleChooser, TitleSettings

CONTEXT = ("속보 논란 사망 결혼 이혼 나이 프로필 근황 발표 공개 일정 결과 순위 날씨 주가 환율 선고 판결 "
           "우승 경기 하이라이트 재방송 출연 논란 사과 해명 폐업 신제품 출시 가격 후기 원인 피해 구조").split()


def make_queries(keywords: list[str], n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kw = np.asarray(keywords, dtype=object)
    ctx = np.asarray(CONTEXT + keywords[:2000], dtype=object)
    a = kw[rng.integers(0, len(kw), n * 2)]
    b = ctx[rng.integers(0, len(ctx), n * 2)]
    c = ctx[rng.integers(0, len(ctx), n * 2)]
    shape = rng.integers(0, 3, n * 2)
    q = pd.Series(a)
    q = q.where(shape == 0, q + " " + pd.Series(b))
    q = q.where(shape < 2, q + " " + pd.Series(c))
    q = q.drop_duplicates().head(n).reset_index(drop=True)
    counts = np.maximum(1, (1000 / (1 + rng.pareto(1.2, len(q))))).astype(np.int64)
    return pd.DataFrame({"query": q.to_numpy(), "count": counts})


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queries", type=int, default=5_000_000)
    p.add_argument("--issues", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    dictionary = load_dictionary(default_dictionary_path())
    matcher = KeywordMatcher.from_dictionary(dictionary)
    keywords = sorted(k for k in matcher.keywords if len(k) >= 2)
    rng = np.random.default_rng(3)
    t = time.perf_counter()
    queries = make_queries(keywords, args.queries)
    issues = sorted(rng.choice(np.asarray(keywords, dtype=object), args.issues, replace=False).tolist())
    history = pd.Series((queries["count"].to_numpy() * rng.uniform(0, 1.2, len(queries))),
                        index=queries["query"].to_numpy()).iloc[::3]
    print(f"{len(queries):,} distinct queries, {len(issues):,} issues (generated in {time.perf_counter() - t:.1f} s)")
    chooser = TitleChooser(matcher, TitleSettings(), dictionary.display_form)
    surfaces = [" " + s for s in matcher.subset(issues).surface_map]
    times, bare = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        titles = chooser.choose(issues, queries, history)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        ac = ahocorasick_rs.AhoCorasick(surfaces)
        hits = ac.find_matches_as_indexes(" " + " \n ".join(queries["query"].tolist()), overlapping=True)
        bare.append(time.perf_counter() - t)
    med, ref = statistics.median(times), statistics.median(bare)
    print(f"titling   median {med:6.2f} s  (min {min(times):.2f}, max {max(times):.2f}; "
          f"{(titles['title_source'] == 'query').sum()} titled from queries)")
    print(f"bare AC   median {ref:6.2f} s  ({len(hits):,} raw hits)   titling / bare = {med / ref:.2f}")
    print("examples: " + " | ".join(f"{k} -> {titles.at[k, 'title']}" for k in issues[:5]))


if __name__ == "__main__":
    main()
