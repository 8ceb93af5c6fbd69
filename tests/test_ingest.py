"""Ingest: every bad row kept with its reason and line; unreadable files are clear errors."""
import gzip
import json

import pandas as pd
import pytest

from crawler.ingest import IngestError, posts_in_hour, queries_in_hour, read_posts, read_query_counts
from crawler.mappings import post_mapping

GOOD = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "임재범 컴백", "body": "본문",
        "published_at": "2026-02-19T16:10:00+09:00"}


def _jsonl(path, rows):
    with open(path, "wb") as fh:
        for r in rows:
            fh.write((r if isinstance(r, (bytes, str)) else json.dumps(r, ensure_ascii=False)).encode()
                     if not isinstance(r, bytes) else r)
            fh.write(b"\n")
    return path


def test_bad_rows_are_rejected_with_reason_and_line(tmp_path):
    rows = [GOOD,
            {**GOOD, "post_id": "p2", "channel": None},                    # 2 missing field
            {**GOOD, "post_id": "p3", "title": 5.5},                       # 3 wrong type
            {**GOOD, "post_id": "p4", "published_at": "yesterday"},        # 4 unparseable time
            {**GOOD, "post_id": "p5", "title": " ", "body": ""},           # 5 empty title and body
            {**GOOD, "title": "again"},                                    # 6 duplicate post_id
            "{not json",                                                   # 7 invalid JSON
            b"\xff\xfe broken",                                            # 8 invalid UTF-8
            {**GOOD, "post_id": "p9", "published_at": "2026-02-19T16:10:00"},  # 9 no offset
            {**GOOD, "post_id": "p10", "recommend_count": -1},             # 10 negative
            {**GOOD, "post_id": "p11", "recommend_count": "7"}]            # 11 good (numeric string)
    batch = read_posts([_jsonl(tmp_path / "posts.jsonl", rows)])
    assert batch.summary == {"read": 11, "accepted": 2, "rejected": 9}
    reasons = dict(zip(batch.rejects["line"], batch.rejects["reason"]))
    assert reasons[2] == "missing field 'channel'"
    assert reasons[3] == "field 'title' must be a string, got float"
    assert reasons[4].startswith("unparseable time")
    assert reasons[5] == "empty title and body"
    assert reasons[6].startswith("duplicate post_id 'p1' (first at ")
    assert reasons[7].startswith("invalid JSON")
    assert reasons[8].startswith("invalid UTF-8")
    assert "no UTC offset" in reasons[9]
    assert "must not be negative" in reasons[10]
    assert set(batch.rejects["source"]) == {str(tmp_path / "posts.jsonl")}
    assert batch.accepted.loc[batch.accepted.post_id == "p11", "recommend_count"].item() == 7


def test_csv_and_gzip_and_folders(tmp_path):
    frame = pd.DataFrame([GOOD, {**GOOD, "post_id": "p2", "published_at": "2026-02-19T17:00:00+09:00"}])
    frame.to_csv(tmp_path / "a.csv", index=False)
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({**GOOD, "post_id": "p3"}, ensure_ascii=False) + "\n")
    (tmp_path / "notes.txt").write_text("ignored in folders")
    batch = read_posts([tmp_path])
    assert sorted(batch.accepted["post_id"]) == ["p1", "p2", "p3"]
    hour = posts_in_hour(batch.accepted, pd.Timestamp("2026-02-19T16:00+09:00"))
    assert sorted(hour["post_id"]) == ["p1", "p3"]       # [H, H+1): 17:00 belongs to the next hour


def test_csv_with_wrong_field_count_is_a_reject(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("post_id,channel,author_id,title,body,published_at\n"
                    "p1,news,a,제목,본문,2026-02-19T16:00:00+09:00\n"
                    "p2,news,a,제목\n", encoding="utf-8")
    batch = read_posts([path])
    assert batch.summary == {"read": 2, "accepted": 1, "rejected": 1}
    assert batch.rejects.iloc[0]["line"] == 3 and "expected 6 CSV fields" in batch.rejects.iloc[0]["reason"]


def test_unreadable_files_are_errors_naming_the_file(tmp_path):
    with pytest.raises(IngestError, match="missing.jsonl: file not found"):
        read_posts([tmp_path / "missing.jsonl"])
    (tmp_path / "x.xlsx").write_text("?")
    with pytest.raises(IngestError, match="x.xlsx: unknown file type"):
        read_posts([tmp_path / "x.xlsx"])
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(IngestError, match="bad.jsonl.gz: cannot be read"):
        read_posts([tmp_path / "bad.jsonl.gz"])


def test_query_counts_are_validated_and_summed(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("hour,query,count\n"
                    "2026-02-19T16:00:00+09:00,나가수  임재범,10\n"
                    "2026-02-19T16:00:00+09:00,나가수 임재범,5\n"
                    "2026-02-19T16:00:00+09:00,임재범,x\n"
                    "2026-02-19T17:00:00+09:00,임재범,3\n", encoding="utf-8")
    batch = read_query_counts([path])
    assert batch.summary == {"read": 4, "accepted": 2, "rejected": 1}
    q = queries_in_hour(batch.accepted, pd.Timestamp("2026-02-19T16:00+09:00"))
    assert q.to_dict("records") == [{"query": "나가수 임재범", "count": 15}]


def test_knews_mapping(tmp_path):
    rec = {"id": "x1", "published_kst": "2026-02-08T20:05:00+09:00", "publisher": "mk", "title": "자민당",
           "text": "", "categories": ["_all_", "international", "politics"], "url": "https://e/1"}
    batch = read_posts([_jsonl(tmp_path / "k.jsonl", [rec])], mapping=post_mapping("knews"))
    row = batch.accepted.iloc[0]
    assert (row.post_id, row.author_id, row.channel, row.source) == ("x1", "mk", "international", "knews")
