"""One seeded simulator of a portal's hours with planted issues, at two grains: the demo's posts
and the detection evaluation's keyword-level world.

The demo grain, :class:`PortalSimulator`: posts (Post contract, generated text) and query counts,
which the whole hourly run reads like a real portal's files:

    >>> sim = PortalSimulator(vocabulary=["정부", "환율", "자민당", "총선"], seed=7)
    >>> posts, queries = sim.simulate(pd.Timestamp("2026-03-02T00:00+09:00"), hours=3,
    ...                               events=[PlantedEvent("자민당", hour=2, context="총선", authors=12)])
    >>> sorted(posts.columns)[:3], int((posts["title"].str.contains("자민당")).sum()) > 0
    (['author_id', 'body', 'channel'], True)
    >>> queries.columns.tolist(), "총선 자민당" in set(queries["query"])      # the planted search
    (['hour', 'query', 'count'], True)

The evaluation grain, :func:`simulate`: weeks of posts with their keywords already extracted, the
planted issues and negative controls recorded in ``truth``, for replaying detectors against:

    >>> titles = ["자민당 단독 과반 확보", "설 연휴 귀성길 정체", "코스피 상승 마감"] * 50
    >>> small = SimSettings(days=3, warmup_days=1, n_issues=1, n_floods=1, n_sockpuppets=1, n_routine=1, n_holiday=1)
    >>> world = simulate(titles, small)
    >>> sorted(world.truth["kind"].unique())[:3]
    ['flood', 'holiday', 'issue']
    >>> world.posts.columns.tolist()
    ['post_id', 'hour', 'channel', 'author_id', 'title', 'body', 'url']

Both draw keyword use from a Zipf law (:func:`zipf_weights`) with a daily cycle and plant bursts
of fresh distinct authors on top; each is seeded, so the same arguments give the same output.
The two daily cycles and channel sets are kept as they were tuned (the demo's showcase hours,
the evaluation's published numbers): changing either changes those results.

**The demo grain.** Everything it writes is generated (no third-party text), so ``issuewire
demo`` can ship it. Background keyword use follows the Zipf law with a daily cycle (quiet at
night, peaks in the morning and evening); each :class:`PlantedEvent` adds posts by ``authors``
distinct authors from its hour on, decaying, and a search query "<context> <keyword>" (or
"<keyword> <context>" with ``keyword_first``) that surges with it. A flood (one author posting
one keyword many times) is planted too, and must never become an issue.

**The evaluation grain.** Pure and seeded: the caller reads real Korean titles
(``benchmarks.eval_detection`` takes them from ``../shared/data``) and hands them in.

* **Background**: posts per hour follow a KST daily cycle (night lull, 09-10 h and 20-22 h
  peaks) and a weekly one (quieter weekends); each post mentions 1-4 keywords drawn from a Zipf
  law over ``vocab`` Hangul words taken from the titles by frequency, so the top ranks are
  evergreen high-volume topics; authors are drawn from a pool with skewed activity; each
  keyword lives mostly in one channel. A post's title is a real title that contains its first
  keyword, its body another real title (so two posts drawing the same title are not near-duplicates).
* **Planted issues** (``kind = issue``) after ``warmup_days``: lift 1.5x-10x, shape ``pulse``
  (1 h, then a 30 % tail), ``ramp`` (1/3, 2/3, 1, 1 over 4 h) or ``step`` (a lasting 24 h
  level), 1-50 fresh distinct authors at the peak, any hour of the week. The keyword is the
  background word whose usual rate at the onset is closest to ``authors / (lift - 1)``, so the
  base rate varies with them; ``realised_lift = (base + authors) / base`` is recorded.
* **Negative controls**: ``flood`` (one author posts 30-60 times in an hour), ``sockpuppet``
  (20-40 accounts post one template whose digits vary), ``routine`` (a keyword used by 15-25
  people at 08 h or 19 h KST every day), ``holiday`` (a keyword that surges every Sunday
  10-17 h KST). :func:`time_shuffled` is the placebo: every post moved to a random hour.

``truth`` has one row per planted issue or control: kind, keyword, channel, onset, end (the
last hour it is "live", tail included), lift, realised_lift, authors, shape, base_rate.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """The probabilities of ranks 1..n under a Zipf law: ``rank ** -exponent``, normalised.

    >>> zipf_weights(3, 1.0).round(3).tolist()
    [0.545, 0.273, 0.182]
    """
    weights = np.arange(1, n + 1, dtype=float) ** -exponent
    return weights / weights.sum()


# ---- the demo grain: generated posts and query counts for the whole hourly run ------------------
CHANNELS = ("news", "blog", "community", "sports", "entertainment")
PARTICLES_AFTER_CONSONANT = ("이", "은", "을", "과", "의", "에서", "도", "")
PARTICLES_AFTER_VOWEL = ("가", "는", "를", "와", "의", "에서", "도", "")
FILLER = ("오늘", "관련", "소식", "정리", "현장", "분위기", "반응", "이야기", "전망", "분석", "최근", "다시")
ENDINGS = ("주목", "화제", "논란", "관심 집중", "발표", "공개", "확인", "소식 전해")
# the demo's hour of day -> relative volume (quiet at night, morning and evening peaks)
HOURLY_ACTIVITY = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.35, 0.7, 1.0, 1.2, 1.2, 1.1,
                            1.1, 1.05, 1.0, 1.0, 1.05, 1.1, 1.0, 1.0, 1.1, 1.05, 0.8, 0.5])


@dataclass(frozen=True)
class PlantedEvent:
    keyword: str
    hour: int                 # hours after the start
    context: str = ""         # the word people search with the keyword ('나가수' for '임재범')
    authors: int = 15         # distinct authors in the peak hour
    duration: int = 4         # hours it lasts, decaying
    channel: str = "news"
    keyword_first: bool = False   # searched and written '어린이날 선물' rather than '나가수 임재범'


def _has_final_consonant(word: str) -> bool:
    last = word[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


class PortalSimulator:
    """Posts and query counts of a portal over a vocabulary (most used first), with planted events."""

    def __init__(self, vocabulary: Sequence[str], posts_per_hour: int = 400, n_authors: int = 300,
                 zipf_exponent: float = 1.1, seed: int = 0):
        self.vocabulary = list(dict.fromkeys(vocabulary))
        self.posts_per_hour = posts_per_hour
        self.n_authors = n_authors
        self.zipf_exponent = zipf_exponent
        self.seed = seed

    def _mention(self, rng: np.random.Generator, keyword: str) -> str:
        particles = PARTICLES_AFTER_CONSONANT if _has_final_consonant(keyword) else PARTICLES_AFTER_VOWEL
        return keyword + particles[rng.integers(len(particles))]

    def _post(self, rng, hour_start, post_no, author, channel, keywords) -> dict:
        words = [self._mention(rng, k) for k in keywords]
        title = " ".join(words[:2] + [FILLER[rng.integers(len(FILLER))], ENDINGS[rng.integers(len(ENDINGS))]])
        body_words = words + [FILLER[i] for i in rng.integers(len(FILLER), size=12)]
        rng.shuffle(body_words)
        minute = int(rng.integers(60))
        return {"post_id": f"sim-{hour_start:%Y%m%d%H}-{post_no:05d}", "channel": channel,
                "author_id": f"author{author:04d}", "title": title, "body": " ".join(body_words) + ".",
                "published_at": (hour_start + pd.Timedelta(minutes=minute)).isoformat(),
                "recommend_count": int(rng.poisson(3)), "editor_score": round(float(rng.random()), 3),
                "source": "simulator"}

    def simulate(self, start: pd.Timestamp, hours: int, events: Sequence[PlantedEvent] = (),
                 flood_keyword: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Posts (Post contract) and query counts (hour, query, count) for ``hours`` hours."""
        rng = np.random.default_rng(self.seed)
        weights = zipf_weights(len(self.vocabulary), self.zipf_exponent)
        posts, queries = [], []
        for h in range(hours):
            hour_start = pd.Timestamp(start) + pd.Timedelta(hours=h)
            activity = HOURLY_ACTIVITY[hour_start.hour]
            n_posts = int(rng.poisson(self.posts_per_hour * activity))
            for i in range(n_posts):
                kws = list(rng.choice(self.vocabulary, size=3, replace=False, p=weights))
                posts.append(self._post(rng, hour_start, i, int(rng.integers(self.n_authors)),
                                        CHANNELS[rng.integers(len(CHANNELS))], kws))
            counter = n_posts
            for ev in events:
                age = h - ev.hour
                if 0 <= age < ev.duration:
                    n_authors = max(1, int(round(ev.authors * 0.6 ** age)))
                    for a in rng.choice(self.n_authors, size=n_authors, replace=False):
                        extra = list(rng.choice(self.vocabulary, size=1, p=weights))
                        kws = [ev.keyword] + extra if not ev.context else (
                            [ev.keyword, ev.context] if ev.keyword_first else [ev.context, ev.keyword]) + extra
                        posts.append(self._post(rng, hour_start, counter, int(a), ev.channel, kws))
                        counter += 1
                    if ev.context:
                        query = f"{ev.keyword} {ev.context}" if ev.keyword_first else f"{ev.context} {ev.keyword}"
                        queries.append((hour_start, query, int(400 * 0.6 ** age)))
            if flood_keyword:
                for _ in range(30):
                    posts.append(self._post(rng, hour_start, counter, 9999, "community", [flood_keyword]))
                    counter += 1
            top = rng.choice(len(self.vocabulary), size=min(50, len(self.vocabulary)), replace=False, p=weights)
            for idx in top:
                queries.append((hour_start, self.vocabulary[idx], int(rng.poisson(40 * activity * weights[idx] * 50) + 1)))
        post_frame = pd.DataFrame(posts)
        query_frame = pd.DataFrame(queries, columns=["hour", "query", "count"])
        query_frame["hour"] = query_frame["hour"].map(lambda t: t.isoformat())
        return post_frame, query_frame.groupby(["hour", "query"], as_index=False)["count"].sum()


# ---- the evaluation grain: keyword-level weeks with planted issues and negative controls -------
EVALUATION_CHANNELS = ("news", "sports", "entertainment", "community")
_HANGUL_WORD = re.compile(r"[가-힣]{2,5}")
# KST hour of day -> relative volume (night lull, 09-10 h and 20-22 h peaks)
KST_DAILY = np.array([0.45, 0.3, 0.2, 0.15, 0.15, 0.2, 0.35, 0.6, 0.9, 1.2, 1.25, 1.1, 1.0, 1.0, 1.05, 1.05,
                      1.0, 1.1, 1.0, 1.05, 1.2, 1.25, 1.1, 0.8])
KST_WEEKLY = np.array([1.05, 1.05, 1.05, 1.0, 1.0, 0.75, 0.7])     # Monday .. Sunday
SHAPES = {"pulse": [1.0, 0.3], "ramp": [1 / 3, 2 / 3, 1.0, 1.0], "step": [1.0] * 24}


@dataclass(frozen=True)
class SimSettings:
    seed: int = 7
    days: int = 14
    warmup_days: int = 7
    start: str = "2026-03-02T00:00+09:00"          # a Monday, KST
    vocab: int = 600
    zipf_a: float = 1.0
    posts_per_hour: float = 250.0
    authors_pool: int = 20000
    n_issues: int = 60
    lifts: tuple = (1.5, 2.0, 3.0, 5.0, 10.0)
    authors: tuple = (1, 3, 5, 10, 20, 50)
    n_floods: int = 6
    n_sockpuppets: int = 6
    n_routine: int = 4
    n_holiday: int = 2


@dataclass
class SimWorld:
    posts: pd.DataFrame            # post_id, hour (UTC), channel, author_id, title, body, url
    post_keywords: pd.DataFrame    # post_id, keyword, title_hits, score
    truth: pd.DataFrame            # planted issues and controls
    hours: pd.DatetimeIndex        # every simulated hour (UTC)
    eval_from: pd.Timestamp        # first hour after the warm-up
    vocabulary: list

    def hour(self, hour: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The posts and post keywords of one hour."""
        hour = pd.Timestamp(hour)
        idx, kidx = self._by_hour.get(hour), self._pk_by_hour.get(hour)
        if idx is None:
            return self.posts.iloc[:0], self.post_keywords.iloc[:0]
        return self.posts.iloc[idx], self.post_keywords.iloc[kidx]

    def __post_init__(self):
        self._by_hour = dict(self.posts.groupby("hour").indices.items())
        pk_hour = self.post_keywords["post_id"].map(pd.Series(self.posts["hour"].to_numpy(), index=self.posts["post_id"]))
        self._pk_by_hour = dict(self.post_keywords.groupby(pk_hour.to_numpy()).indices.items())


def vocabulary_from_titles(titles: list[str], size: int) -> list[str]:
    """The ``size`` most frequent Hangul words of the titles (ties alphabetical)."""
    counts = Counter(w for t in titles for w in set(_HANGUL_WORD.findall(t)))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:size]]


class _WorldBuilder:
    def __init__(self, titles: list[str], s: SimSettings):
        self.s = s
        self.rng = np.random.default_rng(s.seed)
        self.titles = list(titles)
        self.vocab = vocabulary_from_titles(self.titles, s.vocab)
        self.titles_of = {w: [] for w in self.vocab}
        for i, t in enumerate(self.titles):
            for w in set(_HANGUL_WORD.findall(t)):
                if w in self.titles_of:
                    self.titles_of[w].append(i)
        self.p = zipf_weights(len(self.vocab), s.zipf_a)
        self.channel_of = self.rng.choice(len(EVALUATION_CHANNELS), size=len(self.vocab))
        self.author_p = zipf_weights(s.authors_pool, 0.6)
        start = pd.Timestamp(s.start).tz_convert("UTC")
        self.hours = pd.date_range(start, periods=24 * s.days, freq="h")
        kst = self.hours.tz_convert("Asia/Seoul")
        self.volume = s.posts_per_hour * KST_DAILY[kst.hour] * KST_WEEKLY[kst.day_of_week]
        self.mean_keywords = 1.0 + 0.9         # 1 + Poisson(1) capped at 4, about 1.9
        self.rows, self.kw_rows, self.truth, self.n = [], [], [], 0
        self.used: set[str] = set()

    def title_for(self, keyword: str) -> str:
        pool = self.titles_of.get(keyword) or [int(self.rng.integers(len(self.titles)))]
        return self.titles[pool[int(self.rng.integers(len(pool)))]]

    def post(self, hour, channel, author, keywords, title=None):
        pid = f"s{self.n:07d}"
        self.n += 1
        body = "" if title else self.titles[int(self.rng.integers(len(self.titles)))]     # an excerpt
        self.rows.append((pid, hour, channel, author, title or self.title_for(keywords[0]), body,
                          f"https://sim.example/{pid}"))
        for k in dict.fromkeys(keywords):
            self.kw_rows.append((pid, k, int(self.rng.random() < 0.6), 1.0))

    def background(self):
        s, rng = self.s, self.rng
        for h, vol in zip(self.hours, self.volume):
            n = int(rng.poisson(vol))
            k = np.minimum(1 + rng.poisson(0.9, n), 4)
            words = rng.choice(len(self.vocab), size=int(k.sum()), p=self.p)
            authors = rng.choice(s.authors_pool, size=n, p=self.author_p)
            pos = 0
            for i in range(n):
                ws = [self.vocab[w] for w in words[pos:pos + k[i]]]
                first = words[pos]
                pos += k[i]
                ch = (EVALUATION_CHANNELS[self.channel_of[first]] if rng.random() < 0.8
                      else EVALUATION_CHANNELS[rng.integers(len(EVALUATION_CHANNELS))])
                self.post(h, ch, f"u{authors[i]}", ws)

    def rate(self, word_index: int, hour_index: int) -> float:
        return float(self.volume[hour_index] * self.mean_keywords * self.p[word_index])

    def pick_keyword(self, target_rate: float, hour_index: int, lowest_rank: int = 5) -> int:
        rates = self.volume[hour_index] * self.mean_keywords * self.p
        order = np.argsort(np.abs(np.log(rates) - np.log(max(target_rate, 1e-6))), kind="stable")
        for w in order:
            if w >= lowest_rank and self.vocab[w] not in self.used:
                self.used.add(self.vocab[w])
                return int(w)
        raise ValueError("vocabulary too small for the planted issues")

    def eval_hours(self) -> np.ndarray:
        return np.arange(24 * self.s.warmup_days, len(self.hours) - 6)

    def plant_issues(self):
        s, rng = self.s, self.rng
        for i in range(s.n_issues):
            lift = float(s.lifts[i % len(s.lifts)])
            authors = int(s.authors[(i // len(s.lifts)) % len(s.authors)])
            shape = list(SHAPES)[int(rng.integers(len(SHAPES)))]
            h0 = int(rng.choice(self.eval_hours()))
            w = self.pick_keyword(authors / (lift - 1.0), h0)
            kw, base = self.vocab[w], self.rate(w, h0)
            channel = EVALUATION_CHANNELS[self.channel_of[w]]
            profile = SHAPES[shape]
            last = h0
            for off, f in enumerate(profile):
                h = h0 + off
                if h >= len(self.hours):
                    break
                n_auth = max(int(round(authors * f)), 1 if off == 0 else 0)
                for j in range(n_auth):
                    ch = channel if rng.random() < 0.7 else EVALUATION_CHANNELS[rng.integers(len(EVALUATION_CHANNELS))]
                    extra = [self.vocab[int(rng.choice(len(self.vocab), p=self.p))]] if rng.random() < 0.5 else []
                    for _ in range(1 + int(rng.random() < 0.2)):
                        self.post(self.hours[h], ch, f"i{i}a{j}", [kw] + extra)
                last = h
            self.truth.append({"kind": "issue", "keyword": kw, "channel": channel, "onset": self.hours[h0],
                               "end": self.hours[min(last + 1, len(self.hours) - 1)], "lift": lift,
                               "realised_lift": (base + authors) / base, "authors": authors, "shape": shape,
                               "base_rate": base})

    def controls(self):
        s, rng = self.s, self.rng
        evals = self.eval_hours()
        for i in range(s.n_floods):
            h = int(rng.choice(evals))
            w = self.pick_keyword(0.2, h)
            kw = self.vocab[w]
            for _ in range(int(rng.integers(30, 61))):
                self.post(self.hours[h], "community", f"flood{i}", [kw])
            self._control("flood", kw, "community", h, h, 1)
        for i in range(s.n_sockpuppets):
            h = int(rng.choice(evals))
            w = self.pick_keyword(0.2, h)
            kw = self.vocab[w]
            n = int(rng.integers(20, 41))
            for j in range(n):
                title = (f"{kw} 무료 쿠폰 {rng.integers(1, 99)}장 증정 이벤트 당첨자 {rng.integers(10, 999)}명 발표 "
                         f"지금 010-{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)} 으로 확인하세요")
                self.post(self.hours[h], "community", f"sock{i}_{j}", [kw], title=title)
            self._control("sockpuppet", kw, "community", h, h, n)
        kst = self.hours.tz_convert("Asia/Seoul")
        for i in range(s.n_routine):
            at = 8 if i % 2 == 0 else 19
            w = self.pick_keyword(0.3, 0)
            kw, channel = self.vocab[w], EVALUATION_CHANNELS[self.channel_of[w]]
            for h in np.flatnonzero(kst.hour == at):
                for j in range(int(rng.integers(15, 26))):
                    self.post(self.hours[h], channel, f"r{i}d{h}a{j}", [kw])
            self._control("routine", kw, channel, int(np.flatnonzero(kst.hour == at)[0]), len(self.hours) - 1, 20)
        for i in range(s.n_holiday):
            w = self.pick_keyword(0.3, 0)
            kw, channel = self.vocab[w], EVALUATION_CHANNELS[self.channel_of[w]]
            live = np.flatnonzero((kst.day_of_week == 6) & (kst.hour >= 10) & (kst.hour <= 17))
            for h in live:
                for j in range(int(rng.integers(8, 16))):
                    self.post(self.hours[h], channel, f"hol{i}h{h}a{j}", [kw])
            self._control("holiday", kw, channel, int(live[0]) if len(live) else 0, len(self.hours) - 1, 12)

    def _control(self, kind, kw, channel, h0, h1, authors):
        self.truth.append({"kind": kind, "keyword": kw, "channel": channel, "onset": self.hours[h0],
                           "end": self.hours[h1], "lift": np.nan, "realised_lift": np.nan, "authors": authors,
                           "shape": "", "base_rate": np.nan})

    def world(self) -> SimWorld:
        posts = pd.DataFrame(self.rows, columns=["post_id", "hour", "channel", "author_id", "title", "body", "url"])
        posts = posts.sort_values(["hour", "post_id"], kind="stable").reset_index(drop=True)
        pk = pd.DataFrame(self.kw_rows, columns=["post_id", "keyword", "title_hits", "score"])
        return SimWorld(posts, pk, pd.DataFrame(self.truth), self.hours,
                        self.hours[24 * self.s.warmup_days], self.vocab)


def simulate(titles: list[str], settings: SimSettings = SimSettings()) -> SimWorld:
    """Background, planted issues and controls (see the module docstring); seeded by ``settings.seed``."""
    b = _WorldBuilder(titles, settings)
    b.background()
    b.controls()
    b.plant_issues()
    return b.world()


def time_shuffled(world: SimWorld, seed: int = 0) -> SimWorld:
    """The placebo: every post moved to a uniformly random hour, so no burst or cycle is left."""
    rng = np.random.default_rng(seed)
    hours = world.hours[rng.integers(len(world.hours), size=len(world.posts))]
    posts = world.posts.assign(hour=hours).sort_values(["hour", "post_id"], kind="stable").reset_index(drop=True)
    return SimWorld(posts, world.post_keywords, world.truth.iloc[:0], world.hours, world.eval_from, world.vocabulary)
