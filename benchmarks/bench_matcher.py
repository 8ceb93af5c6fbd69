"""Throughput of KeywordMatcher.find_many against a raw Aho-Corasick scan.

    python benchmarks/bench_matcher.py [--posts 2000] [--repeats 5] [--no-million]

Posts are ~2 KB of synthetic Korean (seeded): dictionary words with agreeing
particles, filler words of random Hangul syllables, numbers, Latin acronyms and
punctuation.  Dictionaries: the shipped one (``dictionaries/keywords.tsv``) and,
unless ``--no-million``, that one plus generated Hangul words up to 1,000,000
entries.  For each: the median over repeats of

* ``find_many``  the full matcher (fold, scan, particle filter, longest per start,
  DataFrame);
* ``raw rs``     ``ahocorasick_rs`` overlapping scan of the same folded text with
  the matcher's own automaton, nothing else: the floor;
* ``raw py``     ``pyahocorasick`` ``iter`` over the same text and patterns (the
  alternative library), with its build time;
* ``py filter``  the same scan followed by a per-match Python filter (the design
  the vectorised filter replaces), on the shipped dictionary only.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from dictionaries import (KeywordDictionary, default_dictionary_path,  # noqa: E402
                          default_stopwords_path, load_dictionary, load_stopwords)
from benchmarks.timing import median_times  # noqa: E402
from keywords.matcher import KeywordMatcher  # noqa: E402
from keywords.normalize import fold  # noqa: E402
from keywords.particles import PARTICLES, accepts, final_class  # noqa: E402


def synthetic_posts(words: list[str], n: int, size: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    particles = sorted(PARTICLES)
    syllables = [chr(c) for c in range(0xAC00, 0xD7A4, 7)]
    pieces = []
    for _ in range(n):
        out, length = [], 0
        while length < size:
            r = rng.random()
            if r < 0.45:
                word = words[rng.integers(len(words))]
                if rng.random() < 0.6:
                    tail = particles[rng.integers(len(particles))]
                    word += tail if accepts(word, tail) else ""
            elif r < 0.9:
                word = "".join(syllables[i] for i in rng.integers(len(syllables), size=rng.integers(1, 5)))
            elif r < 0.95:
                word = str(rng.integers(1, 3000)) + rng.choice(["일", "명", "%", "원"])
            else:
                word = rng.choice(["AI", "BTS", "KT", "“인용”", "(종합)", "…", "·"])
            out.append(word)
            length += len(word) + 1
        pieces.append(" ".join(out)[:size])
    return pieces


def python_filter(matcher: KeywordMatcher, patterns: list[str], texts: list[str]):
    """The per-match Python design: scan, then check each match's word tail in Python."""
    work = " " + "\0 ".join(map(fold, texts)) + "\0"
    keep = {}
    for pid, start, end in matcher._automaton.find_matches_as_indexes(work, overlapping=True):
        stop = end
        while work[stop] not in " \0":
            stop += 1
        tail = work[end:stop]
        if not tail or (tail in PARTICLES and final_class(patterns[pid]) in PARTICLES[tail]):
            if keep.get(start + 1, (0, 0))[0] < end:
                keep[start + 1] = (end, pid)
    return keep


def bench(name: str, dictionary, stopwords, texts, repeats: int, with_python_filter: bool):
    start = time.perf_counter()
    matcher = KeywordMatcher.from_dictionary(dictionary, stopwords)
    build = time.perf_counter() - start
    chars = sum(map(len, texts))
    work = " " + "\0 ".join(map(fold, texts)) + "\0"
    patterns = [" " + k for k in matcher._pattern_keys]
    variants = {
        "find_many": lambda: matcher.find_many(texts),
        "raw rs": lambda: matcher._automaton.find_matches_as_indexes(work, overlapping=True),
    }
    py_build = float("nan")
    try:
        import ahocorasick

        start = time.perf_counter()
        automaton = ahocorasick.Automaton()
        for i, p in enumerate(patterns):
            automaton.add_word(p, i)
        automaton.make_automaton()
        py_build = time.perf_counter() - start
        variants["raw py"] = lambda: list(automaton.iter(work))
    except ImportError:
        pass
    if with_python_filter:
        keys = [p[1:] for p in patterns]
        variants["py filter"] = lambda: python_filter(matcher, keys, texts)
    rows = median_times(variants, repeats)
    hits = len(matcher.find_many(texts))
    print(f"\n{name}: {len(patterns):,} surfaces; matcher build {build:.1f} s "
          f"(pyahocorasick build {py_build:.1f} s); {len(texts):,} posts, {chars / 1e6:.2f} M chars, "
          f"{hits:,} hits")
    print(f"  {'':10} {'M chars/s':>10} {'posts/s':>10} {'x raw rs':>9}")
    for label, seconds in rows.items():
        print(f"  {label:10} {chars / seconds / 1e6:10.2f} {len(texts) / seconds:10.0f} "
              f"{seconds / rows['raw rs']:9.2f}")


def million(dictionary, stopwords, total: int, seed: int):
    rng = np.random.default_rng(seed)
    have = set(dictionary.entries["keyword"])
    records = [{"keyword": k} for k in have]
    syllables = np.arange(0xAC00, 0xD7A4)
    while len(records) < total:
        lengths = rng.integers(2, 7, size=total)
        for length in lengths:
            word = "".join(map(chr, rng.choice(syllables, size=length)))
            if word not in have and word not in stopwords:
                have.add(word)
                records.append({"keyword": word})
                if len(records) >= total:
                    break
    return KeywordDictionary.from_records(records)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="KeywordMatcher throughput")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--size", type=int, default=2000, help="characters per post")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-million", action="store_true")
    args = parser.parse_args(argv)
    dictionary = load_dictionary(default_dictionary_path())
    stopwords = load_stopwords(default_stopwords_path())
    words = [w for w in dictionary.entries["keyword"] if w not in stopwords]
    texts = synthetic_posts(words, args.posts, args.size, seed=20260219)
    print(f"python {sys.version.split()[0]}, 1 process; posts of {args.size} chars; "
          f"median of {args.repeats}")
    bench("shipped dictionary", dictionary, stopwords, texts, args.repeats, True)
    if not args.no_million:
        start = time.perf_counter()
        big = million(dictionary, stopwords, 1_000_000, seed=7)
        print(f"\n(generated the 1M-entry dictionary in {time.perf_counter() - start:.0f} s)")
        bench("1M-entry dictionary", big, stopwords, texts, args.repeats, False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
