"""Replay: run many hours through the functional core with the history kept in memory.

    >>> from dictionaries import KeywordDictionary
    >>> from issues.detect import DetectSettings
    >>> from jobs.settings import Settings
    >>> tools = HourTools.build(KeywordDictionary.from_records([{"keyword": "자민당"}]))
    >>> replayer = HourReplayer(tools, Settings(detect=DetectSettings(warmup_history_hours=0)))
    >>> words = ["압승", "총선", "과반", "개헌", "연립", "출구조사", "도쿄", "의석"]
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(8)], "channel": "news",
    ...                       "author_id": [f"a{i}" for i in range(8)], "title": [f"자민당 {w}" for w in words],
    ...                       "body": "", "url": "", "recommend_count": 0, "editor_score": 0.0})
    >>> first = replayer.run(pd.Timestamp("2026-02-08T11:00Z"), posts)
    >>> first.issues[["channel", "title"]].values.tolist()
    [['home', '자민당'], ['news', '자민당']]
    >>> after = replayer.inputs(pd.Timestamp("2026-02-08T12:00Z"), posts, None)   # the next hour's history
    >>> after.history[["keyword", "channel", "authors"]].values.tolist(), after.previous_issues["keyword"].tolist()
    ([['자민당', 'home', 8], ['자민당', 'news', 8]], ['자민당'])

The same semantics as the stored history of ``jobs.store.issue_store.IssueStore`` (the baseline reads the
same hours, document frequencies cover ``idf_window_days``, issue ids continue), without a
database: for evaluations, benchmarks and experiments that replay weeks of hours quickly.
Hours must be replayed in order.
"""
from __future__ import annotations

import pandas as pd

from jobs.pipeline.hour import HourInputs, HourResult, HourTools, run_hour_core
from titling.overrides import Overrides

_STAT_COLUMNS = ["hour", "keyword", "channel", "authors", "posts", "query_volume", "expected", "expected_posts",
                 "expected_queries", "masked", "is_issue"]


class HourReplayer:
    def __init__(self, tools: HourTools, settings, overrides: Overrides | None = None):
        self.tools = tools
        self.settings = settings
        self.overrides = overrides or Overrides()
        self._stats: list[pd.DataFrame] = []
        self._activity: list[pd.DataFrame] = []
        self._queries: list[pd.DataFrame] = []
        self._issues: list[pd.DataFrame] = []
        self.run_hours_: list[pd.Timestamp] = []

    def _window(self, frames: list[pd.DataFrame], since: pd.Timestamp, columns) -> pd.DataFrame:
        live = [f for f in frames if len(f) and f["hour"].iloc[0] >= since]
        return pd.concat(live, ignore_index=True) if live else pd.DataFrame(columns=columns)

    def inputs(self, hour: pd.Timestamp, posts: pd.DataFrame, queries: pd.DataFrame | None) -> HourInputs:
        s, d = self.settings, self.settings.detect
        hour = pd.Timestamp(hour).tz_convert("UTC")
        baseline_days = max(d.seasonal_days, 7 * d.weekly_weeks)
        keep_from = hour - pd.Timedelta(days=max(baseline_days, s.idf_window_days))
        self._stats = [f for f in self._stats if len(f) and f["hour"].iloc[0] >= keep_from]
        self._activity = [f for f in self._activity if len(f) and f["hour"].iloc[0] >= keep_from]
        history = self._window(self._stats, hour - pd.Timedelta(days=baseline_days), _STAT_COLUMNS)
        activity = self._window(self._activity, hour - pd.Timedelta(days=baseline_days), ["hour", "channel", "posts"])
        idf_since = hour - pd.Timedelta(days=s.idf_window_days)
        idf_stats = self._window(self._stats, idf_since, _STAT_COLUMNS)
        home = idf_stats.loc[idf_stats["channel"] == "home"] if len(idf_stats) else idf_stats
        doc_freq = home.groupby("keyword")["posts"].sum() if len(home) else pd.Series(dtype="int64")
        idf_activity = self._window(self._activity, idf_since, ["hour", "channel", "posts"])
        n_docs = int(idf_activity.loc[idf_activity["channel"] == "home", "posts"].sum()) if len(idf_activity) else 0
        q_since = hour - pd.Timedelta(hours=24)
        recent_runs = [h for h in self.run_hours_ if h >= q_since]
        q = self._window(self._queries, q_since, ["hour", "query", "count"])
        query_history = (q.groupby("query")["count"].sum() / len(recent_runs)) if len(q) and recent_runs \
            else pd.Series(dtype=float)
        previous = self._window(self._issues, hour - pd.Timedelta(hours=d.continue_hours),
                                ["hour", "keyword", "issue_id", "onset"])
        return HourInputs(hour=hour, posts=posts, queries=queries, doc_freq=doc_freq, n_docs=n_docs,
                          history=history, run_hours=pd.DatetimeIndex(self.run_hours_),
                          activity_history=activity, query_history=query_history,
                          previous_issues=previous, overrides=self.overrides)

    def run(self, hour: pd.Timestamp, posts: pd.DataFrame, queries: pd.DataFrame | None = None) -> HourResult:
        hour = pd.Timestamp(hour).tz_convert("UTC")
        if self.run_hours_ and hour <= self.run_hours_[-1]:
            raise ValueError(f"hours must be replayed in order: {hour} after {self.run_hours_[-1]}")
        result = run_hour_core(self.inputs(hour, posts, queries), self.tools, self.settings)
        stats = result.stats.assign(hour=hour)[_STAT_COLUMNS]
        self._stats.append(stats)
        self._activity.append(pd.DataFrame({"hour": hour, "channel": result.activity.index,
                                            "posts": result.activity.to_numpy()}))
        if queries is not None and len(queries):
            kept = queries.loc[queries["count"] >= self.settings.query_store_min_count, ["query", "count"]]
            self._queries.append(kept.assign(hour=hour))
        self._queries = [f for f in self._queries if f["hour"].iloc[0] >= hour - pd.Timedelta(hours=24)]
        issues = result.issues.loc[~result.issues["pinned"].astype(bool)]
        rows = [(hour, k, i, o) for k, fs, i, o in issues[["keyword", "facets", "issue_id", "onset"]].itertuples(index=False)
                for k in [k, *fs]]
        if rows:
            self._issues.append(pd.DataFrame(rows, columns=["hour", "keyword", "issue_id", "onset"])
                                .drop_duplicates(["keyword"]))
        self._issues = [f for f in self._issues if f["hour"].iloc[0] >= hour - pd.Timedelta(hours=48)]
        self.run_hours_.append(hour)
        return result
