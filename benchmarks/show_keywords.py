"""The extractor's top keywords for 20 hand-picked real headlines.

    python -m benchmarks.show_keywords [--top 5] [--dictionary PATH]

Headlines are picked by id from ``/work/shared/data/news_econ_kr_2026feb`` (read, never
copied) to cover the fortnight's known events and the dictionary fixes of issue #3
(엡스타인, 다주택자, 색동원, 강원특별자치도, 스테이블코인).  Each post is its title and RSS
excerpt; IDF comes from all 31,666 items of the set (``keep_all`` extraction of every
item, then document frequencies), as the hourly run's stored history would provide.
"""
from __future__ import annotations

import argparse
import gzip
import json
import pathlib

import pandas as pd

from dictionaries import default_dictionary_path, default_stopwords_path, load_dictionary, load_stopwords
from keywords.extract import ExtractSettings, KeywordExtractor
from keywords.matcher import KeywordMatcher
from keywords.normalize import normalize_text

NEWS = pathlib.Path("/work/shared/data/news_econ_kr_2026feb/items.jsonl.gz")
PICKS = [
    "2901acd62afab03c",  # 일본 총선, 자민당
    "76da604b4460d940",  # 최가온
    "9b3e139160e0e353",  # 김길리, 쇼트트랙
    "024089aa5a4394ac",  # 밀라노 코리아하우스
    "3032d2f81971bdfc",  # 윤석열 1심 무기징역
    "b4e94a916c45ebd1",  # 지귀연 재판부
    "7e744a7153df2335",  # 김용현 변호인
    "6b5ca2b6563af61e",  # 사제총기 무기징역 항소
    "8fc7532534e5ed54",  # 설 연휴, 행정통합
    "38e22372529e7bca",  # 카카오페이 실적
    "93f9555046c052fa",  # 무디스
    "78887898b24ef0d2",  # 코스피 매도 사이드카
    "4b2ca98071064360",  # HBM4 양산
    "3191c3bb1701e91e",  # 위안화 스테이블코인
    "40d5df26042d9721",  # 다주택자
    "ad3ee2d63f7f7c0b",  # 색동원
    "4d0505b9affb53fe",  # 엡스타인
    "9d0c3f171fa34d75",  # 다카이치, 자민당
    "770ee0a683a19618",  # WBC 오키나와 캠프
    "becf8d6172dc9468",  # 강원특별자치도
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="top keywords of 20 real headlines")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--dictionary", default=str(default_dictionary_path()))
    args = parser.parse_args(argv)
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    posts = pd.DataFrame({"post_id": [r["id"] for r in rows], "title": [r["title"] for r in rows],
                          "body": [r["text"] for r in rows]})
    matcher = KeywordMatcher.from_dictionary(load_dictionary(args.dictionary),
                                             load_stopwords(default_stopwords_path()))
    ex = KeywordExtractor(matcher, ExtractSettings(top_k=args.top))
    every = ex.extract(posts, pd.Series(dtype=float), 0, keep_all=True)
    doc_freq = every.groupby("keyword")["post_id"].nunique()
    picked = posts.set_index("post_id").loc[PICKS].reset_index()
    out = ex.extract(picked, doc_freq, n_docs=len(posts))
    print(f"dictionary {args.dictionary} ({len(matcher.keywords):,} keywords); "
          f"IDF over {len(posts):,} items; top {args.top} per headline (score)")
    for post_id, title in zip(picked["post_id"], picked["title"]):
        top = out[out["post_id"] == post_id]
        shown = ", ".join(f"{k} {s:.1f}" for k, s in zip(top["keyword"], top["score"]))
        print(f"\n{post_id}  {normalize_text(title)}\n    -> {shown or '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
