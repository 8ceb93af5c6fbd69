"""Query-count CSVs parsed by Arrow in blocks: the same sums, rejects, lines and raw texts as Python's reader."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crawler.query_csv as query_csv
from crawler.ingest import read_query_counts
from crawler.validation import accept_query_counts, accept_query_texts

HOUR = "2026-05-05T18:{:02d}:00+09:00"


def _lines(n=80):
    lines = [f"{HOUR.format(i % 60)},지진 {i % 9},{i}".encode() for i in range(n)]
    lines[3] = b",,"                                           # blank: skipped, not counted
    lines[5] = b" , \t,\xe3\x80\x80"                           # blank too (an ideographic space)
    lines[7] = HOUR.format(7).encode() + b",\xc1\xf6\xc1\xf8,3"  # CP949, not UTF-8
    lines[9] = b"2026-05-05T18:09:00,x,1"                      # no offset
    lines[11] = HOUR.format(1).encode() + b",a,b,c"            # 4 fields
    lines[13] = HOUR.format(1).encode() + b",  spaced  query ,2"   # per-row path, accepted
    lines[15] = HOUR.format(1).encode() + b",q,-1"             # a negative count
    lines[17] = HOUR.format(1).encode() + b",q,"               # no count
    lines[19] = b""                                            # empty line
    lines[21] = HOUR.format(1).encode() + b",q,007"            # accepted as 7
    lines[23] = HOUR.format(1).encode() + b",\x00q,1"          # NUL
    lines[25] = HOUR.format(1).encode() + b",x" * 2            # 3 fields, count not a number
    return lines


def _python(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(query_csv, "_header", lambda first: None)    # every file through Python's csv reader
        return read_query_counts([path])


def _same(arrow, python):
    pd.testing.assert_frame_equal(arrow.accepted, python.accepted)
    pd.testing.assert_frame_equal(arrow.rejects, python.rejects)
    assert arrow.rows_read == python.rows_read and arrow.per_file == python.per_file
    assert arrow.samples == python.samples


@pytest.mark.parametrize("block_bytes", [1, 100, 700, 1 << 20])
def test_arrow_blocks_read_what_python_reads(tmp_path, monkeypatch, block_bytes):
    path = tmp_path / "queries.csv"
    path.write_bytes(b"hour,query,count\n" + b"\n".join(_lines()) + b"\n" + b"\n".join(
        f"{HOUR.format(i % 60)},뒤 {i % 9},{i}".encode() for i in range(40)) + b"\n")
    arrow_rows = []
    block = query_csv._arrow_block
    monkeypatch.setattr(query_csv, "_arrow_block", lambda table, *a: arrow_rows.append(table.num_rows) or block(table, *a))
    _same(read_query_counts([path], block_bytes=block_bytes), _python(path, monkeypatch))
    assert (0 < sum(arrow_rows) < 120) if block_bytes < 1 << 20 else not arrow_rows    # a NUL: all Python
    reasons = " ".join(read_query_counts([path]).rejects["reason"])
    assert "invalid UTF-8" in reasons and "expected 3 CSV fields" in reasons


@pytest.mark.parametrize("tail", [b'\n2026-05-05T18:00:00+09:00,"two\nlines",4\n', b"\r\n2026-05-05T18:00:00+09:00,a,1\r\n",
                                  b"\n2026-05-05T18:00:00+09:00,last,5"])
def test_quotes_carriage_returns_and_no_final_newline(tmp_path, monkeypatch, tail):
    path = tmp_path / "queries.csv"
    path.write_bytes(b"hour,count,query,extra\n" + b"\n".join(
        f"{HOUR.format(i)},{i},쿼리 {i},e".encode() for i in range(30)) + tail + b"\n".join(
        f"{HOUR.format(i)},{i},뒤 {i},e".encode() for i in range(5)))
    _same(read_query_counts([path], block_bytes=64), _python(path, monkeypatch))


def test_accept_query_texts_agrees_with_accept_query_counts():
    rng = np.random.default_rng(13)
    hours = ["2026-05-05T18:20+09:00", "2026-05-05T18:20", "", "2026-13-05T18:20+09:00", "2026-05-05T09:00Z"]
    queries = ["선물", " 선물", "", "a  b", "x" * 300, "꽃\u200b"]
    counts = ["7", "", "-1", "1.5", "0", "99999999999999999999", "012"]
    rows = [(hours[rng.integers(len(hours))], queries[rng.integers(len(queries))], counts[rng.integers(len(counts))])
            for _ in range(300)]
    ok, columns = accept_query_texts(*(pa.array(list(c), pa.string()) for c in zip(*rows)))
    ref_ok, ref = accept_query_counts([{"hour": h, "query": q, "count": c} for h, q, c in rows])
    assert ok.tolist() == ref_ok.tolist()
    assert columns["query"] == ref["query"] and columns["count"].tolist() == ref["count"].tolist()
    pd.testing.assert_series_equal(columns["hour"], ref["hour"])
