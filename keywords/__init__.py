"""issuewire: keywords — normalisation, dictionary matching and per-post keyword scoring.

    >>> from dictionaries import load_dictionary, load_stopwords, default_dictionary_path  # doctest: +SKIP
    >>> matcher = KeywordMatcher.from_dictionary(load_dictionary(default_dictionary_path()))  # doctest: +SKIP
    >>> KeywordExtractor(matcher, ExtractSettings()).extract(posts, doc_freq, n_docs)  # doctest: +SKIP
"""
from keywords.extract import ExtractSettings, KeywordExtractor, keyword_query_volume
from keywords.matcher import KeywordMatcher
from keywords.normalize import normalize_text

__all__ = ["ExtractSettings", "KeywordExtractor", "KeywordMatcher", "keyword_query_volume",
           "normalize_text"]
