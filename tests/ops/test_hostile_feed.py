"""Hostile posts through a real run: the feed file and the Redis snapshot carry no markup, no
non-http(s) link and no control or bidi character; dropped URLs keep a visible reason and their
posts stay (issue 12, item 4, the feed side)."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
import redis

from jobs.cli.main import main
from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import make_settings
from tests.ops.test_storable_rows import _event_post

HOUR = START + pd.Timedelta(hours=8)
HOSTILE = re.compile(r"<script|<img|onerror|javascript:|data:text|vbscript:", re.I)


def _hostile_posts(ops_inputs) -> tuple[list[dict], list[dict]]:
    """Copies of the planted event's post: (rows ingest must reject, rows it must accept and clean)."""
    base = _event_post(ops_inputs)
    rejected = [dict(base, post_id='h1"><script>alert(1)</script>'),
                dict(base, post_id="h2", author_id='"><img src=x onerror=alert(1)>'),
                dict(base, post_id="h3", channel='"><script>alert(2)</script>'),
                dict(base, post_id="h4", author_id="evil\u202eauthor"),
                dict(base, post_id="h5", channel="blog\u200b")]
    accepted = [dict(base, post_id=f"j{i}", author_id=f"hostile{i}", recommend_count=5000 + i,
                     url=url, title=title)
                for i, (url, title) in enumerate([
                    ("javascript:alert(document.cookie)", '선물 어린이날 "><script>alert(3)</script>'),
                    (" JaVaScRiPt:alert(4)", "선물 어린이날 \u202e\u2066거꾸로\u2069\u200b \u0007소식"),
                    ("data:text/html,<script>alert(5)</script>", "선물 어린이날 <img src=x onerror=alert(6)>"),
                    ('https://news.example/a"><script>b', "선물 어린이날 \u2067좋은\u2069 \u061c소식\ufeff"),
                    ("vbscript:msgbox(1)", "선물 어린이날 \u2028줄바꿈\u2029 소식")])]
    return rejected, accepted


def _assert_clean(text: str, where: str) -> None:
    assert not HOSTILE.search(text), (where, HOSTILE.search(text))
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") and ch not in "\n"]
    assert not bad, (where, [f"U+{ord(c):04X}" for c in bad])


def test_hostile_posts_reach_neither_the_feed_file_nor_redis(ops_inputs, tmp_path, redis_server, redis_prefix, capsys):
    rejected, accepted = _hostile_posts(ops_inputs)
    path = tmp_path / "posts.jsonl"
    lines = Path(ops_inputs["posts"]).read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines += [json.dumps(r, ensure_ascii=False) for r in rejected + accepted]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = make_settings(ops_inputs, db, str(tmp_path / "feed-{hour}.json"), redis_server, redis_prefix)

    report = run_hour(RunContext(settings), HOUR, [str(path)], [ops_inputs["queries"]])

    feed_text = (tmp_path / "feed-20260504T08.json").read_text(encoding="utf-8")
    feed = json.loads(feed_text)
    client = redis.Redis.from_url(redis_server)
    snapshot = IssueFeedPublisher(client, redis_prefix).current()
    version = client.get(f"{redis_prefix}:current").decode()
    raw_redis = {k.decode(): v.decode() for k, v in client.hgetall(f"{redis_prefix}:snapshot:{version}").items()}
    for where, text in [("feed file", feed_text), ("feed (decoded)", json.dumps(feed, ensure_ascii=False)),
                        ("redis", json.dumps(raw_redis, ensure_ascii=False)),
                        ("redis (decoded)", json.dumps(snapshot, ensure_ascii=False))]:
        _assert_clean(text, where)
    posts = [p for items in feed["channels"].values() for i in items for p in i["posts"]]
    shown = {p["post_id"]: p for p in posts}
    assert {f"j{i}" for i in range(5)} & set(shown), "the hostile but valid posts are published"
    for p in posts:
        assert p["url"] == "" or p["url"].startswith(("http://", "https://")), p["url"]
    if "j3" in shown:
        assert shown["j3"]["url"] == "https://news.example/a%22%3E%3Cscript%3Eb"
    assert feed["warming_up"] is True and feed["history_hours"] == 0
    assert json.loads(raw_redis["meta"])["warming_up"] is True and snapshot["history_hours"] == 0

    rejects = IssueStore(db).table("rejects")
    mine = rejects.loc[rejects["source"] == str(path)]
    n = len(lines)
    reasons = dict(zip(mine["line"], mine["reason"]))
    first = n - len(rejected) - len(accepted) + 1
    assert reasons[first] == "field 'post_id' contains a forbidden character (U+0022)"
    assert reasons[first + 1] == "field 'author_id' contains a forbidden character (U+0022)"
    assert reasons[first + 2].startswith("channel '\"><script>alert(2)</script>' is not a channel name")
    assert reasons[first + 3] == "field 'author_id' contains a forbidden character (U+202E)"
    assert reasons[first + 4].startswith("channel 'blog\\u200b' is not a channel name")
    dropped = mine.loc[mine["kind"] == "url"].set_index("line")["reason"].to_dict()
    base = first + len(rejected)
    assert dropped == {base: "url dropped: scheme 'javascript' is not http(s)",
                       base + 1: "url dropped: scheme 'javascript' is not http(s)",
                       base + 2: "url dropped: scheme 'data' is not http(s)",
                       base + 4: "url dropped: scheme 'vbscript' is not http(s)"}
    assert "4 non-http(s) url(s) dropped" in report.summary()
    assert main(["rejects", "--hour", "2026-05-04T08:00", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "and 4 dropped urls" in out and f"url    {path}:{base}  url dropped: scheme 'javascript'" in out
