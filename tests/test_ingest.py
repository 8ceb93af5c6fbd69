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


# ---------------------------------------------------------------- the chunk's columns against the per-row validation
import math
import random

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from crawler import ingest
from crawler.validation import accept_posts, accept_query_counts, validate_post, validate_query_count
from tests.ops.test_bad_input import HOUR as BAD_HOUR, _bad, _good

_TEXTS = ["임재범 컴백", "", " ", "\u3000", "a\u0000b", "\ud800x", "x\u200by", "a\nb", "a\tb", "a\u2028b", "\u202e트릭",
          "가" * 60, "  앞뒤 ", "a  b", "\x07", "\ufeffbom", "\xa0", "x\r\ny", "٣", "e\u0301", 5, 5.5, None, True, {"t": 1}]
_IDS = ["p1", "p 1", " p1", "p1 ", "", "p<1", "p\u0000", "p" * 201, "a\u200b", "한글_1", "p\tq", "p\xa0q", "p{|}^",
        5, True, None, 1.5, [1]]
_CHANNELS = ["news", "정치-일반_2.0", "-x", "c" * 101, "ne\u0000ws", " news", "IT과학", "뉴스.a", "é", "٣", "a b", 3.5, None]
_TIMES = ["2026-02-19T16:10:00+09:00", "2026-02-19T16:10+09:00", "2026-02-19T16:10:00Z", "2026-02-19T16:10:00.5+09:00",
          "2026-02-19T16:10:00.1234567+09:00", "2026-02-19T16:10:00.123456-05:30", "2026-02-19T16:10:00",
          "2026-02-30T16:10:00+09:00", "2026-02-19T24:00:00+09:00", "2026-02-19 16:10:00+09:00",
          "2026-02-19T16:10:00+0900", " 2026-02-19T16:10:00+09:00", "yesterday", "", None, 5,
          "2099-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00", "2026-02-19T16:10:60+09:00",
          "2026-02-19t16:10:00+09:00", "2026-02-19T16:10:00+23:59", "2026-02-19T16:10:00-00:00", "2026-02-29T00:00Z",
          "2024-02-29T23:59:59.999999+14:00", "2026-02-19T16:10:00.0Z"]
_URLS = [None, "", "https://portal.example/1", "http://a.b/c?d=e#f", "HTTPS://x.y", "javascript:alert(1)", "https://a/b c",
         "//x", "https://", "ftp://x", "https://한국.kr/", "https://a.b/" + "x" * 2000, " https://a.b", 5,
         "https://a\u0000b", "https://a.b/%41[1]", "https://a b", "http://a.b/c<d>", "https://a.b/\u200b"]
_COUNTS = [None, 0, 7, -1, 2 ** 63 - 1, 2 ** 63, 10 ** 30, "7", " 7", "", " ", "many", 7.0, 7.5, True, float("nan"),
           float("inf"), "007", "1" * 19, -0.0, "-1", "+7"]
_SCORES = [None, 0, 0.5, -0.0, 0.0, 1e18, 1e17, 2 ** 63, float("nan"), float("inf"), -1, "0.5", "1.25", "", "x", True,
           "1e5", 10 ** 30, 3, "0.1", "123456789012345.123456789012345"]
_MISSING = object()
_POST_FIELDS = {"post_id": _IDS, "channel": _CHANNELS, "author_id": _IDS, "title": _TEXTS, "body": _TEXTS,
                "published_at": _TIMES, "url": _URLS, "recommend_count": _COUNTS, "editor_score": _SCORES,
                "source": _TEXTS}


def _value(pool):
    return st.one_of(st.sampled_from(pool + [_MISSING]), st.text(max_size=8))


@st.composite
def _records(draw, good: dict, pools: dict):
    """The good record with one or two fields hostile (or none): so that most rows hinge on one rule."""
    rec = dict(good)
    for name in draw(st.lists(st.sampled_from(sorted(pools)), max_size=2)):
        rec[name] = draw(_value(pools[name]))
    return {k: v for k, v in rec.items() if v is not _MISSING}


_GOOD_POST = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "임재범 컴백", "body": "본문\n둘째 줄",
              "published_at": "2026-02-19T16:10:00+09:00", "url": "https://portal.example/1", "recommend_count": 7,
              "editor_score": 0.5, "source": "portal"}
_POSTS = st.lists(_records(_GOOD_POST, _POST_FIELDS), max_size=12)


def _same_value(fast, slow) -> bool:
    if isinstance(slow, float):
        return type(fast) in (float, np.float64) and (fast == slow or math.isnan(fast) and math.isnan(slow)) \
            and math.copysign(1, fast) == math.copysign(1, slow)
    if isinstance(slow, pd.Timestamp):
        return isinstance(fast, pd.Timestamp) and fast == slow and str(fast.tz) == "UTC"
    return type(fast) in (type(slow), np.int64) and fast == slow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_POSTS, st.sampled_from([None, 50]), st.booleans())
def test_the_columns_accept_only_posts_the_row_validation_returns_as_they_are(recs, max_chars, bounded):
    earliest, latest = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2030-01-01", tz="UTC")) if bounded \
        else (None, None)
    _check_posts(recs, max_chars or 1_000_000, earliest, latest)


def _check_posts(recs, chars=1_000_000, earliest=None, latest=None) -> int:
    ok, columns = accept_posts(recs, chars, earliest, latest)
    assert len(ok) == len(recs)
    for k, i in enumerate(np.flatnonzero(ok).tolist()):
        row = validate_post(recs[i], chars, earliest, latest)          # raises if the columns were wrong
        assert "_dropped" not in row
        for name, value in row.items():
            fast = columns[name].iloc[k] if name == "published_at" else columns[name][k]
            assert _same_value(fast, value), (name, fast, value)
    return int(ok.sum())


def test_each_hostile_value_is_left_to_the_row_validation_or_accepted_as_it_validates():
    """Every hostile value of every field, in one chunk and each alone (a chunk's column types differ)."""
    recs = [{**_GOOD_POST, name: value} for name, pool in _POST_FIELDS.items() for value in pool]
    recs += [{k: v for k, v in _GOOD_POST.items() if k != name} for name in _POST_FIELDS]
    bounds = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2030-01-01", tz="UTC"))
    accepted = _check_posts(recs, 1_000_000, *bounds)
    assert 0 < accepted < len(recs)
    assert sum(_check_posts([rec], 50, *bounds) for rec in recs) >= accepted - len(_TEXTS)
    assert sum(_check_posts([rec]) for rec in recs) > 0


_GOOD_QUERY = {"hour": "2026-05-05T18:20+09:00", "query": "어린이날 선물", "count": 7}
_QUERIES = st.lists(_records(_GOOD_QUERY, {"hour": _TIMES, "query": _TEXTS + ["a  b", "x" * 401], "count": _COUNTS}),
                    max_size=12)


@settings(max_examples=300, deadline=None)
@given(_QUERIES)
def test_the_columns_accept_only_query_rows_the_row_validation_returns_as_they_are(recs):
    ok, columns = accept_query_counts(recs)
    for k, i in enumerate(np.flatnonzero(ok).tolist()):
        row = validate_query_count(recs[i])
        for name, value in row.items():
            fast = columns[name].iloc[k] if name == "hour" else columns[name][k]
            assert _same_value(fast, value), (name, fast, value)


def _nothing_accepted(accept):
    """``accept`` made to vouch for no row: every row then goes through the per-row validation."""
    def none(recs, *args, **kwargs):
        _, columns = accept([], *args, **kwargs)
        return np.zeros(len(recs), bool), columns
    return none


def _hostile_posts(path, seed: int):
    """Good posts from the bad-input test with its bad kinds, the storage edges and duplicates, shuffled."""
    rng = random.Random(seed)
    good = [_good(i, rng) for i in range(60)]
    lines = [json.dumps(g, ensure_ascii=False).encode() for g in good]
    for kind in ("missing", "wrong_type", "utf8", "future", "past", "duplicate", "not_json"):
        lines += [_bad(kind, i, rng, good) for i in range(6)]
    base = good[0]
    for n, change in enumerate([{"title": "어린이날 \u0000 선물"}, {"author_id": "au\u0000thor"}, {"channel": "ne\u0000ws"},
                                {"channel": "c" * 101}, {"post_id": "p" * 201}, {"author_id": "a" * 201},
                                {"body": "본문 \u0000"}, {"title": "제목\u202e 뒤집기"}, {"url": "javascript:alert(1)"},
                                {"url": "https://a.b/c d"}, {"title": "가" * 400}, {"body": "나" * 30_000},
                                {"recommend_count": "12"}, {"editor_score": -0.0}, {"published_at": "2026-05-04T01:00Z"}]):
        lines.append(json.dumps({**base, "post_id": f"x{n}", **change}, ensure_ascii=False).encode())
    lines += [b'{"post_id": "x8", "title": "\x00 a raw NUL in a broken line', b"[" * 5000 + b"]" * 5000,
              b'{"post_id": "big", "recommend_count": 1' + b"0" * 5000 + b"}", b'{"post_id": "\\ud800"}', b"", b"  "]
    rng.shuffle(lines)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_chunked_read_equals_the_row_by_row_read(tmp_path, monkeypatch, seed):
    posts = _hostile_posts(tmp_path / "posts.jsonl", seed)
    options = {"earliest": pd.Timestamp("2000-01-01", tz="UTC"), "latest": BAD_HOUR + pd.Timedelta(days=1)}
    monkeypatch.setattr(ingest, "VALIDATE_ROWS", 7)                    # chunks end anywhere, duplicates cross them
    fast = read_posts([posts], **options)
    mapped = read_posts([posts], map_chunk=lambda f: f["post_id"].tolist(), chunk_rows=5, **options)
    monkeypatch.setattr(ingest, "accept_posts", _nothing_accepted(accept_posts))
    slow = read_posts([posts], **options)
    slow_mapped = read_posts([posts], map_chunk=lambda f: f["post_id"].tolist(), chunk_rows=5, **options)
    assert fast.summary == slow.summary and fast.summary["accepted"] > 50 and fast.summary["rejected"] > 40
    for got, want in ((fast, slow), (mapped, slow_mapped)):
        pd.testing.assert_frame_equal(got.accepted, want.accepted)
        pd.testing.assert_frame_equal(got.rejects, want.rejects)
        pd.testing.assert_frame_equal(got.dropped, want.dropped)
        assert got.per_file == want.per_file and got.samples == want.samples
    assert mapped.mapped == slow_mapped.mapped and all(len(m) == 5 for m in mapped.mapped[:-1])
    assert set(fast.rejects["reason"].map(lambda r: r.split(" ")[0])) >= {"missing", "field", "invalid", "duplicate",
                                                                            "published_at"}


def test_the_chunked_query_read_equals_the_row_by_row_read(tmp_path, monkeypatch):
    rng = random.Random(5)
    rows = ["hour,query,count"] + [f"2026-05-05T{rng.randrange(17, 20)}:{rng.randrange(60):02d}+09:00,"
                                   f"{rng.choice(['어린이날', '선물', '날씨'])} {rng.randrange(40)},{rng.randrange(1, 99)}"
                                   for _ in range(200)]
    rows += ["2026-05-05T18:00+09:00,어린이날\u0000선물,50", f"2026-05-05T18:00+09:00,{'어린이날 ' * 90},5",
             "2026-05-05T18:00,no offset,5", "2026-05-05T18:00+09:00,음수,-1", "2026-05-05T18:00+09:00,,5",
             "2026-05-05T18:00+09:00,소수,1.5", "2026-05-05T18:00+09:00,  띄어  쓰기 ,3", "2026-05-05T18:00+09:00,a,b,c",
             "2026-05-05T18:00+09:00,\u200b보이지\u200b않는,4", "2026-05-05T18:00+09:00,큰수,99999999999999999999",
             "2026-05-05T18:00+09:00,공백, 7", "2026-05-05T18:00+09:00,없음,"]
    rng.shuffle(rows[1:])
    path = tmp_path / "queries.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(ingest, "VALIDATE_ROWS", 9)
    fast = read_query_counts([path], chunk_rows=13)
    monkeypatch.setattr(ingest, "accept_query_counts", _nothing_accepted(accept_query_counts))
    slow = read_query_counts([path])
    assert fast.summary == slow.summary and fast.summary["rejected"] >= 7
    pd.testing.assert_frame_equal(fast.accepted, slow.accepted)
    pd.testing.assert_frame_equal(fast.rejects, slow.rejects)
    assert fast.per_file == slow.per_file and fast.samples == slow.samples


def test_the_chunked_read_of_csv_and_parquet_posts_equals_the_row_by_row_read(tmp_path, monkeypatch):
    rng = random.Random(7)
    good = [_good(i, rng) for i in range(30)]
    rows = good + [dict(good[3], title="다시")] + [dict(g, post_id=f"c{i}", recommend_count=str(i), editor_score="")
                                                   for i, g in enumerate(good[:5])]
    rows += [dict(good[1], post_id="n1", published_at="2026-05-04T10:00:00"), dict(good[1], post_id="n2", channel="-x"),
             dict(good[1], post_id="n3", recommend_count="-3"), dict(good[1], post_id="n4", title="", body=" ")]
    csv_path = tmp_path / "posts.csv"
    pd.DataFrame(rows).astype(str).replace("nan", "").to_csv(csv_path, index=False)
    parquet_path = tmp_path / "posts.parquet"
    times = [pd.Timestamp("2026-05-04T10:00:00.123456789+09:00"), pd.Timestamp("2026-05-04T10:01:00+09:00")]
    pd.DataFrame([dict(g, published_at=times[i % 2], recommend_count=i) for i, g in enumerate(good)]).to_parquet(parquet_path)
    only_dups = _jsonl(tmp_path / "dups.jsonl", good[:5] + good[:3])         # the last chunk holds only duplicates
    monkeypatch.setattr(ingest, "VALIDATE_ROWS", 4)
    cases = [([csv_path], {}), ([parquet_path], {}), ([only_dups], {"map_chunk": len, "chunk_rows": 5})]
    fast = [read_posts(paths, **options) for paths, options in cases]
    monkeypatch.setattr(ingest, "accept_posts", _nothing_accepted(accept_posts))
    slow = [read_posts(paths, **options) for paths, options in cases]
    for got, want in zip(fast, slow):
        assert got.summary == want.summary and got.mapped == want.mapped
        pd.testing.assert_frame_equal(got.accepted, want.accepted)
        pd.testing.assert_frame_equal(got.rejects, want.rejects)
    assert fast[0].summary == {"read": 40, "accepted": 35, "rejected": 5}
    assert str(fast[1].accepted["published_at"].dtype) == "datetime64[ns, UTC]" and fast[2].mapped == [5]
