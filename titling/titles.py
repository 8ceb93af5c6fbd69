"""Titles: name each issue after what people search for ('임재범' -> '나는가수다 임재범').

    >>> from keywords.matcher import KeywordMatcher
    >>> matcher = KeywordMatcher({"임재범": "임재범", "나가수": "나는가수다", "나는가수다": "나는가수다"})
    >>> queries_now = pd.DataFrame({"query": ["나는가수다 임재범", "임재범 나이", "임재범이 나는가수다"],
    ...                             "count": [120, 30, 40]})
    >>> query_history = pd.Series({"임재범 나이": 25.0})          # searched as much yesterday: no surge
    >>> titles = TitleChooser(matcher, TitleSettings()).choose(["임재범"], queries_now, query_history)
    >>> titles.loc["임재범", "title"], titles.loc["임재범", "title_source"], int(titles.loc["임재범", "title_query_count"])
    ('나는가수다 임재범', 'query', 160)
    >>> asked = []                               # or a lookup, asked only for the candidates' queries
    >>> def lookup(queries):
    ...     asked.extend(queries)
    ...     return query_history.reindex(queries).dropna()
    >>> TitleChooser(matcher, TitleSettings()).choose(["임재범"], queries_now, lookup).loc["임재범", "title"], sorted(asked)
    ('나는가수다 임재범', ['나는가수다 임재범', '임재범 나이', '임재범이 나는가수다'])

Candidates are the hour's queries that contain an issue keyword or one of its aliases at a word
start (particles allowed after it), found in one Aho-Corasick pass (ahocorasick-rs, an automaton
of the issues' surfaces only) over all distinct queries of the hour. Query variants are one
candidate: spacing, particles and word order do not matter ('나는가수다 임재범' =
'임재범 나는가수다' = '임재범이 나는가수다'; see :func:`variant_key`). A candidate scores

    log1p(count) x surge ** surge_exponent x context_lift ** lift_exponent

* ``surge = (count + 1) / (mean count over the stored history hours + 1)`` (popular *and* rising;
  the history is a Series or a lookup asked for the candidates only, :data:`QueryHistory`);
* ``context_lift``: the geometric mean over the query's context words (the words that are not
  the keyword) of how over-represented the word is in the titles of the issue's posts against all
  the hour's post titles, shrunk towards 1 (:func:`context_lift`); 1 when the query is the keyword alone or there
  are no posts. A context word nobody wrote about scores below 1.

Queries below ``min_count`` or ``min_surge``, or with a U+FFFD (text broken in transit), do not qualify. The title is the best candidate's
words in the order people search it (the most searched variant's order), or, when no order has
``order_share`` of the searches, in the order the words appear in the issue's post titles; a
keyword or alias in it is shown in its dictionary display form (default: the canonical keyword;
operators set a ``display`` column to show e.g. an alias). A word never repeats; context words
are dropped from the end until the title fits ``max_title_chars``. A candidate that hits the
:class:`titling.blocklist.TitleBlocklist` falls back to the next one, then to the keyword (in its
display form), so a title is never empty. :func:`html_title` escapes the final title for HTML.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Union

import ahocorasick_rs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from keywords.context import BACKENDS as _TAGGERS
from keywords.particles import strip_particle as _strip_particle

CONTEXT_BACKENDS = _TAGGERS + ("none",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


#: A query's mean count per hour over the last day: a Series (query -> mean), or a lookup called
#: with the candidate queries that returns that Series for them (the runner's, over the store, so
#: a portal's millions of stored queries are not read to title a few hundred issues).
QueryHistory = Union[pd.Series, Callable[[list], pd.Series]]


@dataclass(frozen=True)
class TitleSettings:
    min_count: int = 5
    min_surge: float = 1.5
    surge_exponent: float = 0.5
    lift_exponent: float = 0.5
    lift_prior: float = 2.0          # pseudo-posts shrinking a context word's lift towards 1
    max_forms: int = 200             # per keyword, the most popular x surging queries grouped into variants
    max_candidates: int = 20         # per keyword, variants by popularity x surge, before the context lift
    order_share: float = 0.6         # a word order with this share of the searches is "the" order
    max_title_chars: int = 30
    context_backend: str = "kiwi"    # nouns of the posts' titles for query-less titles; "none": facets only

    def __post_init__(self):
        if self.context_backend not in CONTEXT_BACKENDS:
            raise ValueError(f"context_backend must be one of {', '.join(CONTEXT_BACKENDS)}, "
                             f"got {self.context_backend!r}")


def clean_title(text: str) -> str:
    """NFC, control and zero-width characters dropped, whitespace runs collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    return " ".join(_CONTROL.sub(" ", text).split())


def html_title(text: str, max_chars: int | None = None) -> str:
    """The published form of a title: cleaned, then escaped for HTML (``<`` -> ``&lt;``, quotes too);
    with ``max_chars`` cut (with "…") so that the escaped form fits.

    >>> html_title('<b>"속보"</b>\\x07 임재범')
    '&lt;b&gt;&quot;속보&quot;&lt;/b&gt; 임재범'
    >>> html_title('"' * 10, max_chars=20)
    '&quot;&quot;&quot;…'
    """
    clean = clean_title(text)
    out = html.escape(clean, quote=True)
    keep = len(clean)
    while max_chars is not None and len(out) > max_chars and keep > 0:
        keep = min(keep - 1, keep - (len(out) - max_chars) // 6 - 1)
        out = html.escape(clean[:max(keep, 0)].rstrip(), quote=True) + "…"
    return out


def strip_particle(word: str) -> str:
    """A title or query word without its particle (a copula ending stays: 나는가수다).

    >>> strip_particle("임재범이"), strip_particle("나는가수다")
    ('임재범', '나는가수다')
    """
    return _strip_particle(word, copula=False)


def variant_key(query: str) -> str:
    """One key for the variants of a query: particles stripped, spacing and word order ignored.

    >>> variant_key("나는가수다 임재범") == variant_key("임재범이 나는가수다") == variant_key("임재범나는가수다")
    True
    """
    words = [strip_particle(w) for w in clean_title(query).lower().split()]
    return "".join(sorted("".join(words)))


def _words_of(query: str) -> list[str]:
    return clean_title(query).split()


_MESSY = re.compile(_CONTROL.pattern + r"|\s\s|^\s|\s$|[^\S ]")


def _baseline(queries: pd.Series, history: QueryHistory | None) -> np.ndarray:
    """Each query's mean count in the history hours (0 when unseen): one Arrow ``index_in`` of the
    (large) history index against the (small) set of candidate queries. ``history`` may be a
    lookup (:data:`QueryHistory`), asked once for the candidates' distinct queries."""
    out = np.zeros(len(queries))
    if history is None or not len(queries):
        return out
    if callable(history):
        history = history(pd.unique(queries.to_numpy(dtype=object)).tolist())
    if history is None or history.empty:
        return out
    values = history.index.array
    keys = values._pa_array if hasattr(values, "_pa_array") else pa.array(history.index.to_numpy(dtype=object))
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    if not pa.types.is_string(keys.type) and not pa.types.is_large_string(keys.type):
        keys = pa.array(history.index.astype(str).to_numpy(dtype=object))
    unique = pd.unique(queries.to_numpy(dtype=object))
    slot = pc.index_in(keys, value_set=pa.array(unique, type=keys.type)).fill_null(-1).to_numpy()
    found = slot >= 0
    per_unique = np.zeros(len(unique))
    per_unique[slot[found]] = history.to_numpy(dtype=float)[found]
    return per_unique[pd.Index(unique).get_indexer(queries.to_numpy(dtype=object))]


def query_candidates(queries_now: pd.DataFrame | None, query_history: QueryHistory | None, matcher,
                     settings: TitleSettings, keywords: Iterable[str] | None = None) -> pd.DataFrame:
    """Qualifying (keyword, query) pairs with count, surge and ``score`` (popularity x surge), best first.

    ``matcher`` is a :class:`keywords.matcher.KeywordMatcher`; with ``keywords`` only their surfaces
    are searched (a small automaton, one pass over all distinct queries).
    """
    cols = ["keyword", "query", "count", "baseline", "surge", "score"]
    if queries_now is None or queries_now.empty:
        return pd.DataFrame(columns=cols)
    counts = queries_now["count"].to_numpy()
    q = queries_now.loc[counts >= settings.min_count, ["query", "count"]]
    if q.empty:
        return pd.DataFrame(columns=cols)
    if keywords is not None:
        matcher = matcher.subset(keywords)
    hits = matcher.find_many(q["query"].astype(str).tolist())
    if hits.empty:
        return pd.DataFrame(columns=cols)
    pairs = hits[["doc", "keyword"]].drop_duplicates()
    found = q.iloc[pairs["doc"].to_numpy()]
    texts = found["query"].astype(str).tolist()
    readable = np.fromiter(("\ufffd" not in t for t in texts), dtype=bool, count=len(texts))   # mojibake
    cleaned = [t if unicodedata.is_normalized("NFC", t) and not _MESSY.search(t) else clean_title(t)
               for t, ok in zip(texts, readable) if ok]
    out = pd.DataFrame({"keyword": pairs["keyword"].to_numpy()[readable], "query": np.asarray(cleaned, dtype=object),
                        "count": found["count"].to_numpy(np.int64)[readable]})
    out = out.groupby(["keyword", "query"], as_index=False, sort=True)["count"].sum()
    out["baseline"] = _baseline(out["query"], query_history)
    out["surge"] = (out["count"] + 1.0) / (out["baseline"] + 1.0)
    out = out.loc[out["surge"] >= settings.min_surge].copy()
    out["score"] = np.log1p(out["count"].to_numpy(float)) * out["surge"].to_numpy(float) ** settings.surge_exponent
    return out[cols].sort_values(["keyword", "score", "query"], ascending=[True, False, True],
                                 kind="stable").reset_index(drop=True)


def group_variants(cands: pd.DataFrame, settings: TitleSettings) -> pd.DataFrame:
    """Candidates -> one row per (keyword, variant): the most searched form, summed count and
    baseline (so the surge is the variant's as a whole), and the share of searches in its word order."""
    if cands.empty:
        return cands.assign(variant=[], order_share=[])
    # the most popular forms only: a keyword in a million queries is titled from its head
    cands = cands.groupby("keyword", sort=False).head(settings.max_forms)
    c = cands.assign(variant=cands["query"].map(variant_key))
    c = c.sort_values(["keyword", "variant", "count", "query"], ascending=[True, True, False, True], kind="stable")
    grouped = c.groupby(["keyword", "variant"], sort=False)
    # the share of the group's searches that used the top form's word order
    c["_order"] = c["query"].map(lambda s: " ".join(strip_particle(w) for w in s.lower().split()))
    top_order = grouped["_order"].transform("first")
    same = (c["_order"] == top_order) * c["count"]
    c["_same"] = same
    agg = c.groupby(["keyword", "variant"], sort=False).agg(
        query=("query", "first"), count=("count", "sum"), baseline=("baseline", "sum"), same=("_same", "sum"))
    agg["order_share"] = agg["same"] / agg["count"].clip(lower=1)
    agg["surge"] = (agg["count"] + 1.0) / (agg["baseline"] + 1.0)
    agg["score"] = np.log1p(agg["count"].to_numpy(float)) * agg["surge"].to_numpy(float) ** settings.surge_exponent
    return agg.drop(columns="same").reset_index()


def context_lift(words_per_candidate: list[list[str]], candidate_posts: list[frozenset], posts: pd.DataFrame | None,
                 prior: float = 2.0) -> np.ndarray:
    """Per candidate: geometric mean over its context words of the word's lift in the issue's posts' titles.

    ``lift = ((df_issue + prior x p) / (n_issue + prior)) / p`` with ``p = (df_all + 1) / (N + 2)`` the
    share of all the hour's post titles containing the word; one Aho-Corasick pass over the titles
    (bodies are gone after the map stage) gives a sparse post x word matrix, and each issue's counts
    are one sparse row sum. No words (or no posts) gives 1.

    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4"],
    ...                       "title": ["임재범 나가수 출연", "임재범 나가수 무대", "날씨 맑음", "주식 하락"]})
    >>> context_lift([["나가수"], ["날씨"], []], [frozenset({"p1", "p2"})] * 3, posts).round(2).tolist()
    [1.5, 0.5, 1.0]
    """
    n = len(words_per_candidate)
    out = np.ones(n)
    vocab = sorted({w for ws in words_per_candidate for w in ws})
    if posts is None or posts.empty or not vocab:
        return out
    texts = posts["title"].fillna("").astype(str).str.lower().tolist()
    joined = "\n".join(texts)
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(np.fromiter((len(t) + 1 for t in texts[:-1]), dtype=np.int64, count=len(texts) - 1), out=starts[1:])
    ac = ahocorasick_rs.AhoCorasick([w.lower() for w in vocab], matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
    found = ac.find_matches_as_indexes(joined, overlapping=True)
    word_index = {w: i for i, w in enumerate(vocab)}
    if found:
        arr = np.asarray(found, dtype=np.int64).reshape(-1, 3)
        post = np.searchsorted(starts, arr[:, 1], side="right") - 1
        has = sparse.csr_matrix((np.ones(post.size, dtype=np.int32), (post, arr[:, 0])),
                                shape=(len(texts), len(vocab)))
        has.data[:] = 1                                   # presence, not hit counts
    else:
        has = sparse.csr_matrix((len(texts), len(vocab)), dtype=np.int32)
    df_all = np.asarray(has.sum(axis=0)).reshape(-1).astype(float)
    p_all = (df_all + 1.0) / (len(texts) + 2.0)
    position = pd.Index(posts["post_id"].astype(str).to_numpy(dtype=object))
    per_set: dict[frozenset, np.ndarray] = {}
    for i, (ws, ids) in enumerate(zip(words_per_candidate, candidate_posts)):
        if not ws:
            continue
        ids = ids or frozenset()
        if ids not in per_set:
            rows = position.get_indexer(list(ids))
            per_set[ids] = np.asarray(has[rows[rows >= 0]].sum(axis=0)).reshape(-1).astype(float)
        columns = np.fromiter((word_index[w] for w in ws), dtype=np.int64, count=len(ws))
        lift = ((per_set[ids][columns] + prior * p_all[columns]) / (len(ids) + prior)) / p_all[columns]
        out[i] = float(np.exp(np.mean(np.log(lift))))
    return out


def order_by_titles(words: list[str], titles: Iterable[str]) -> list[str]:
    """Words ordered by their mean relative position in the titles that contain them (stable)."""
    titles = [str(t).lower() for t in titles]
    keyed = []
    for k, w in enumerate(words):
        base = strip_particle(w).lower()
        positions = [t.find(base) / max(1, len(t)) for t in titles if base in t]
        keyed.append((np.mean(positions) if positions else np.inf, k, w))
    return [w for _, _, w in sorted(keyed)]


class TitleChooser:
    """Chooses each issue's title from the hour's queries (see the module docstring)."""

    def __init__(self, matcher, settings: TitleSettings = TitleSettings(),
                 display_form: Callable[[str], str] | None = None, blocklist=None):
        self.matcher = matcher
        self.settings = settings
        self.display_form = display_form or (lambda k: k)
        self.blocklist = blocklist
        self._displayed: dict[str, str] = {}

    def _blocked(self, title: str) -> bool:
        return self.blocklist is not None and self.blocklist.blocks(title)

    def _display(self, word: str) -> str:
        """A word that is a dictionary surface (possibly with a particle) in its display form."""
        if word not in self._displayed:
            self._displayed[word] = self._display_of(word)
        return self._displayed[word]

    def _display_of(self, word: str) -> str:
        hits = self.matcher.find(word)
        if hits and hits[0][1] == 0:
            keyword, _, end = hits[0]
            return clean_title(self.display_form(keyword)) + word[end:]
        return word

    def compose(self, keyword: str, query: str, mixed_order: bool, post_titles: Iterable[str] = ()) -> str:
        """A candidate query -> title: order, display forms, no repeated word, length limit."""
        words = _words_of(query)
        if mixed_order:
            words = order_by_titles(words, post_titles)
        words = [self._display(w) for w in words]
        seen, kept = set(), []
        for w in words:
            key = strip_particle(w).lower()
            if key in seen:
                continue
            seen.add(key)
            kept.append(w)
        shown = clean_title(self.display_form(keyword)) or keyword
        is_key = [shown in w or strip_particle(w) in shown for w in kept]
        while len(" ".join(kept)) > self.settings.max_title_chars and len(kept) > 1:
            drop = max((i for i, k in enumerate(is_key) if not k), default=len(kept) - 1)
            kept.pop(drop)
            is_key.pop(drop)
        return " ".join(kept)[: self.settings.max_title_chars]

    def choose(self, keywords: Iterable[str], queries_now: pd.DataFrame | None,
               query_history: QueryHistory | None, posts: pd.DataFrame | None = None,
               post_sets: dict[str, frozenset] | None = None) -> pd.DataFrame:
        """Index keyword -> ``title`` (plain text; :func:`html_title` publishes it), ``title_source``
        ('query', 'keyword' or 'blocked' when even the keyword is blocked), ``title_query_count``."""
        keywords = list(dict.fromkeys(keywords))
        s = self.settings
        post_sets = post_sets or {}
        cands = query_candidates(queries_now, query_history, self.matcher, s, keywords)
        variants = group_variants(cands, s)
        if len(variants):
            variants = (variants.sort_values(["keyword", "score", "query"], ascending=[True, False, True], kind="stable")
                        .groupby("keyword", sort=False).head(s.max_candidates).reset_index(drop=True))
            surfaces = self.matcher.subset(keywords).surface_map if keywords else {}
            words_of_kw: dict[str, list[str]] = {}
            for surface, kw in surfaces.items():
                words_of_kw.setdefault(kw, []).extend(surface.lower().split())
            context = []
            for kw, query in zip(variants["keyword"], variants["query"]):
                own = words_of_kw.get(kw, [kw.lower()])
                context.append(sorted({strip_particle(w).lower() for w in query.split()
                                       if not any(w.lower().startswith(o) for o in own)}
                                      - {""}))
            ids = [post_sets.get(kw, frozenset()) for kw in variants["keyword"]]
            variants["lift"] = context_lift(context, ids, posts, s.lift_prior)
            variants["score"] = variants["score"] * variants["lift"] ** s.lift_exponent
            variants = variants.sort_values(["keyword", "score", "query"], ascending=[True, False, True], kind="stable")
        by_kw: dict[str, list[tuple]] = {}
        if len(variants):
            for kw, query, count, share in zip(variants["keyword"], variants["query"], variants["count"],
                                               variants["order_share"]):
                by_kw.setdefault(kw, []).append((query, count, share))
        titles_of = {}
        if posts is not None and len(posts) and post_sets:
            wanted = set().union(*(post_sets.get(k, ()) for k in keywords))
            ids = posts["post_id"].astype(str)
            mine = ids.isin(wanted).to_numpy()          # the keywords' posts only, not the hour's
            title_by_id = dict(zip(ids.loc[mine].tolist(), posts.loc[mine, "title"].fillna("").astype(str).tolist()))
            titles_of = {k: [title_by_id[i] for i in sorted(post_sets.get(k, ())) if i in title_by_id][:200]
                         for k in keywords}
        rows = []
        for keyword in keywords:
            chosen = None
            for query, count, share in by_kw.get(keyword, ()):
                title = self.compose(keyword, query, share < s.order_share, titles_of.get(keyword, ()))
                if title and not self._blocked(title):
                    chosen = (keyword, title, "query", int(count))
                    break
            if chosen is None:
                fallback = (clean_title(self.display_form(keyword)) or keyword)[: s.max_title_chars]
                chosen = (keyword, fallback, "blocked" if self._blocked(fallback) else "keyword", 0)
            rows.append(chosen)
        return pd.DataFrame(rows, columns=["keyword", "title", "title_source", "title_query_count"]).set_index("keyword")


def facet_title(keyword: str, facets: list[str], post_titles: list[str], display_form: Callable[[str], str] | None = None,
                min_share: float = 0.5, max_facets: int = 2, max_chars: int = 30) -> str:
    """Without queries or context nouns: the representative plus the facets that most of its posts'
    titles carry, in the order they appear there ('전투기' + ['추락', '조종사'] -> '전투기 추락');
    :func:`context_title` without context nouns.

    >>> facet_title("전투기", ["조종사", "추락"], ["전투기 추락 조종사 탈출", "공군 전투기 추락", "전투기 추락"])
    '전투기 추락'
    """
    return context_title(keyword, facets, {}, post_titles, display_form, min_share, max_facets, max_chars)[0]


def context_title(keyword: str, facets: list[str], context: Mapping[str, float], post_titles: list[str],
                  display_form: Callable[[str], str] | None = None, min_share: float = 0.5, max_words: int = 2,
                  max_chars: int = 30, blocks: Callable[[str], bool] | None = None) -> tuple[str, str]:
    """Without queries: the representative plus the facets and context nouns that most of its
    posts' titles carry, in the order they appear there; returns (title, title_source).

    >>> titles = ["색동원 시설장 구속영장 청구", "장애인 시설 색동원 시설장 구속", "색동원 시설장 영장"]
    >>> context_title("색동원", [], {"시설장": 1.0, "장애인": 1 / 3, "구속영장": 1 / 3}, titles)
    ('색동원 시설장', 'context')
    >>> context_title("전투기", ["추락"], {}, ["전투기 추락", "공군 전투기 추락"])
    ('전투기 추락', 'facets')
    >>> context_title("색동원", [], {"장애인": 1 / 3}, titles)
    ('색동원', 'keyword')

    ``context`` maps a context noun (a non-dictionary word of the titles,
    :func:`keywords.context.context_candidates`) to the share of the issue's titles that contain
    it; a facet's share is the share of titles containing it as text. Words with at least
    ``min_share`` qualify, best share first (a facet before a noun at equal share), at most
    ``max_words``; a word is skipped when it is the keyword, contains it or is contained in it, or
    overlaps a word already chosen (no word twice). Words are dropped, last chosen first, until the
    title fits ``max_chars``. When ``blocks`` says the title is blocked, the facets alone are tried,
    then the keyword alone. ``title_source`` is ``context`` when a context noun is in the title,
    ``facets`` when only facets are, else ``keyword``.
    """
    display_form = display_form or (lambda k: k)
    blocks = blocks or (lambda t: False)
    titles = [str(t).lower() for t in post_titles]
    shown = clean_title(display_form(keyword)) or keyword
    own = {keyword.lower(), shown.lower()}
    if not titles:
        return shown[:max_chars], "keyword"
    facet_set = set(facets)
    share = {f: sum(f.lower() in t for t in titles) / len(titles) for f in facets}
    for word, value in context.items():
        share.setdefault(word, float(value))
    ranked = sorted((w for w in share if share[w] >= min_share),
                    key=lambda w: (-share[w], w not in facet_set, w))
    chosen: list[str] = []
    for w in ranked:
        low = w.lower()
        if any(low in o or o in low for o in own) or any(low in c.lower() or c.lower() in low for c in chosen):
            continue
        chosen.append(w)
        if len(chosen) == max_words:
            break

    def compose(words: list[str]) -> str:
        ordered = order_by_titles([keyword] + words, titles)
        out = " ".join(shown if w == keyword else clean_title(display_form(w)) or w for w in ordered)
        while len(out) > max_chars and words:
            words = words[:-1]
            ordered = [w for w in ordered if w == keyword or w in words]
            out = " ".join(shown if w == keyword else clean_title(display_form(w)) or w for w in ordered)
        return out[:max_chars], words

    for words in (chosen, [w for w in chosen if w in facet_set]):
        title, kept = compose(list(words))
        if kept and not blocks(title):
            return title, "context" if any(w not in facet_set for w in kept) else "facets"
    return shown[:max_chars], "keyword"
