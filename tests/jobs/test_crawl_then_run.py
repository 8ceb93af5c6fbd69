"""`issuewire run --sources`: crawl a local portal first, then run the hour on what was crawled."""
import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from jobs.cli.main import main
from jobs.store.issue_store import IssueStore
from tests.crawler.test_readme_example import POSTS, README_SOURCES, RSS


def test_run_crawls_first_and_reads_the_hour(tmp_path, capsys):
    site = tmp_path / "portal"
    (site / "api").mkdir(parents=True)
    (site / "api" / "posts.json").write_text(json.dumps(POSTS, ensure_ascii=False), encoding="utf-8")
    (site / "news.xml").write_text(RSS, encoding="utf-8")
    for sub in ("drops/queries", "drops/posts"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "drops/queries/queries-20260505T09.csv").write_text("keyword,searches\n어린이날 선물,300\n",
                                                                     encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    db = f"sqlite:///{tmp_path}/issuewire.sqlite"
    try:
        sources = tmp_path / "sources.toml"
        sources.write_text(README_SOURCES.format(port=httpd.server_address[1]), encoding="utf-8")
        code = main(["run", "--hour", "2026-05-05T18:00+09:00", "--sources", str(sources), "--db", db,
                     "--feed-file", str(tmp_path / "feed.json")])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code == 0, capsys.readouterr().err
    run = IssueStore(db).table("runs").iloc[0]
    assert run["posts_in_hour"] == 3 and run["queries_read"] == 1          # p1, p2, n1 of 18h KST; one query row
    feed = json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))
    assert feed["hour"] == "2026-05-05T18:00:00+09:00" and "home" in feed["channels"]
    import sqlalchemy as sa
    with sa.create_engine(db).connect() as conn:                            # the crawl's own table, same DB
        assert conn.execute(sa.text("select count(*) from crawl_schedule")).scalar() >= 2
