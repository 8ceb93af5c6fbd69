"""Settings from TOML, the declared mappings, and the body parsers (with Hypothesis for robustness)."""
from __future__ import annotations

import doctest
import importlib

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from crawler.feeds import ParseError, html_to_text, parse_csv, parse_feed, parse_json_page
from crawler.ingest import validate_post, validate_query_count
from crawler.mappings import mapping_for, post_mapping, query_mapping
from crawler.settings import CrawlConfigError, CrawlSettings, SourceSettings, load_crawl_settings
from portal_server import atom_feed, community_post, rss_feed


@pytest.mark.parametrize("module", ["crawler.feeds", "crawler.fetcher", "crawler.mappings", "crawler.schedule",
                                    "crawler.storage", "crawler.summary", "crawler.collect", "crawler.crawl", "crawler.shell",
                                    "jobs.cli.crawl"])
def test_docstring_examples_run(module):
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_load_settings_resolves_paths_against_the_file_and_flags_win(tmp_path):
    (tmp_path / "drops").mkdir()
    path = tmp_path / "sources.toml"
    path.write_text('[crawl]\ndata_dir = "d"\nworkers = 3\nper_host_delay = 0.2\n'
                    '[[source]]\nname = "drop"\nkind = "drop_folder"\npath = "drops"\n'
                    '[[source]]\nname = "q"\nkind = "query_counts"\nurl = "http://127.0.0.1/q/{hour}.csv"\n'
                    'mapping = "query_csv"\n', encoding="utf-8")
    s = load_crawl_settings(path)
    assert (s.workers, s.per_host_delay, s.data_dir) == (3, 0.2, tmp_path / "d")
    assert s.sources[0].path == str(tmp_path / "drops")
    assert load_crawl_settings(path, workers=9, data_dir=None).workers == 9
    with pytest.raises(Exception):
        s.workers = 1   # frozen


@pytest.mark.parametrize("body, message", [
    ('[crawl]\nworkerz = 3\n[[source]]\nname="a"\nkind="rss"\nurl="http://x"\n', "unknown key"),
    ('[[source]]\nname="a"\nkind="rss"\nurl="ftp://x"\n', "needs an http"),
    ('[[source]]\nname="a"\nkind="rss"\nurl="http://x"\nmapping="nope"\n', "unknown post mapping"),
    ('[[source]]\nname="a"\nkind="drop_folder"\n', "needs a 'path'"),
    ('[[source]]\nname="a"\nkind="rss"\nurl="http://x"\n[[source]]\nname="a"\nkind="rss"\nurl="http://y"\n', "unique"),
    ('[crawl]\nworkers = 0\n[[source]]\nname="a"\nkind="rss"\nurl="http://x"\n', "at least 1"),
    ("[crawl\n", "invalid TOML"),
    ("[crawl]\n", "at least one [[source]]"),
])
def test_bad_sources_files_name_the_problem(tmp_path, body, message):
    path = tmp_path / "s.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CrawlConfigError, match=message.replace("[", r"\[")) as info:
        load_crawl_settings(path)
    assert str(path) in str(info.value)


def test_every_mapping_produces_a_valid_contract_record():
    post = validate_post({**post_mapping("community_json")(community_post(3)), "source": "c"})
    assert (post["post_id"], post["channel"], post["author_id"], post["recommend_count"]) == ("c3", "humor", "user0", 3)
    rss = validate_post(post_mapping("rss")(parse_feed(rss_feed(1))[0]))
    assert (rss["post_id"], rss["title"], rss["body"], rss["author_id"]) == ("rss-0", "뉴스 0", "어린이날 행사 기사 0", "기자0")
    atom = validate_post(post_mapping("rss")(parse_feed(atom_feed())[0]))
    assert (atom["channel"], atom["author_id"], atom["url"]) == ("blog", "blogger", "http://127.0.0.1/b1")
    q = validate_query_count(query_mapping("query_csv")({"keyword": " 어린이날  선물", "searches": "7",
                                                         "hour": "2026-05-05T18:20+09:00"}))
    assert (q["query"], q["count"], q["hour"].isoformat()) == ("어린이날 선물", 7, "2026-05-05T09:00:00+00:00")
    assert mapping_for(SourceSettings("q", "query_counts", url="http://x", mapping="query_csv")) is not None
    with pytest.raises(ValueError, match="unknown query-count mapping"):
        query_mapping("community_json")


def test_parsers_report_whole_body_failures():
    with pytest.raises(ParseError, match="must hold a list under 'items'"):
        parse_json_page(b'{"posts": []}')
    assert parse_json_page(b'[{"id": 1}]') == ([{"id": 1}], None)
    with pytest.raises(ParseError, match="not an RSS 2.0 or Atom"):
        parse_feed(b"<html><body/></html>")
    with pytest.raises(ParseError, match="invalid XML"):
        parse_feed(b"<rss><channel>")
    assert parse_csv(b"keyword,searches\n\na,1\nb\n") == [(3, {"keyword": "a", "searches": "1"}),
                                                        (4, {"_error": "expected 2 CSV fields, found 1", "_raw": "b"})]
    assert html_to_text("<p>A &amp; <b>B</b></p>") == "A & B"


@hsettings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_parsers_never_raise_anything_but_parse_error(body):
    for parse in (parse_json_page, parse_feed, parse_csv):
        try:
            parse(body)
        except ParseError:
            pass


def test_settings_are_checked_on_construction():
    with pytest.raises(CrawlConfigError, match="must be positive"):
        CrawlSettings(read_timeout=0)
