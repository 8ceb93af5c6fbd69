"""The functional core of one hour: posts and queries in, ranked titled issues out. No I/O.

    >>> inputs = HourInputs(hour=pd.Timestamp("2026-02-19T07:00Z"), posts=posts, queries=queries)  # doctest: +SKIP
    >>> result = run_hour_core(inputs, HourTools.build(dictionary, stopwords), settings)            # doctest: +SKIP
    >>> result.issues[["channel", "rank", "title"]]                                                # doctest: +SKIP

``jobs.runner.hour`` loads the history into :class:`HourInputs` and writes :class:`HourResult` out;
everything between is here, so it is tested without a database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clustering.bundle import bundle_posts
from clustering.merge import merge_seeds
from issues.aggregate import HOME
from issues.detect import BurstDetector
from issues.lifecycle import issue_state, ranking_score
from issues.seeds import find_seeds
from keywords.context import ContextSettings, context_candidates
from keywords.extract import KeywordExtractor, keyword_query_volume
from keywords.matcher import KeywordMatcher
from titling.blocklist import TitleBlocklist
from titling.overrides import Overrides, fired_rule
from titling.titles import TitleChooser, clean_title, context_title, html_title

NAMED_ENTITY_TYPES = ("person", "organisation", "place", "event", "product")
ISSUE_COLUMNS = ["channel", "rank", "issue_id", "keyword", "title", "title_source", "score", "facets",
                 "post_ids", "signals", "pinned", "state", "onset"]
BUNDLE_COLUMNS = ["channel", "issue_id", "position", "post_id", "title", "author_id", "url", "bundle_score"]
FIRING_COLUMNS = ["rule", "line", "subject", "channel", "detail"]


@dataclass
class HourInputs:
    """Everything the hour needs; history frames default to empty (a cold start)."""

    hour: pd.Timestamp
    posts: pd.DataFrame
    queries: pd.DataFrame | None = None
    doc_freq: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    n_docs: int = 0
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["hour", "keyword", "channel", "authors", "expected", "masked", "is_issue"]))
    run_hours: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], tz="UTC"))
    activity_history: pd.DataFrame | None = None
    query_history: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    previous_issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["hour", "keyword", "issue_id", "onset"]))
    overrides: Overrides = field(default_factory=Overrides)


@dataclass
class HourTools:
    """The compiled, reusable pieces (built once per process, reused every hour)."""

    dictionary: Any
    matcher: KeywordMatcher
    named_entities: frozenset[str] = frozenset()
    influential: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    blocklist: TitleBlocklist = field(default_factory=TitleBlocklist)
    evergreen: frozenset[str] = frozenset()
    common_words: frozenset[str] = frozenset()       # typed 'common': never an event's representative if avoidable
    keyword_types: pd.Series | None = None           # keyword -> dictionary type, for cold-start priors
    stopwords: frozenset[str] = frozenset()          # never a context word of a title either

    @classmethod
    def build(cls, dictionary, stopwords=frozenset(), influential: pd.Series | None = None,
              blocklist: TitleBlocklist | None = None, evergreen: frozenset[str] = frozenset()) -> "HourTools":
        entries = dictionary.entries
        named = frozenset(entries.loc[entries["type"].isin(NAMED_ENTITY_TYPES), "keyword"])
        common = frozenset(entries.loc[entries["type"] == "common", "keyword"])
        return cls(dictionary, KeywordMatcher.from_dictionary(dictionary, stopwords=stopwords), named,
                   influential if influential is not None else pd.Series(dtype=float),
                   blocklist or TitleBlocklist(), frozenset(evergreen), common,
                   pd.Series(entries["type"].to_numpy(), index=entries["keyword"].to_numpy()), frozenset(stopwords))


@dataclass
class HourResult:
    hour: pd.Timestamp
    post_keywords: pd.DataFrame
    stats: pd.DataFrame
    issues: pd.DataFrame
    bundles: pd.DataFrame
    channels: list[str]
    activity: pd.Series
    counts: dict[str, int]
    firings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIRING_COLUMNS))
    notes: list[str] = field(default_factory=list)


def issue_id_for(keyword: str, onset: pd.Timestamp) -> str:
    """A new issue's id: stable for the same keyword and onset hour, so re-runs agree."""
    return hashlib.sha1(f"{keyword}|{pd.Timestamp(onset).isoformat()}".encode()).hexdigest()[:12]


def _continuing_ids(previous: pd.DataFrame, hour: pd.Timestamp, within_hours: int) -> dict[str, tuple]:
    """keyword -> (onset, issue_id) of issues published in the last ``within_hours``."""
    if previous is None or previous.empty:
        return {}
    recent = previous.loc[(previous["hour"] < hour) & (previous["hour"] >= hour - pd.Timedelta(hours=within_hours))]
    recent = recent.sort_values("hour", kind="stable")
    onsets = recent["onset"] if "onset" in recent else recent["hour"]
    onsets = onsets.where(onsets.notna(), recent["hour"])
    return {k: (pd.Timestamp(o), i) for o, k, i in zip(onsets, recent["keyword"], recent["issue_id"])}


def _signals(row: pd.Series) -> dict[str, float]:
    """The issue's "why": every signal's value and surprise, rounded for the feed."""
    out = {}
    for name in BurstDetector.signal_columns:
        value = row[name] if name in row else 0
        out[name] = int(value) if name in ("authors", "posts", "query_volume", "channels") else round(float(value), 4)
    out["fused_score"] = round(float(row["score"]), 4)
    return out


def _authors_at(history: pd.DataFrame, hour: pd.Timestamp) -> dict[tuple[str, str], int]:
    if history is None or history.empty:
        return {}
    rows = history.loc[history["hour"] == hour]
    return dict(zip(zip(rows["keyword"], rows["channel"]), rows["authors"].astype(int)))


MAX_CONTEXT_TITLES = 200     # per issue, the posts' titles tagged for context nouns


def _issue_titles(group, title_by_post: dict) -> list[str]:
    return [title_by_post.get(i, "") for i in sorted(group.post_ids)][:MAX_CONTEXT_TITLES]


def issue_context(merged: dict, titles: pd.DataFrame, title_by_post: dict, tools: HourTools,
                  title_settings) -> dict[tuple[str, str], dict[str, float]]:
    """(channel, keyword) -> {context noun: share of the issue's titles containing it}, for the
    issues no query titled, in one batched :func:`keywords.context.context_candidates` call.

    >>> context = issue_context(merged, titles, title_by_post, tools, settings.title)   # doctest: +SKIP
    >>> context[("home", "색동원")]                                                      # doctest: +SKIP
    {'시설장': 0.9, '구속영장': 0.6, ...}

    ``merged`` maps a channel to ``(seeds, post_sets, groups)`` (:func:`clustering.merge.merge_seeds`);
    empty when ``title_settings.context_backend`` is ``"none"``.
    """
    if title_settings.context_backend == "none":
        return {}
    keyed, titles_by_issue = {}, {}
    for channel, (_, _, groups) in merged.items():
        for g in groups.itertuples(index=False):
            if g.keyword in titles.index and titles.at[g.keyword, "title_source"] != "keyword":
                continue
            key = str(len(keyed))
            keyed[key] = (channel, g.keyword)
            titles_by_issue[key] = _issue_titles(g, title_by_post)
    if not titles_by_issue:
        return {}
    found = context_candidates(titles_by_issue, tools.dictionary, ContextSettings(title_settings.context_backend),
                               tools.stopwords)
    out: dict[tuple[str, str], dict[str, float]] = {}
    for key, word, count in zip(found["issue_key"], found["word"], found["count"]):
        out.setdefault(keyed[key], {})[word] = count / max(1, len(titles_by_issue[key]))
    return out


def run_hour_core(inputs: HourInputs, tools: HourTools, settings) -> HourResult:
    """Extract -> aggregate -> baseline -> detect -> title -> merge -> bundle -> overrides -> rank."""
    hour = pd.Timestamp(inputs.hour).tz_convert("UTC")
    posts = inputs.posts.reset_index(drop=True)
    s = settings
    queries = inputs.queries if inputs.queries is not None else pd.DataFrame(columns=["query", "count"])
    rules = inputs.overrides.active_at(hour)
    fired: list[dict] = []

    extractor = KeywordExtractor(tools.matcher, s.extract)
    query_volume = keyword_query_volume(queries, tools.matcher)
    post_keywords = extractor.extract(posts, inputs.doc_freq, inputs.n_docs, query_volume)
    blocked_hits = post_keywords["keyword"].isin(rules.blocked_keywords)
    fired += [fired_rule(rules, "block", k, HOME, "keyword removed from the hour")
              for k in sorted(set(post_keywords.loc[blocked_hits, "keyword"]))]
    post_keywords = post_keywords.loc[~blocked_hits]

    d = s.detect
    found = find_seeds(post_keywords, posts, query_volume, inputs, len(tools.matcher.keywords), d, tools.influential,
                       tools.keyword_types)
    scored, seeds, activity = found.scored, found.seeds, found.activity
    seeds = seeds.loc[~seeds["keyword"].isin(tools.evergreen)]     # evergreen topics are never bursts

    pk = post_keywords.merge(posts[["post_id", "channel"]], on="post_id")
    home_sets = {k: frozenset(v) for k, v in pk.groupby("keyword")["post_id"]}
    titles = TitleChooser(tools.matcher, s.title, tools.dictionary.display_form, tools.blocklist).choose(
        seeds["keyword"].unique(), queries, inputs.query_history, posts, home_sets)
    title_of = titles["title"].to_dict()
    title_by_post = dict(zip(posts["post_id"], posts["title"].fillna("").astype(str)))

    previous_authors = _authors_at(inputs.history, hour - pd.Timedelta(hours=1))
    continuing = _continuing_ids(inputs.previous_issues, hour, d.continue_hours)
    channels = sorted((set(posts["channel"]) | {p.channel for p in rules.pins}) - {HOME})
    merged = {}
    for channel in [HOME] + channels:
        ch_seeds = seeds.loc[seeds["channel"] == channel].reset_index(drop=True)
        ch_pk = pk if channel == HOME else pk.loc[pk["channel"] == channel]
        post_sets = {k: frozenset(v) for k, v in ch_pk.groupby("keyword")["post_id"]}
        merged[channel] = (ch_seeds, post_sets, merge_seeds(ch_seeds, post_sets, title_of, s.merge, rules.merges,
                                                            tools.named_entities, tools.common_words))
    context = issue_context(merged, titles, title_by_post, tools, s.title)

    issue_rows, bundle_rows = [], []
    for channel in [HOME] + channels:
        ch_seeds, post_sets, groups = merged[channel]
        rows, used_ids = [], set()
        for g in groups.itertuples(index=False):
            lead = ch_seeds.loc[g.lead_index]
            fired += [fired_rule(rules, "merge", m, channel, f"merged into {g.keyword}")
                      for m in g.member_keywords if rules.merges.get(m) == g.keyword]
            source = titles.at[g.keyword, "title_source"] if g.keyword in titles.index else "keyword"
            title = title_of.get(g.keyword) or g.keyword
            if source == "keyword":         # no query log: facets and context nouns of the posts' titles
                title, source = context_title(
                    g.keyword, list(g.facets), context.get((channel, g.keyword), {}), _issue_titles(g, title_by_post),
                    tools.dictionary.display_form, max_chars=s.title.max_title_chars, blocks=tools.blocklist.blocks)
                if source == "keyword":
                    title = title_of.get(g.keyword) or g.keyword
            rewrite_key = g.keyword if g.keyword in rules.rewrites else (title if title in rules.rewrites else None)
            if rewrite_key is not None:
                fired.append(fired_rule(rules, "rewrite", rewrite_key, channel, f"{title} -> {rules.rewrites[rewrite_key]}"))
                title, source = rules.rewrites[rewrite_key], "override"
            elif source == "blocked":                       # even the keyword is on the blocklist
                continue
            members = [g.keyword] + list(g.facets)
            known = [continuing[m] for m in members if m in continuing]
            onset, issue_id = min(known) if known else (hour, issue_id_for(g.keyword, hour))
            if issue_id in used_ids:          # a former issue split in two: only one part continues it
                onset, issue_id = hour, issue_id_for(g.keyword, hour)
            used_ids.add(issue_id)
            state = issue_state(onset, hour, int(lead["authors"]),
                                previous_authors.get((g.keyword, channel), previous_authors.get((lead["keyword"], channel))))
            rows.append({"channel": channel, "issue_id": issue_id, "keyword": g.keyword,
                         "title": clean_title(title) or g.keyword, "title_source": source,
                         "score": round(ranking_score(float(g.score), onset, hour, d.half_life_hours), 6),
                         "facets": list(g.facets), "post_ids": g.post_ids, "signals": _signals(lead),
                         "pinned": False, "state": state, "onset": onset})
        rows.sort(key=lambda r: (-r["score"], r["keyword"]))
        fired += [fired_rule(rules, "block-title", r["title"], channel, f"issue {r['keyword']} dropped")
                  for r in rows if r["title"] in rules.blocked_titles]
        rows = [r for r in rows if r["title"] not in rules.blocked_titles]
        pins = [p for p in rules.pins if p.channel == channel]
        top_score = max([r["score"] for r in rows], default=0.0)
        pinned = []
        for p in pins:
            rows = [r for r in rows if r["keyword"] != p.keyword]
            fired.append(fired_rule(rules, "pin", p.keyword, channel, f"pinned as {p.title or p.keyword}"))
            pinned.append({"channel": channel, "issue_id": issue_id_for(p.keyword, pd.Timestamp(0, tz="UTC")),
                           "keyword": p.keyword, "title": p.title or title_of.get(p.keyword, p.keyword),
                           "title_source": "override" if p.title else "keyword", "score": round(top_score, 6),
                           "facets": [], "post_ids": frozenset(post_sets.get(p.keyword, frozenset())),
                           "signals": {}, "pinned": True, "state": "pinned", "onset": None})
        ranked = (pinned + rows)[: d.top_n]
        for rank, r in enumerate(ranked, start=1):
            r["rank"] = rank
            r["title"] = html_title(r["title"]) or html_title(r["keyword"])
            bundle = bundle_posts(r["post_ids"], [r["keyword"]] + r["facets"], post_keywords,
                                  posts if channel == HOME else posts.loc[posts["channel"] == channel], s.bundle,
                                  tools.influential)
            r["post_ids"] = bundle["post_id"].tolist()
            for pos, b in enumerate(bundle.itertuples(index=False), start=1):
                bundle_rows.append({"channel": channel, "issue_id": r["issue_id"], "position": pos,
                                    "post_id": b.post_id, "title": b.title, "author_id": b.author_id,
                                    "url": b.url, "bundle_score": round(float(b.bundle_score), 6)})
            issue_rows.append(r)

    issues = pd.DataFrame(issue_rows, columns=ISSUE_COLUMNS)
    published = set(issues.loc[~issues["pinned"].astype(bool), "keyword"]) | {
        f for fs in issues["facets"] for f in fs}
    scored = scored.assign(is_issue=scored["keyword"].isin(published))
    scored["masked"] = scored["is_issue"] & found.warmed_up
    counts = {"posts": len(posts), "post_keywords": len(post_keywords), "seeds": int(len(seeds)),
              "duplicate_posts": found.duplicate_posts,
              "issues": int((issues["channel"] == HOME).sum()) if len(issues) else 0}
    firings = pd.DataFrame(fired, columns=FIRING_COLUMNS).drop_duplicates(ignore_index=True)
    return HourResult(hour, post_keywords, scored, issues, pd.DataFrame(bundle_rows, columns=BUNDLE_COLUMNS),
                      [HOME] + channels, activity, counts, firings)


def feed_document(result: HourResult, timezone: str = "Asia/Seoul") -> dict[str, Any]:
    """The JSON feed object of DESIGN.md: ``{"hour", "channels": {"home": [...], ...}}``."""
    channels: dict[str, list] = {c: [] for c in result.channels}
    bundles = {k: g for k, g in result.bundles.groupby(["channel", "issue_id"], sort=False)}
    for r in result.issues.itertuples(index=False):
        b = bundles.get((r.channel, r.issue_id))
        posts = [] if b is None else [
            {"post_id": x.post_id, "title": x.title, "author_id": x.author_id, "url": x.url}
            for x in b.itertuples(index=False)]
        channels[r.channel].append({
            "issue_id": r.issue_id, "rank": int(r.rank), "title": r.title, "keyword": r.keyword,
            "score": float(r.score), "post_ids": list(r.post_ids), "facets": list(r.facets),
            "title_source": r.title_source, "pinned": bool(r.pinned), "state": r.state,
            "onset": None if r.onset is None or pd.isna(r.onset) else pd.Timestamp(r.onset).tz_convert(timezone).isoformat(),
            "signals": r.signals, "posts": posts})
    return {"hour": result.hour.tz_convert(timezone).isoformat(), "channels": channels}
