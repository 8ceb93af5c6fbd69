"""10,000 malformed rows mixed into 2,000 good ones: every bad row is a reject with its reason,
every good row is processed, nothing crashes."""
from __future__ import annotations

import collections
import json
import random

import pandas as pd

from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore

from tests.ops.conftest import make_settings

HOUR = pd.Timestamp("2026-05-04T10:00+09:00")
KINDS = {"missing": 1500, "wrong_type": 1500, "utf8": 1500, "huge": 3, "future": 1500, "past": 1500,
         "duplicate": 1497, "not_json": 1000}
REASONS = {"missing": ("missing field",), "wrong_type": ("must be a", "must not be negative"),
           "utf8": ("invalid UTF-8",), "huge": ("field 'body' longer than 1000000 characters",),
           "future": ("in the future",), "past": ("is before 2000-01-01",), "duplicate": ("duplicate post_id",),
           "not_json": ("invalid JSON", "one JSON object")}
WORDS = ["정부", "환율", "주가", "날씨", "국회", "경제", "어린이날", "선물"]


def _good(i: int, rng: random.Random) -> dict:
    minute = i % 120                                     # half in the hour, half in the next
    return {"post_id": f"g{i}", "channel": rng.choice(["news", "blog"]), "author_id": f"a{i % 400}",
            "title": f"{rng.choice(WORDS)} 소식 {i}", "body": " ".join(rng.choices(WORDS, k=12)),
            "published_at": (HOUR + pd.Timedelta(minutes=minute)).isoformat(), "recommend_count": i % 7}


def _bad(kind: str, i: int, rng: random.Random, good: list[dict]) -> bytes:
    row = dict(good[i % len(good)], post_id=f"b{kind}{i}")
    if kind == "missing":
        row.pop(rng.choice(["post_id", "channel", "author_id", "title", "body", "published_at"]))
    elif kind == "wrong_type":
        field, value = rng.choice([("post_id", [1, 2]), ("title", {"t": 1}), ("author_id", True),
                                   ("recommend_count", "many"), ("editor_score", -1), ("channel", 3.5)])
        row[field] = value
    elif kind == "huge":
        row["body"] = "가" * 3_500_000                    # 10.5 MB of UTF-8
    elif kind == "future":
        row["published_at"] = "2099-05-04T10:00:00+09:00"
    elif kind == "past":
        row["published_at"] = f"19{70 + i % 29}-01-01T00:00:00+00:00"
    elif kind == "duplicate":
        row["post_id"], row["title"] = good[i % len(good)]["post_id"], "a second copy"
    line = json.dumps(row, ensure_ascii=False).encode("utf-8")
    if kind == "utf8":
        line = line.replace("소식".encode(), b"\xff\xfe\xc3", 1)
    if kind == "not_json":
        text = line.decode("utf-8")
        line = rng.choice([text[: len(text) // 2].encode("utf-8"), b"[1, 2, 3]", b"\"just a string\"", b"{'single': 'quotes'}"])
    return line


def test_ten_thousand_bad_rows(ops_inputs, tmp_path):
    rng = random.Random(8)
    good = [_good(i, rng) for i in range(2000)]
    lines = [(json.dumps(r, ensure_ascii=False).encode(), "good") for r in good]
    lines += [(_bad(kind, i, rng, good), kind) for kind, n in KINDS.items() if kind != "duplicate" for i in range(n)]
    rng.shuffle(lines)
    lines += [(_bad("duplicate", i, rng, good), "duplicate") for i in range(KINDS["duplicate"])]  # after the firsts
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in lines) + b"\n")
    kind_of_line = {n: kind for n, (_, kind) in enumerate(lines, start=1)}

    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    # 2,000 good rows of 12,000 is under the default share a file needs (50%, issue 12): this test
    # is about every bad row being kept with its reason, so it accepts a file with 10% valid rows
    settings = make_settings(ops_inputs, db_url, ingest={"min_accepted_share": 0.1})
    report = run_hour(RunContext(settings), HOUR, [str(path)])

    assert report.counts["posts_read"] == 12_000
    assert report.counts["posts_accepted"] == 2000 and report.counts["posts_rejected"] == 10_000
    assert report.counts["posts_in_hour"] == sum(1 for i in range(2000) if i % 120 < 60)
    store = IssueStore(db_url)
    rejects = store.table("rejects")
    assert len(rejects) == 10_000 and rejects["reason"].str.len().min() > 0
    assert set(rejects["line"]) == {n for n, k in kind_of_line.items() if k != "good"}
    seen = collections.Counter()
    for line, reason in rejects[["line", "reason"]].itertuples(index=False):
        kind = kind_of_line[line]
        assert any(e in reason for e in REASONS[kind]), (kind, reason)
        seen[kind] += 1
    assert dict(seen) == KINDS
    assert rejects["raw"].str.len().max() <= 2000                    # a 10 MB body is not stored whole
    run = store.run_record(HOUR)
    assert run["status"] == "ok" and run["posts_rejected"] == 10_000
    # the good rows of the hour were really used: the hour's channel activity counts them
    activity = store.table("channel_activity", HOUR)
    assert int(activity.loc[activity["channel"] == "home", "posts"].iloc[0]) == report.counts["posts_in_hour"]
