"""Small generated inputs shared by the jobs tests (no third-party text)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from jobs.demo.simulator import PlantedEvent, PortalSimulator

VOCAB = ("정부 환율 주가 날씨 국회 경제 부동산 금리 수출 반도체 선거 야구 축구 영화 드라마 음악 여행 "
         "맛집 건강 교육 학교 병원 회사 시장 가격 물가 은행 투자 기업 노동").split()
START = pd.Timestamp("2026-05-04T00:00+09:00")
EVENTS = (PlantedEvent("어린이날", hour=8, context="선물", authors=25, channel="blog"),)


def write_inputs(folder: Path, hours: int = 10, bad_rows: bool = True) -> dict[str, str]:
    """posts.jsonl (with a few bad rows appended), queries.csv and dict.tsv in ``folder``."""
    sim = PortalSimulator(VOCAB, posts_per_hour=120, n_authors=200, seed=11)
    posts, queries = sim.simulate(START, hours, EVENTS, flood_keyword="광고")
    posts_path = folder / "posts.jsonl"
    posts.to_json(posts_path, orient="records", lines=True, force_ascii=False)
    if bad_rows:
        with open(posts_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"post_id": "bad1", "channel": "news"}, ensure_ascii=False) + "\n")
            fh.write("{broken json\n")
    queries_path = folder / "queries.csv"
    queries.to_csv(queries_path, index=False)
    dict_path = folder / "dict.tsv"
    with open(dict_path, "w", encoding="utf-8") as fh:
        fh.write("keyword\ttype\taliases\tweight\n")
        for word in VOCAB + ["어린이날", "선물", "광고"]:
            fh.write(f"{word}\t\t\t\n")
    return {"posts": str(posts_path), "queries": str(queries_path), "dictionary": str(dict_path)}
