"""Operator-owned data: the keyword dictionary and stopwords (see :mod:`dictionaries.loader`)."""
from dictionaries.loader import (
    TYPES,
    DictionaryError,
    KeywordDictionary,
    default_dictionary_path,
    default_stopwords_path,
    load_dictionary,
    load_stopwords,
)

__all__ = [
    "TYPES",
    "DictionaryError",
    "KeywordDictionary",
    "default_dictionary_path",
    "default_stopwords_path",
    "load_dictionary",
    "load_stopwords",
]
