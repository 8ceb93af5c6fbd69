"""``issuewire crawl`` through the real entry point (``jobs.cli.main.main``), against the real test server;
exit codes are the one table of every command (``jobs.errors.EXIT_CODES``)."""
from __future__ import annotations

import json
from datetime import datetime

from crawler.ingest import read_posts
from jobs.cli.main import main
from jobs.errors import EXIT_DATABASE, EXIT_INPUT, EXIT_LOCKED, EXIT_PUBLISH


def run(argv) -> int:
    return main(argv)


def sources_file(tmp_path, server, extra="") -> str:
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[crawl]
data_dir = "data"
workers = 4
read_timeout = 1
retries = 1
backoff_base = 0.01
{extra}

[[source]]
name = "community"
kind = "json_feed"
url = "{server.url('/api/posts')}"
mapping = "community_json"

[[source]]
name = "news"
kind = "rss"
url = "{server.url('/feed.xml')}"
mapping = "rss"

[[source]]
name = "queries"
kind = "query_counts"
url = "{server.url('/queries/{hour}.csv')}"
mapping = "query_csv"
lookback_hours = 1
""", encoding="utf-8")
    return str(path)


def test_crawl_command_collects_and_prints_a_summary(tmp_path, server, capsys):
    code = run(["crawl", "--sources", sources_file(tmp_path, server), "--now", "2026-05-05T19:05+09:00"])
    out = capsys.readouterr().out
    assert code == 0
    assert "community: 1 url(s), 3 page(s), 5 post(s)" in out and "status 200=3" in out
    assert out.strip().splitlines()[-1].startswith("total: 3 due url(s), 8 post(s), 2 query row(s), 0 failed")
    data = tmp_path / "data"   # relative to the sources file
    assert (data / "crawl.sqlite").exists()
    assert len(read_posts([data / "processed" / "posts"]).accepted) == 8


def test_flags_override_the_file_and_json_output(tmp_path, server, capsys):
    db = f"sqlite:///{tmp_path / 'other.sqlite'}"
    code = run(["crawl", "--sources", sources_file(tmp_path, server), "--db", db, "--data-dir",
                str(tmp_path / "elsewhere"), "--workers", "2", "--json", "--now", "2026-05-05T10:05+00:00"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["posts"] == 8 and summary["sources"]["news"]["statuses"] == {"200": 1}
    assert (tmp_path / "other.sqlite").exists() and (tmp_path / "elsewhere" / "processed" / "posts").is_dir()


def test_failed_urls_exit_4_only_when_asked(tmp_path, server, capsys):
    sources = sources_file(tmp_path, server)
    with open(sources, "a", encoding="utf-8") as fh:
        fh.write(f'\n[[source]]\nname = "down"\nkind = "rss"\nurl = "{server.url("/always500")}"\n')
    assert run(["crawl", "--sources", sources, "--now", "2026-05-05T10:05+00:00"]) == 0
    assert "down: 1 url(s), 0 page(s)" in capsys.readouterr().out
    assert run(["crawl", "--sources", sources, "--fail-on-errors", "--now", "2026-05-05T11:05+00:00"]) == EXIT_PUBLISH


def test_a_bad_sources_file_is_one_line_and_exit_2(tmp_path, server, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "x"\nkind = "ftp"\nurl = "ftp://x"\n', encoding="utf-8")
    assert run(["crawl", "--sources", str(bad)]) == EXIT_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith("issuewire: error: ") and "kind must be one of" in err and "\n" not in err
    assert run(["crawl", "--sources", str(tmp_path / "missing.toml")]) == EXIT_INPUT
    assert "cannot be read" in capsys.readouterr().err


def test_an_unreachable_database_is_exit_3(tmp_path, server, capsys):
    code = run(["crawl", "--sources", sources_file(tmp_path, server), "--db",
                "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"])
    assert code == EXIT_DATABASE and "crawl store: creating the crawl tables failed" in capsys.readouterr().err


def test_the_hourly_run_helper_crawls_only_when_sources_are_configured(tmp_path, server):
    import pandas as pd
    from crawler.shell import crawl_if_configured, hour_posts_dir, hour_queries_dir
    db = f"sqlite:///{tmp_path / 'run.sqlite'}"
    assert crawl_if_configured(None, db) is None
    summary = crawl_if_configured(sources_file(tmp_path, server), db,
                                  now=datetime.fromisoformat("2026-05-05T10:05+00:00"))
    assert summary.posts == 8
    hour = pd.Timestamp("2026-05-05T18:00+09:00")
    assert len(read_posts([hour_posts_dir(tmp_path / "data", hour)]).accepted) == 8
    assert hour_queries_dir(tmp_path / "data", hour).is_dir()


def test_a_second_crawl_on_the_same_data_dir_exits_5(tmp_path, server, capsys):
    from crawler.shell import crawl_lock
    with crawl_lock(tmp_path / "data"):
        assert run(["crawl", "--sources", sources_file(tmp_path, server)]) == EXIT_LOCKED
    assert "another crawl is running" in capsys.readouterr().err
    assert run(["crawl", "--sources", sources_file(tmp_path, server), "--now", "2026-05-05T10:05+00:00"]) == 0
