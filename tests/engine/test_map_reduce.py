"""The map (keywords.stream) and reduce (issues.reduce) equal one extraction over the whole hour."""
import pickle

import numpy as np
import pandas as pd
import pytest

from crawler.ingest import posts_in_hour, read_posts
from crawler.mappings import post_mapping
from dictionaries import default_dictionary_path, default_stopwords_path, load_dictionary, load_stopwords
from issues.reduce import MappedHour, reduce_mapped
from keywords.extract import ExtractSettings, KeywordExtractor
from keywords.matcher import KeywordMatcher
from keywords.stream import MAPPED_SCHEMA, MapSettings, map_posts, signatures_of

FAR = dict(earliest=pd.Timestamp("2000-01-01", tz="UTC"), latest=pd.Timestamp("2100-01-01", tz="UTC"))


@pytest.fixture(scope="module")
def matcher():
    return KeywordMatcher.from_dictionary(load_dictionary(default_dictionary_path()),
                                          load_stopwords(default_stopwords_path()))


@pytest.fixture(scope="module")
def hour_posts(shared_data):
    posts = read_posts([str(shared_data / "news_general_kr_2022jul" / "items.jsonl.gz")], post_mapping("knews"),
                       **FAR).accepted
    frames = [posts_in_hour(posts, pd.Timestamp(h)) for h in ("2022-07-28T10:00+09:00", "2022-07-29T15:00+09:00")]
    return [f for f in frames if len(f) > 20]


def test_chunks_in_any_order_reduce_to_one_extraction(matcher, hour_posts):
    assert hour_posts, "no real-news hour with posts"
    settings = ExtractSettings()
    doc_freq, query_volume = pd.Series({"경찰": 40, "대통령": 120}), pd.Series({"경찰": 300})
    for posts in hour_posts:
        expected = KeywordExtractor(matcher, settings).extract(posts, doc_freq, 5000, query_volume)
        chunks = [posts.iloc[i:i + 7] for i in range(0, len(posts), 7)]
        rng = np.random.default_rng(3)
        tables = [map_posts(chunks[i], matcher, MapSettings()) for i in rng.permutation(len(chunks))]
        hour = reduce_mapped(tables, matcher, settings, doc_freq, 5000, query_volume)
        assert hour.posts["post_id"].tolist() == posts["post_id"].tolist()
        pd.testing.assert_frame_equal(hour.post_keywords, expected)
        assert "body" not in hour.posts
        assert hour.signatures.shape == (len(posts), 64)


def test_map_is_picklable_and_keeps_the_schema(matcher, hour_posts):
    posts = hour_posts[0]
    again = pickle.loads(pickle.dumps((map_posts, matcher, MapSettings(title_chars=12))))
    table = again[0](posts, again[1], again[2])
    assert table.schema.equals(MAPPED_SCHEMA)
    assert max(len(t) for t in table.column("title").to_pylist()) <= 12
    assert np.array_equal(signatures_of(table), signatures_of(map_posts(posts, matcher)))


def test_from_aggregates_rebuilds_the_same_hour(matcher, hour_posts):
    posts = hour_posts[0]
    table = map_posts(posts, matcher)
    hour = reduce_mapped([table], matcher)
    shuffled = table.to_pandas().sample(frac=1.0, random_state=1)
    other = MappedHour.from_aggregates(shuffled.drop(columns=["keyword_ids", "title_hits", "body_hits", "first_pos"]),
                                       hour.post_keywords.sample(frac=1.0, random_state=2), doc_freq=hour.doc_freq)
    pd.testing.assert_frame_equal(other.posts, hour.posts)
    pd.testing.assert_frame_equal(other.post_keywords, hour.post_keywords)
    assert np.array_equal(other.signatures, hour.signatures)
