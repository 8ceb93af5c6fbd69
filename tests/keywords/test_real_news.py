"""The extractor on one real hour of news (read from /work/shared/data, never copied)."""
import gzip
import json
import pathlib

import pandas as pd
import pytest

from dictionaries import default_dictionary_path, default_stopwords_path, load_dictionary, load_stopwords
from keywords.extract import ExtractSettings, KeywordExtractor
from keywords.matcher import KeywordMatcher

NEWS = pathlib.Path("/work/shared/data/news_econ_kr_2026feb/items.jsonl.gz")


@pytest.fixture(scope="module")
def news():
    if not NEWS.exists():
        pytest.skip("shared data not available")
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    frame = pd.DataFrame(rows)
    return frame.rename(columns={"id": "post_id", "text": "body"})


def test_verdict_hour_surfaces_its_keywords(news):
    matcher = KeywordMatcher.from_dictionary(load_dictionary(default_dictionary_path()),
                                             load_stopwords(default_stopwords_path()))
    history = news[news["published_kst"] < "2026-02-19T00"]
    hour = news[news["published_kst"].str.startswith("2026-02-19T16")]
    ex = KeywordExtractor(matcher, ExtractSettings(top_k=5))
    past = ex.extract(history.tail(1000), pd.Series(dtype=float), 0, keep_all=True)
    doc_freq = past.groupby("keyword")["post_id"].nunique()
    out = ex.extract(hour, doc_freq, n_docs=1000)
    posts_per_keyword = out.groupby("keyword")["post_id"].nunique().sort_values(ascending=False)
    top = set(posts_per_keyword.head(10).index)
    assert {"무기징역", "내란"} <= top, posts_per_keyword.head(10)
    assert not top & load_stopwords(default_stopwords_path())
