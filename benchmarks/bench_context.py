"""Quality and speed of the context-noun backends (kiwi, okt, regex) on real headlines.

    python -m benchmarks.bench_context [--titles 1000] [--repeats 3] [--show 10]

Headlines: Korean titles of ``/work/shared/data/news_econ_kr_2026feb`` (read, never
copied).  Quality on 50 of them (a seeded pick, ids printed), each backend run with an
empty dictionary so every noun it finds is shown:

* ``names``      share of the occurrences of dictionary *person* entries in those
  headlines that the backend returns as one whole word (최가온, not 최 + 가온);
* ``compounds``  the same for dictionary entries of 3+ Hangul syllables that are not
  persons (무기징역, 다주택자, 동계올림픽);
* ``known``      share of the words returned that are a dictionary keyword or in the
  Kkma/Okt noun lexicons (a rough precision: new names are correct yet unknown);
* ``words/title`` mean number of words returned.

Speed: titles per second over ``--titles`` headlines (median of ``--repeats``; the
tagger's start-up, e.g. the JVM for okt, is timed separately as ``init``).
"""
from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import re
import statistics
import time

import numpy as np

from dictionaries import KeywordDictionary, default_dictionary_path, load_dictionary
from keywords.context import BACKENDS, _kiwi, _okt, title_nouns
from keywords.normalize import normalize_text

NEWS = pathlib.Path("/work/shared/data/news_econ_kr_2026feb/items.jsonl.gz")


def headlines() -> list[tuple[str, str]]:
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [(r["id"], normalize_text(r["title"])) for r in rows if r["lang"] == "ko"]


def lexicon_words() -> set[str]:
    from benchmarks.build_dictionary import read_lexicon

    return set(read_lexicon()[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="context backends: quality and speed")
    parser.add_argument("--titles", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--show", type=int, default=8, help="headlines printed with each backend's words")
    args = parser.parse_args(argv)
    rows = headlines()
    rng = np.random.default_rng(20260219)
    sample = [rows[i] for i in sorted(rng.choice(len(rows), size=50, replace=False))]
    dictionary = load_dictionary(default_dictionary_path())
    entries = dictionary.entries
    persons = set(entries.loc[entries["type"] == "person", "keyword"])
    compounds = {k for k in entries["keyword"] if len(k) >= 3 and re.fullmatch("[가-힣]+", k)} - persons
    known = lexicon_words() | set(entries["keyword"])
    print("50 headlines, ids:", " ".join(i for i, _ in sample))

    def targets(kind: set[str]) -> list[tuple[int, str]]:
        out = []
        for n, (_, title) in enumerate(sample):
            for m in re.finditer("[가-힣A-Za-z0-9]+", title):
                for k in kind:
                    if m.group().startswith(k) and (k == m.group() or len(k) >= 2):
                        if k == m.group() or m.group()[len(k):] in _particles():
                            out.append((n, k))
        return out

    name_targets, compound_targets = targets(persons), targets(compounds)
    titles = [t for _, t in rows[: args.titles]]
    results, outputs = {}, {}
    for backend in BACKENDS:
        start = time.perf_counter()
        {"kiwi": _kiwi, "okt": _okt}.get(backend, lambda: None)()
        init = time.perf_counter() - start
        nouns = title_nouns([t for _, t in sample], backend)
        outputs[backend] = nouns
        found = [{w for w, _ in words} for words in nouns]
        words = [w for ws in found for w in ws]
        name_rec = np.mean([k in found[n] for n, k in name_targets]) if name_targets else float("nan")
        comp_rec = np.mean([k in found[n] for n, k in compound_targets]) if compound_targets else float("nan")
        share = np.mean([w in known for w in words]) if words else float("nan")
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            title_nouns(titles, backend)
            times.append(time.perf_counter() - start)
        results[backend] = (name_rec, comp_rec, share, len(words) / len(sample), init,
                            len(titles) / statistics.median(times))
    print(f"quality targets: {len(name_targets)} person-name and {len(compound_targets)} "
          f"compound occurrences; speed over {len(titles)} headlines, median of {args.repeats}")
    print(f"{'backend':8} {'names':>6} {'compounds':>9} {'known':>6} {'words/title':>11} "
          f"{'init s':>6} {'titles/s':>9}")
    for backend, (n, c, k, w, init, speed) in results.items():
        print(f"{backend:8} {n:6.2f} {c:9.2f} {k:6.2f} {w:11.1f} {init:6.1f} {speed:9.0f}")
    for n in range(min(args.show, len(sample))):
        print(f"\n{sample[n][0]}  {sample[n][1]}")
        for backend in BACKENDS:
            print(f"  {backend:6} {' '.join(w for w, _ in outputs[backend][n])}")
    return 0


def _particles():
    from keywords.particles import PARTICLES

    return set(PARTICLES) | {""}


if __name__ == "__main__":
    raise SystemExit(main())
