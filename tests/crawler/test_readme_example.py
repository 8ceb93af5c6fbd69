"""The README's crawl example, verbatim: a static portal served by ``python -m http.server``, then
``issuewire crawl``, then what ``issuewire run --posts`` reads for that hour."""
from __future__ import annotations

import argparse
import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd

from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from jobs.cli.crawl import add_crawl_command

README_SOURCES = """\
[crawl]
data_dir = "var/data"
workers = 8
per_host_concurrency = 4
per_host_delay = 0.1
read_timeout = 10
max_bytes = 20_000_000

[[source]]
name = "community"
kind = "json_feed"
url = "http://127.0.0.1:{port}/api/posts.json"
mapping = "contract"

[[source]]
name = "news"
kind = "rss"
url = "http://127.0.0.1:{port}/news.xml"
mapping = "rss"

[[source]]
name = "queries"
kind = "query_counts"
path = "drops/queries"
mapping = "query_csv"

[[source]]
name = "drop"
kind = "drop_folder"
path = "drops/posts"
"""

POSTS = [{"post_id": "p1", "channel": "humor", "author_id": "u1", "title": "어린이날 선물 추천",
          "body": "아이들이 좋아하는 어린이날 선물", "published_at": "2026-05-05T18:10:00+09:00"},
         {"post_id": "p2", "channel": "humor", "author_id": "u2", "title": "어린이날 행사 정리",
          "body": "서울 어린이날 행사", "published_at": "2026-05-05T18:40:00+09:00", "recommend_count": 12}]
RSS = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>뉴스</title>'
       "<item><guid>n1</guid><title>어린이날 연휴 나들이객 몰려</title><link>http://127.0.0.1/n1</link>"
       "<description>&lt;p&gt;어린이날 연휴&lt;/p&gt;</description><category>society</category>"
       "<pubDate>Tue, 05 May 2026 18:30:00 +0900</pubDate></item></channel></rss>")


def test_readme_example_crawls_and_feeds_the_hour(tmp_path, capsys):
    site = tmp_path / "portal"
    (site / "api").mkdir(parents=True)
    (site / "api" / "posts.json").write_text(json.dumps(POSTS, ensure_ascii=False), encoding="utf-8")
    (site / "news.xml").write_text(RSS, encoding="utf-8")
    (tmp_path / "drops" / "queries").mkdir(parents=True)
    (tmp_path / "drops" / "queries" / "queries-20260505T09.csv").write_text(
        "keyword,searches\n어린이날,1200\n어린이날 선물,300\n", encoding="utf-8")
    (tmp_path / "drops" / "posts").mkdir(parents=True)
    (tmp_path / "drops" / "posts" / "blog.jsonl").write_text(json.dumps(
        {"post_id": "b1", "channel": "blog", "author_id": "u3", "title": "어린이날 나들이",
         "body": "공원", "published_at": "2026-05-05T09:50:00Z"}, ensure_ascii=False) + "\n", encoding="utf-8")

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        sources = tmp_path / "sources.toml"
        sources.write_text(README_SOURCES.format(port=httpd.server_address[1]), encoding="utf-8")
        parser = argparse.ArgumentParser(prog="issuewire")
        add_crawl_command(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["crawl", "--sources", str(sources), "--db", f"sqlite:///{tmp_path}/issuewire.sqlite"])
        assert args.func(args) == 0
        out = capsys.readouterr().out
        assert "total: 4 due url(s), 4 post(s), 2 query row(s), 0 failed, hours 20260505T09" in out
        again = args.func(args)
        assert again == 0 and "total: 4 due url(s), 0 post(s)" in capsys.readouterr().out   # 304s, nothing twice
    finally:
        httpd.shutdown()
        httpd.server_close()

    data = tmp_path / "var" / "data"
    assert list((data / "raw" / "news").rglob("*news.xml"))
    hour = "2026-05-05T18:00+09:00"
    batch = read_posts([data / "processed" / "posts" / "hour=20260505T09"])
    posts = posts_in_hour(batch.accepted, pd.Timestamp(hour))
    assert sorted(posts["post_id"]) == ["b1", "n1", "p1", "p2"] and batch.rejects.empty
    queries = queries_in_hour(read_query_counts([data / "processed" / "queries"]).accepted, pd.Timestamp(hour))
    assert queries.to_dict("records") == [{"query": "어린이날", "count": 1200}, {"query": "어린이날 선물", "count": 300}]
