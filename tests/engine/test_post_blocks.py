"""Posts read in byte blocks by worker processes: the same rows, maps, rejects and lines as one read here."""
import functools
import gzip
import json

import pandas as pd
import pyarrow as pa
import pytest

from crawler.ingest import read_posts
from crawler.post_blocks import line_blocks
from jobs.pipeline.engine import BackgroundMapper
from keywords.matcher import KeywordMatcher
from keywords.stream import MapSettings, map_posts

MATCHER = KeywordMatcher({"지진": "지진", "경북": "경북"})


def _post(i, **change):
    rec = {"post_id": f"p{i}", "channel": "news", "author_id": f"a{i % 3}", "title": f"지진 소식 {i}",
           "body": "경북 지진 " * (i % 4 + 1), "published_at": f"2026-05-05T18:{i % 60:02d}:00+09:00",
           "url": f"https://x.example/{i}", "recommend_count": i % 5}
    rec.update(change)
    return json.dumps({k: v for k, v in rec.items() if v is not None}, ensure_ascii=False).encode("utf-8")


def _hostile_lines(n=60):
    lines = [_post(i) for i in range(n)]
    lines[3] = _post(3, post_id="p1")                               # a duplicate in the same block
    lines[40] = _post(40, post_id="p2", title="긴 제목 " * 80)       # a duplicate far away, its title cut
    lines[2] = _post(2, title="긴 제목 " * 80)                       # ... of a post whose title is cut too
    lines[7] = _post(7, channel=None)                               # missing field
    lines[9] = _post(9, published_at="2026-05-05T18:09:00")         # no offset
    lines[12] = b'{"post_id": "broken"'                             # invalid JSON
    lines[15] = "임재범 컴백".encode("cp949")                         # not UTF-8
    lines[18] = b""                                                 # blank
    lines[21] = b"   \t"                                            # blank too
    lines[24] = _post(24, url="javascript:alert(1)")                 # URL dropped, post kept
    lines[27] = b"[1, 2]"                                           # not an object
    lines[30] = _post(30, recommend_count="12")                     # per-row path, accepted
    lines[33] = _post(33, body="x" * 500)                           # body cut
    lines[50] = _post(50, post_id="p44")                            # a later duplicate of a later first
    return lines


def _write(path, lines, end=b"\n"):
    path.write_bytes(b"\n".join(lines) + end)


def _reads(paths, block_bytes, monkeypatch=None, title_chars=40, body_chars=100):
    fn = functools.partial(map_posts, tools=MATCHER, settings=MapSettings(title_chars=title_chars))
    kwargs = dict(title_chars=title_chars, body_chars=body_chars, chunk_rows=7)
    here = read_posts(paths, map_chunk=fn, **kwargs)
    mapper = BackgroundMapper(fn, processes=2)
    blocks = read_posts(paths, map_chunk=mapper, block_bytes=block_bytes, **kwargs)
    return here, blocks


def _same(here, blocks):
    pd.testing.assert_frame_equal(blocks.rejects, here.rejects)
    pd.testing.assert_frame_equal(blocks.dropped, here.dropped)
    assert blocks.summary == here.summary and blocks.rows_read == here.rows_read
    assert blocks.per_file == here.per_file and blocks.samples == here.samples
    a = pa.concat_tables([t.result() if hasattr(t, "result") else t for t in here.mapped])
    b = pa.concat_tables([t.result() if hasattr(t, "result") else t for t in blocks.mapped])
    assert b.equals(a)
    pd.testing.assert_frame_equal(blocks.accepted, here.accepted)


@pytest.mark.parametrize("block_bytes", [1, 700, 4000, 1 << 20])
def test_blocks_give_the_rows_rejects_and_lines_of_a_read_here(tmp_path, block_bytes):
    path = tmp_path / "posts.jsonl"
    _write(path, _hostile_lines())
    assert len(line_blocks(path, block_bytes)) > (1 if block_bytes < 4000 else 0)
    here, blocks = _reads([path], block_bytes)
    _same(here, blocks)
    reasons = " ".join(here.rejects["reason"])
    for kind in ("duplicate post_id", "invalid JSON", "invalid UTF-8", "missing field", "one JSON object"):
        assert kind in reasons
    assert "(first at %s:2)" % path in reasons


def test_blocks_keep_file_order_with_a_gzip_file_between_and_no_final_newline(tmp_path):
    first, middle, last = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "c.ndjson"
    lines = _hostile_lines()
    _write(first, lines[:30])
    middle.write_bytes(gzip.compress(b"\n".join([_post(5), _post(70), _post(71)]) + b"\n"))
    _write(last, lines[30:] + [_post(0), _post(71)], end=b"")
    here, blocks = _reads([first, middle, last], 500)
    _same(here, blocks)
    assert here.rejects["reason"].str.contains("first at %s:3" % middle, regex=False).any()


def test_a_file_with_no_valid_post_read_in_blocks(tmp_path):
    path = tmp_path / "posts.jsonl"
    _write(path, [b"{}", b"not json", b""])
    here, blocks = _reads([path], 4)
    _same(here, blocks)
    assert blocks.summary == {"read": 2, "accepted": 0, "rejected": 2}


def test_read_inputs_reads_queries_while_posts_are_read_and_keeps_the_error_order(tmp_path):
    from crawler.ingest import IngestError, InputFileError, check_files
    from jobs.runner.context import RunContext
    from jobs.settings import Settings

    posts, queries = tmp_path / "posts.jsonl", tmp_path / "queries.csv"
    _write(posts, _hostile_lines())
    queries.write_text("hour,query,count\n2026-05-05T18:00:00+09:00,지진,3\n", encoding="utf-8")
    ctx = RunContext(Settings(db_url="sqlite://"))
    post_batch, query_batch = ctx.read_inputs([str(posts)], [str(queries)])
    assert post_batch is ctx.read("posts", [str(posts)]) and query_batch is ctx.read("queries", [str(queries)])
    assert ctx.read_inputs([str(posts)])[1] is None
    with pytest.raises(IngestError, match="no-such-posts"):
        ctx.read_inputs([str(tmp_path / "no-such-posts.jsonl")], [str(tmp_path / "no-such-queries.csv")])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="bad.jsonl"):          # the posts' check before the queries' error
        ctx.read_inputs([str(bad)], [str(tmp_path / "no-such-queries.csv")], check_files)
    with pytest.raises(IngestError, match="no-such-queries"):
        ctx.read_inputs([str(posts)], [str(tmp_path / "no-such-queries.csv")], check_files)


def test_a_file_that_cannot_be_read_is_one_error_naming_it(tmp_path):
    from crawler.ingest import IngestError
    from crawler.post_blocks import PostBlockJob, read_post_block

    with pytest.raises(IngestError, match="folder.jsonl: cannot be read"):
        read_post_block(PostBlockJob({}, map_chunk=len), str(tmp_path / "folder.jsonl"), 0, 10)


def test_a_control_character_in_a_string_is_named_once(tmp_path):
    """json's message ends with "at"; the reject does not say "at at"."""
    from crawler.ingest import read_posts

    path = tmp_path / "posts.jsonl"
    path.write_text('{"post_id": "p1", "title": "a\tb"}\n', encoding="utf-8")
    reason = read_posts([path]).rejects["reason"].tolist()
    assert reason == ["invalid JSON: Invalid control character at column 30"]
