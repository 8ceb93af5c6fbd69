"""issuewire: keywords — normalisation, dictionary matching and per-post keyword scoring.

    >>> import pandas as pd
    >>> from dictionaries import KeywordDictionary
    >>> from keywords.extract import ExtractSettings, KeywordExtractor
    >>> from keywords.matcher import KeywordMatcher
    >>> matcher = KeywordMatcher.from_dictionary(KeywordDictionary.from_records(
    ...     [{"keyword": "나는가수다", "aliases": ["나가수"]}, {"keyword": "임재범"}]))
    >>> posts = pd.DataFrame({"post_id": ["p1"], "title": ["나가수 임재범 열창"], "body": ["임재범이 불렀다"]})
    >>> KeywordExtractor(matcher, ExtractSettings()).extract(posts, pd.Series(dtype=float), 0)["keyword"].tolist()
    ['임재범', '나는가수다']
"""
from keywords.extract import ExtractSettings, KeywordExtractor, keyword_query_volume
from keywords.matcher import KeywordMatcher
from keywords.normalize import normalize_text

__all__ = ["ExtractSettings", "KeywordExtractor", "KeywordMatcher", "keyword_query_volume",
           "normalize_text"]
