"""Slow reference implementation of the matching rule: plain str.find loops."""
from keywords.normalize import fold, surface_key
from keywords.particles import accepts


def naive_find(surfaces: dict[str, str], text: str, stopwords=frozenset()) -> list[tuple[str, int, int]]:
    stop = {surface_key(s) for s in stopwords}
    work = fold(text)
    best: dict[int, tuple[int, str]] = {}  # start -> (end, keyword)
    for surface, keyword in surfaces.items():
        key = surface_key(surface)
        if not key or key in stop or surface_key(keyword) in stop:
            continue
        at = work.find(key)
        while at != -1:
            end = at + len(key)
            word_end = end
            while word_end < len(text) and text[word_end].isalnum() and work[word_end] != " ":
                word_end += 1
            starts_word = at == 0 or not text[at - 1].isalnum()
            if starts_word and accepts(key, work[end:word_end]):
                if at not in best or end > best[at][0]:
                    best[at] = (end, keyword)
            at = work.find(key, at + 1)
    return [(kw, start, end) for start, (end, kw) in sorted(best.items())]
