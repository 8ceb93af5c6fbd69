"""The array-based extractor gives the pure-Python reference's rows (seeded and Hypothesis)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dictionaries import KeywordDictionary
from keywords.extract import ExtractSettings, KeywordExtractor
from keywords.matcher import KeywordMatcher
from keywords.particles import PARTICLES

from .reference_extract import reference_extract

KEYWORDS = ["자민당", "자민", "총선", "일본", "설 연휴", "설", "임재범", "재범", "BTS", "서울", "서울 시청",
            "시청", "가수", "무기징역", "내란"]
ALIASES = {"BTS": ["방탄소년단"], "자민당": ["자유민주당"]}
WEIGHTS = {"총선": 2.0, "내란": 0.5}
STOP = frozenset({"시청"})


def build():
    records = [{"keyword": k, "aliases": ALIASES.get(k, []), "weight": WEIGHTS.get(k)} for k in KEYWORDS]
    d = KeywordDictionary.from_records(records)
    return d.surfaces(), KeywordMatcher.from_dictionary(d, STOP)


SURFACES, MATCHER = build()
PIECES = (KEYWORDS + sum(ALIASES.values(), []) + ["가", "이", "의", "에서", "를", "은", "으로", "로",
          "씨가", "<b>", "&quot;", "·", " ", "  ", ",", "2026", "a", "없는말", "\n"])


def compare(posts, doc_freq, n_docs, volume, s, keep_all=False):
    out = KeywordExtractor(MATCHER, s).extract(posts, doc_freq, n_docs, volume, keep_all=keep_all)
    ref = reference_extract(posts, SURFACES, STOP, WEIGHTS, s, doc_freq, n_docs, volume, keep_all)
    assert out[["post_id", "keyword", "title_hits", "body_hits"]].values.tolist() == \
        [list(r[:4]) for r in ref]
    if ref:
        np.testing.assert_allclose(out.iloc[:, 4:].to_numpy(dtype=float),
                                   np.array([r[4:] for r in ref], dtype=float), rtol=1e-9)


def random_text(rng, n):
    tails = sorted(PARTICLES)
    out = []
    for _ in range(n):
        word = PIECES[rng.integers(len(PIECES))]
        if rng.random() < 0.4:
            word += tails[rng.integers(len(tails))]
        out.append(word)
        out.append(" " if rng.random() < 0.8 else "")
    return "".join(out)


@pytest.mark.parametrize("seed", range(5))
def test_seeded_batches_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    n = 60
    posts = pd.DataFrame({"post_id": [f"p{seed}-{i}" for i in range(n)],
                          "title": [random_text(rng, 6) for _ in range(n)],
                          "body": [random_text(rng, int(rng.integers(0, 80))) for _ in range(n)]})
    posts.loc[3, "title"] = None
    doc_freq = pd.Series({"자민당": 3, "일본": 40, "없는": 2})
    volume = pd.Series({"총선": 99, "설": 5})
    for s in (ExtractSettings(), ExtractSettings(top_k=2, title_weight=0.0, max_body_chars=50)):
        compare(posts, doc_freq, 100, volume, s)
        compare(posts, pd.Series(dtype=float), 0, None, s, keep_all=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES + sorted(PARTICLES)[:40]), max_size=8),
                          st.lists(st.sampled_from(PIECES + sorted(PARTICLES)[:40]), max_size=30)),
                min_size=1, max_size=6),
       st.integers(1, 4))
def test_generated_posts_match_the_reference(parts, top_k):
    posts = pd.DataFrame({"post_id": [str(i) for i in range(len(parts))],
                          "title": ["".join(t) for t, _ in parts],
                          "body": ["".join(b) for _, b in parts]})
    compare(posts, pd.Series({"총선": 1}), 10, pd.Series({"BTS": 3}), ExtractSettings(top_k=top_k))
