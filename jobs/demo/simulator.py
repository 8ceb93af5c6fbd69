"""A seeded simulator of a portal's hours: posts and query counts with planted issues.

    >>> sim = PortalSimulator(vocabulary=["정부", "환율", "자민당", "총선"], seed=7)
    >>> posts, queries = sim.simulate(pd.Timestamp("2026-03-02T00:00+09:00"), hours=3,
    ...                               events=[PlantedEvent("자민당", hour=2, context="총선", authors=12)])
    >>> sorted(posts.columns)[:3], int((posts["title"].str.contains("자민당")).sum()) > 0
    (['author_id', 'body', 'channel'], True)

Everything it writes is generated (no third-party text), so ``issuewire demo`` can ship it.
Background keyword use is Zipf-distributed with a daily cycle (quiet at night, peaks in the
morning and evening); each planted event adds posts by ``authors`` distinct authors from its hour
on, decaying, and a search query "<context> <keyword>" (or "<keyword> <context>" with
``keyword_first``) that surges with it. A flood (one author
posting one keyword many times) is planted too, and must never become an issue.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

CHANNELS = ("news", "blog", "community", "sports", "entertainment")
PARTICLES_AFTER_CONSONANT = ("이", "은", "을", "과", "의", "에서", "도", "")
PARTICLES_AFTER_VOWEL = ("가", "는", "를", "와", "의", "에서", "도", "")
FILLER = ("오늘", "관련", "소식", "정리", "현장", "분위기", "반응", "이야기", "전망", "분석", "최근", "다시")
ENDINGS = ("주목", "화제", "논란", "관심 집중", "발표", "공개", "확인", "소식 전해")
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
        ranks = np.arange(1, len(self.vocabulary) + 1)
        weights = ranks ** -self.zipf_exponent
        weights /= weights.sum()
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
