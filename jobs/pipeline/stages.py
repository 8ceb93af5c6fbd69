"""The stages of one hour, each a function of the previous stage's record (see :mod:`jobs.pipeline.hour`).

    >>> issue_id_for("무기징역", pd.Timestamp("2026-02-19T07:00Z"))
    '8cba4ea92190'

extract -> seeds -> seed rows -> titles -> merge -> overrides -> continue -> rank -> bundle. Each
stage returns its own record (:mod:`jobs.pipeline.records`), and a stage where override rules act
also the rules it fired (rows of ``override_firings``); nothing is shared or mutated between
stages. After the seeds, the stages read only :class:`~jobs.pipeline.records.SeedRows`: the rows
of the keywords that can reach the feed, a few hundred of the hour's tens of thousands.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd

from clustering.bundle import BundleSettings, bundle_posts
from clustering.merge import merge_seeds
from issues.field_rules import storable_limits
from issues.aggregate import HOME
from issues.detect import BurstDetector, DetectSettings
from issues.lifecycle import issue_state, ranking_score
from issues.seeds import FoundSeeds, find_seeds
from jobs.pipeline.records import BUNDLE_COLUMNS, Extraction, HourInputs, HourTools, Issue, Merged, SeedRows
from keywords.context import ContextSettings, context_candidates
from keywords.extract import ExtractSettings, KeywordExtractor, keyword_query_volume
from titling.overrides import Overrides, fired_rule
from titling.titles import TitleChooser, TitleSettings, clean_title, context_title, html_title

MAX_CONTEXT_TITLES = 200     # per issue, the posts' titles tagged for context nouns


def issue_id_for(keyword: str, onset: pd.Timestamp) -> str:
    """A new issue's id: stable for the same keyword and onset hour, so re-runs agree."""
    return hashlib.sha1(f"{keyword}|{pd.Timestamp(onset).isoformat()}".encode()).hexdigest()[:12]


def extract_keywords(inputs: HourInputs, tools: HourTools, settings: ExtractSettings,
                     rules: Overrides) -> tuple[Extraction, list[dict]]:
    """Score every post's dictionary keywords (:class:`keywords.extract.KeywordExtractor`), or take
    them from the hour's map and reduce (``inputs.mapped``, :mod:`issues.reduce`); blocked keywords
    leave the hour here."""
    queries = inputs.queries if inputs.queries is not None else pd.DataFrame(columns=["query", "count"])
    mapped, signatures = inputs.mapped, None
    if mapped is not None:
        posts, signatures = mapped.posts, mapped.signatures
        query_volume = mapped.query_volume if mapped.query_volume is not None else \
            keyword_query_volume(queries, tools.matcher)
        post_keywords = mapped.post_keywords
    else:
        posts = inputs.posts.reset_index(drop=True)
        query_volume = keyword_query_volume(queries, tools.matcher)
        post_keywords = KeywordExtractor(tools.matcher, settings).extract(posts, inputs.doc_freq, inputs.n_docs,
                                                                         query_volume)
    firings = []
    if rules.blocked_keywords:                      # else neither a scan nor a copy of the hour's rows
        blocked = post_keywords["keyword"].isin(rules.blocked_keywords)
        firings = [fired_rule(rules, "block", k, HOME, "keyword removed from the hour")
                   for k in sorted(set(post_keywords.loc[blocked, "keyword"]))]
        if blocked.any():
            post_keywords = post_keywords.loc[~blocked]
    return Extraction(posts, queries, post_keywords, query_volume, signatures), firings


def find_hour_seeds(extraction: Extraction, inputs: HourInputs, tools: HourTools,
                    settings: DetectSettings) -> FoundSeeds:
    """Keywords used far more than usual by many authors (:func:`issues.seeds.find_seeds`);
    evergreen topics are never bursts."""
    found = find_seeds(extraction.post_keywords, extraction.posts, extraction.query_volume, inputs,
                       len(tools.matcher.keywords), settings, tools.influential, tools.keyword_types,
                       signatures=extraction.signatures)
    return replace(found, seeds=found.seeds.loc[~found.seeds["keyword"].isin(tools.evergreen)])


def seed_rows(found: FoundSeeds, extraction: Extraction, rules: Overrides) -> SeedRows:
    """The rows the later stages read: the ``post_keywords`` of the seeds, the pinned keywords and
    the operators' merge representatives (a representative that is no seed still counts in its
    bundle), each with its post's channel, and the posts they are in (one pass over the hour)."""
    keywords = frozenset(found.seeds["keyword"]) | {p.keyword for p in rules.pins} | set(rules.merges.values())
    pk, posts = extraction.post_keywords, extraction.posts
    rows = pk.loc[pk["keyword"].isin(keywords).to_numpy(), ["post_id", "keyword", "score"]]
    ids = pd.Index(posts["post_id"])
    if ids.is_unique:
        where = ids.get_indexer(rows["post_id"])
        found_post = where >= 0                      # an inner join: rows of unknown posts go
        rows = rows.loc[found_post].assign(channel=posts["channel"].to_numpy()[where[found_post]])
        at = np.unique(where[found_post])
    else:
        rows = rows.merge(posts[["post_id", "channel"]], on="post_id")
        at = np.flatnonzero(posts["post_id"].isin(rows["post_id"]).to_numpy())
    sig = extraction.signatures
    return SeedRows(keywords, rows.reset_index(drop=True), posts.iloc[at].reset_index(drop=True),
                    None if sig is None else sig[at])


def _post_sets(rows: pd.DataFrame, keywords=None) -> dict[str, frozenset]:
    """keyword -> its posts' ids (of ``keywords`` only, when given)."""
    if keywords is not None:
        rows = rows.loc[rows["keyword"].isin(keywords).to_numpy()]
    return {k: frozenset(v) for k, v in rows.groupby("keyword")["post_id"]}


def choose_titles(found: FoundSeeds, extraction: Extraction, rows: SeedRows, inputs: HourInputs,
                  tools: HourTools, settings: TitleSettings) -> pd.DataFrame:
    """keyword -> title, title_source from the hour's queries (:class:`titling.titles.TitleChooser`)."""
    keywords = found.seeds["keyword"].unique()
    home_sets = _post_sets(rows.channel_keywords, keywords)
    chooser = TitleChooser(tools.matcher, settings, tools.dictionary.display_form, tools.blocklist)
    return chooser.choose(keywords, extraction.queries, inputs.query_history, extraction.posts, home_sets)


def hour_channels(posts: pd.DataFrame, rules: Overrides) -> list[str]:
    """``home`` first, then every channel of the hour's posts or of a pin, sorted."""
    return [HOME] + sorted((set(posts["channel"]) | {p.channel for p in rules.pins}) - {HOME})


def merge_issues(found: FoundSeeds, extraction: Extraction, rows: SeedRows, titles: pd.DataFrame,
                 tools: HourTools, settings, rules: Overrides) -> tuple[Merged, list[dict]]:
    """Per channel, seeds that are one issue become one (:func:`clustering.merge.merge_seeds`);
    each issue is titled from its query title, else from the facets and context nouns of its
    posts' titles (:func:`titling.titles.context_title`), else its keyword."""
    channels = hour_channels(extraction.posts, rules)
    seeds, ck = found.seeds, rows.channel_keywords
    title_of = titles["title"].to_dict()
    title_by_post = dict(zip(rows.posts["post_id"], rows.posts["title"].fillna("").astype(str)))
    merged, post_sets = {}, {}
    for channel in channels:
        ch_seeds = seeds.loc[seeds["channel"] == channel].reset_index(drop=True)
        ch_pk = ck if channel == HOME else ck.loc[(ck["channel"] == channel).to_numpy()]
        post_sets[channel] = _post_sets(ch_pk)      # the seeds' and pins' sets (rank_issues reads the pins')
        merged[channel] = (ch_seeds, merge_seeds(ch_seeds, post_sets[channel], title_of, settings.merge,
                                                 rules.merges, tools.named_entities, tools.common_words))
    context = issue_context(merged, titles, title_by_post, tools, settings.title)
    issues, firings = [], []
    for channel in channels:
        ch_seeds, groups = merged[channel]
        for g in groups.itertuples(index=False):
            firings += [fired_rule(rules, "merge", m, channel, f"merged into {g.keyword}")
                        for m in g.member_keywords if rules.merges.get(m) == g.keyword]
            source = titles.at[g.keyword, "title_source"] if g.keyword in titles.index else "keyword"
            title = title_of.get(g.keyword) or g.keyword
            if source == "keyword":         # no query title: facets and context nouns of the posts' titles
                title, source = context_title(
                    g.keyword, list(g.facets), context.get((channel, g.keyword), {}), _issue_titles(g, title_by_post),
                    tools.dictionary.display_form, max_chars=settings.title.max_title_chars,
                    blocks=tools.blocklist.blocks)
                if source == "keyword":
                    title = title_of.get(g.keyword) or g.keyword
            issues.append(Issue(channel, g.keyword, tuple(g.facets), g.post_ids, title, source,
                                merge_score=float(g.score), members=tuple(g.member_keywords),
                                lead=ch_seeds.loc[g.lead_index]))
    return Merged(channels, issues, post_sets, title_of), firings


def _issue_titles(group, title_by_post: dict) -> list[str]:
    return [title_by_post.get(i, "") for i in sorted(group.post_ids)][:MAX_CONTEXT_TITLES]


def issue_context(merged: dict, titles: pd.DataFrame, title_by_post: dict, tools: HourTools,
                  title_settings: TitleSettings) -> dict[tuple[str, str], dict[str, float]]:
    """(channel, keyword) -> {context noun: share of the issue's titles containing it}, for the
    issues no query titled, in one batched :func:`keywords.context.context_candidates` call;
    ``merged`` maps a channel to ``(seeds, groups)``. Empty with ``context_backend = "none"``."""
    if title_settings.context_backend == "none":
        return {}
    keyed, titles_by_issue = {}, {}
    for channel, (_, groups) in merged.items():
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


def apply_overrides(merged: Merged, rules: Overrides) -> tuple[Merged, list[dict]]:
    """The operators' rewrites (which also beat the title blocklist) and title blocks; an issue
    whose keyword itself is on the blocklist and is not rewritten is dropped. Pins are placed
    when the channel is ranked (:func:`rank_issues`)."""
    kept, firings = [], []
    for issue in merged.issues:
        key = issue.keyword if issue.keyword in rules.rewrites else (issue.title if issue.title in rules.rewrites else None)
        if key is not None:
            firings.append(fired_rule(rules, "rewrite", key, issue.channel, f"{issue.title} -> {rules.rewrites[key]}"))
            issue = replace(issue, title=rules.rewrites[key], title_source="override")
        elif issue.title_source == "blocked":
            continue
        issue = replace(issue, title=clean_title(issue.title) or issue.keyword)
        if issue.title in rules.blocked_titles:
            firings.append(fired_rule(rules, "block-title", issue.title, issue.channel, f"issue {issue.keyword} dropped"))
            continue
        kept.append(issue)
    return replace(merged, issues=kept), firings


def hold_back_bare_words(merged: Merged, found: FoundSeeds, tools: HourTools, settings: DetectSettings) -> Merged:
    """While the installation warms up (fewer than ``warmup_history_hours`` hours of history) an
    issue must say more than its keyword: without history a bare word surging (출시, 소식) proves
    nothing, the posts must agree on what happened (a title with context). Operators' titles stay."""
    if not settings.warmup_needs_context or found.history_hours >= settings.warmup_history_hours:
        return merged
    kept = [i for i in merged.issues
            if i.title_source == "override" or not _bare(i.title, i.keyword, tools.dictionary.display_form)]
    return replace(merged, issues=kept)


def _bare(title: str, keyword: str, display_form) -> bool:
    """The title says no more than its keyword (spaces and case aside)."""
    def key(text: str) -> str:
        return "".join(clean_title(text).split()).lower()
    return key(title) in (key(keyword), key(display_form(keyword)))


def continue_issues(merged: Merged, inputs: HourInputs, settings: DetectSettings) -> Merged:
    """Ids, onsets and states: an issue published within ``continue_hours`` (under any of its
    members) keeps its id and onset; its score decays since onset."""
    hour = pd.Timestamp(inputs.hour).tz_convert("UTC")
    previous_authors = _authors_at(inputs.history, hour - pd.Timedelta(hours=1))
    continuing = _continuing_ids(inputs.previous_issues, hour, settings.continue_hours)
    out, used = [], {c: set() for c in merged.channels}
    for issue in merged.issues:
        known = [continuing[m] for m in (issue.keyword, *issue.facets) if m in continuing]
        onset, issue_id = min(known) if known else (hour, issue_id_for(issue.keyword, hour))
        if issue_id in used[issue.channel]:       # a former issue split in two: only one part continues it
            onset, issue_id = hour, issue_id_for(issue.keyword, hour)
        used[issue.channel].add(issue_id)
        lead = issue.lead
        before = previous_authors.get((issue.keyword, issue.channel),
                                      previous_authors.get((lead["keyword"], issue.channel)))
        out.append(replace(issue, issue_id=issue_id, onset=onset,
                           state=issue_state(onset, hour, int(lead["authors"]), before),
                           score=round(ranking_score(issue.merge_score, onset, hour, settings.half_life_hours), 6)))
    return replace(merged, issues=out)


def rank_issues(merged: Merged, rules: Overrides, top_n: int) -> tuple[Merged, list[dict]]:
    """Per channel: pins first (scored as the channel's best issue), then by score; the top ``top_n``."""
    ranked, firings = [], []
    for channel in merged.channels:
        rows = sorted((i for i in merged.issues if i.channel == channel), key=lambda i: (-i.score, i.keyword))
        top_score = max((i.score for i in rows), default=0.0)
        pinned = []
        for p in (p for p in rules.pins if p.channel == channel):
            rows = [i for i in rows if i.keyword != p.keyword]
            firings.append(fired_rule(rules, "pin", p.keyword, channel, f"pinned as {p.title or p.keyword}"))
            pinned.append(Issue(channel, p.keyword, (), merged.post_sets[channel].get(p.keyword, frozenset()),
                                p.title or merged.query_titles.get(p.keyword, p.keyword),
                                "override" if p.title else "keyword",
                                issue_id=issue_id_for(p.keyword, pd.Timestamp(0, tz="UTC")), state="pinned",
                                score=round(top_score, 6), pinned=True))
        ranked += [replace(i, rank=r) for r, i in enumerate((pinned + rows)[:top_n], start=1)]
    return replace(merged, issues=ranked), firings


def bundle_issues(merged: Merged, extraction: Extraction, seed: SeedRows, tools: HourTools,
                  settings: BundleSettings) -> tuple[list[Issue], pd.DataFrame]:
    """Each ranked issue's bundle (:func:`clustering.bundle.bundle_posts`); titles HTML-escaped and
    cut to what the store keeps (:func:`issues.field_rules.storable_limits`)."""
    title_chars = storable_limits().issue_title
    candidates = _BundleCandidates(extraction, seed)
    issues, rows = [], []
    for issue in merged.issues:
        members = [issue.keyword, *issue.facets]
        post_keywords, channel_posts, channel_sig = candidates.of(issue.channel, issue.post_ids, members)
        bundle = bundle_posts(issue.post_ids, members, post_keywords,
                              channel_posts, settings, tools.influential, signatures=channel_sig)
        issues.append(replace(issue, title=html_title(issue.title, title_chars) or html_title(issue.keyword, title_chars),
                              post_ids=bundle["post_id"].tolist()))
        for pos, b in enumerate(bundle.itertuples(index=False), start=1):
            rows.append({"channel": issue.channel, "issue_id": issue.issue_id, "position": pos,
                         "post_id": b.post_id, "title": b.title, "author_id": b.author_id,
                         "url": b.url, "bundle_score": round(float(b.bundle_score), 6)})
    return issues, pd.DataFrame(rows, columns=BUNDLE_COLUMNS)


class _BundleCandidates:
    """Per issue, the rows :func:`clustering.bundle.bundle_posts` reads: its members' keyword rows
    and its posts (of its channel), taken from :class:`SeedRows` by index instead of scanning the
    hour; an issue reaching beyond them (never, by construction) reads the whole hour as before."""

    def __init__(self, extraction: Extraction, seed: SeedRows):
        self.extraction, self.seed = extraction, seed
        ck = seed.channel_keywords
        self.rows_of = {k: g for k, g in ck[["post_id", "keyword", "score"]].groupby("keyword", sort=False)}
        ids = pd.Index(seed.posts["post_id"])
        self.position = ids if ids.is_unique else None
        self.channel = seed.posts["channel"].to_numpy()
        self._whole: dict[str, tuple] = {}

    def of(self, channel: str, post_ids, members: list[str]):
        """(post_keywords, posts, signatures) for one issue of ``channel``."""
        if self.position is None or not all(m in self.seed.keywords for m in members):
            return (self.extraction.post_keywords, *self._channel_posts(channel))
        at = self.position.get_indexer(list(post_ids))
        if (at < 0).any():
            return (self.extraction.post_keywords, *self._channel_posts(channel))
        at = np.sort(at)
        if channel != HOME:
            at = at[self.channel[at] == channel]
        frames = [self.rows_of[m] for m in dict.fromkeys(members) if m in self.rows_of]
        # in the hour's row order, so a post's relevance is summed in the same order as over the hour
        post_keywords = pd.concat(frames).sort_index() if frames else self.seed.channel_keywords.iloc[:0]
        sig = self.seed.signatures
        return post_keywords, self.seed.posts.iloc[at], None if sig is None else sig[at]

    def _channel_posts(self, channel: str):
        if channel not in self._whole:
            posts, sig = self.extraction.posts, self.extraction.signatures
            if channel == HOME:
                self._whole[channel] = (posts, sig)
            else:
                m = (posts["channel"] == channel).to_numpy()
                self._whole[channel] = (posts.loc[m], None if sig is None else sig[m])
        return self._whole[channel]


def signals(lead: pd.Series | None) -> dict[str, float]:
    """The issue's "why": every signal's value and surprise, rounded for the feed."""
    if lead is None:
        return {}
    out = {}
    for name in BurstDetector.signal_columns:
        value = lead[name] if name in lead else 0
        out[name] = int(value) if name in ("authors", "posts", "query_volume", "channels") else round(float(value), 4)
    out["fused_score"] = round(float(lead["score"]), 4)
    return out


def _authors_at(history: pd.DataFrame, hour: pd.Timestamp) -> dict[tuple[str, str], int]:
    if history is None or history.empty:
        return {}
    rows = history.loc[history["hour"] == hour]
    return dict(zip(zip(rows["keyword"], rows["channel"]), rows["authors"].astype(int)))


def _continuing_ids(previous: pd.DataFrame, hour: pd.Timestamp, within_hours: int) -> dict[str, tuple]:
    """keyword -> (onset, issue_id) of issues published in the last ``within_hours``."""
    if previous is None or previous.empty:
        return {}
    recent = previous.loc[(previous["hour"] < hour) & (previous["hour"] >= hour - pd.Timedelta(hours=within_hours))]
    recent = recent.sort_values("hour", kind="stable")
    onsets = recent["onset"] if "onset" in recent else recent["hour"]
    onsets = onsets.where(onsets.notna(), recent["hour"])
    return {k: (pd.Timestamp(o), i) for o, k, i in zip(onsets, recent["keyword"], recent["issue_id"])}
