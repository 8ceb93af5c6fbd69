"""Posts mapped as they are read: the same rows, rejects and counts as one whole read, no body kept."""
import functools
import gzip
import json

import pandas as pd
import pyarrow as pa

from crawler.ingest import read_posts, read_query_counts
from keywords.matcher import KeywordMatcher
from keywords.stream import MAPPED_SCHEMA, MapSettings, map_posts


def _write(path, n=23):
    lines = []
    for i in range(n):
        rec = {"post_id": f"p{i % 20}", "channel": "news", "author_id": f"a{i}", "title": f"지진 소식 {i}",
               "body": "경북 지진 " * 5, "published_at": f"2026-05-05T18:{i:02d}:00+09:00",
               "url": "javascript:alert(1)" if i == 4 else f"https://x.example/{i}"}
        if i == 7:
            rec.pop("channel")
        if i == 9:
            rec["published_at"] = "2026-05-05T18:09:00"
        lines.append(json.dumps(rec, ensure_ascii=False))
    lines.insert(11, '{"post_id": "broken"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_chunked_read_keeps_every_reject_and_drops_the_bodies(tmp_path):
    path = tmp_path / "posts.jsonl"
    _write(path)
    whole = read_posts([path])
    matcher = KeywordMatcher({"지진": "지진"})
    seen = []

    def mapper(frame):
        seen.append(len(frame))
        return map_posts(frame, matcher, MapSettings())

    chunked = read_posts([path], map_chunk=mapper, chunk_rows=4)
    pd.testing.assert_frame_equal(chunked.rejects, whole.rejects)
    pd.testing.assert_frame_equal(chunked.dropped, whole.dropped)
    assert chunked.summary == whole.summary
    assert "body" not in chunked.accepted
    pd.testing.assert_frame_equal(chunked.accepted, whole.accepted.drop(columns="body"))
    assert max(seen) == 4 and sum(seen) == len(whole.accepted)
    mapped = pa.concat_tables(chunked.mapped)
    assert mapped.schema.equals(MAPPED_SCHEMA)
    assert mapped.column("post_id").to_pylist() == whole.accepted["post_id"].tolist()
    reasons = set(chunked.rejects["reason"].str.split(" ").str[0])
    assert {"missing", "duplicate", "published_at", "invalid"} <= reasons


def test_query_rows_summed_in_chunks_equal_one_sum(tmp_path):
    path = tmp_path / "queries.csv"
    rows = ["hour,query,count"] + [f"2026-05-05T18:{i % 60:02d}:00+09:00,지진 {i % 7},{i}" for i in range(50)]
    rows.insert(5, "2026-05-05T18:00:00,지진 0,3")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    small, whole = read_query_counts([path], chunk_rows=3), read_query_counts([path])
    pd.testing.assert_frame_equal(small.accepted, whole.accepted)
    pd.testing.assert_frame_equal(small.rejects, whole.rejects)
    assert len(whole.accepted) == 7 and len(whole.rejects) == 1


def test_mapping_in_worker_processes_gives_the_same_tables(tmp_path):
    from jobs.pipeline.engine import BackgroundMapper, resolved

    plain = tmp_path / "posts.jsonl"
    _write(plain)
    path = tmp_path / "posts.jsonl.gz"            # read here, mapped by the workers (a plain file: tests/engine/test_post_blocks.py)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    matcher = KeywordMatcher({"지진": "지진"})
    inline = read_posts([path], map_chunk=lambda f: map_posts(f, matcher), chunk_rows=4)
    mapper = BackgroundMapper(functools.partial(map_posts, tools=matcher, settings=MapSettings()), processes=2)
    background = read_posts([path], map_chunk=mapper, chunk_rows=4)
    assert mapper._pool is None, "the workers outlived the read"
    tables = resolved(background.mapped)
    assert len(tables) == len(inline.mapped) > 2
    assert all(a.equals(b) for a, b in zip(tables, inline.mapped))
