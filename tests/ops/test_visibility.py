"""What operators see: the per-hour HTML report (opened in headless Chromium), ``issuewire status``,
the JSON stage logs, catch-up with its limit, and retention."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import time
import uuid
import zlib
from pathlib import Path

import pandas as pd
import pytest
import redis

from jobs.cli.main import main
from jobs.runner.hour import RunContext, run_hour
from jobs.runner.retention import prune
from jobs.runner.scheduler import catch_up
from jobs.settings import SettingsError
from jobs.runner.status import collect_status, format_status
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, run_cli

EVENT_HOUR = START + pd.Timedelta(hours=8)


@pytest.fixture(scope="module")
def ran(ops_inputs, tmp_path_factory, redis_server):
    """Hours 00..09 (local) run once: SQLite, real Redis, one feed file and report per hour."""
    folder = tmp_path_factory.mktemp("visibility")
    prefix = f"iwtest:{uuid.uuid4().hex[:10]}"
    settings = make_settings(ops_inputs, f"sqlite:///{folder / 'db.sqlite'}", str(folder / "feeds" / "feed-{hour}.json"),
                             redis_server, prefix)
    ctx = RunContext(settings)
    reports = [run_hour(ctx, START + pd.Timedelta(hours=h), [ops_inputs["posts"]], [ops_inputs["queries"]])
               for h in range(10)]
    yield {"folder": folder, "settings": settings, "reports": reports, "ctx": ctx, "prefix": prefix}
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


# ------------------------------------------------------------------ the report
def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("headless Chromium not installed (Debian: apt-get install -y chromium fonts-nanum)")


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(v for i in range(0, stride, bpp) for v in line[i:i + 3]))
        prev = line
    return width, height, rows


def test_report_opens_in_chromium_and_shows_why(ran, tmp_path):
    chromium = _chromium()
    page = ran["folder"] / "feeds" / "report-20260504T08.html"
    assert page.exists() and (ran["folder"] / "feeds" / "feed-20260504T08.json").exists()
    document = ran["reports"][8].document
    event = document["channels"]["home"][0]
    assert event["title"] == "선물 어린이날"

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    text = " ".join(re.sub(r"<[^>]+>", " ", dom).split())
    assert "issues of 2026-05-04 08:00 (+09:00)" in text
    first = dom.split('<article class="issue"')[1].split("</article>")[0]
    assert "선물 어린이날" in first and f"score {event['score']:.1f} = surge strength" in first
    authors = event["signals"]["authors"]
    assert re.search(rf"Why: {authors} distinct authors against [0-9.e-]+ expected",
                     " ".join(re.sub(r"<[^>]+>", " ", first).split()))
    for post in event["posts"]:
        assert post["title"].replace("&", "&amp;") in first
    chart = first.split("<svg")[1].split("</svg>")[0]
    bars = re.findall(r'<rect class="count[^"]*"[^>]*height="([0-9.]+)"[^>]*fill="(#[0-9a-f]+)"', chart)
    assert bars and bars[-1][1] == "#c0392b"                  # this hour, in red, tallest
    assert float(bars[-1][0]) == max(float(h) for h, _ in bars) > 0
    assert 'class="baseline"' in chart and 'class="tick"' in chart
    for channel, items in document["channels"].items():
        assert channel in text
        for item in items:
            assert f'id="issue-{item["issue_id"]}"' in dom

    shot = tmp_path / "report.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    width, height, rows = _png_pixels(shot)
    assert (width, height) == (1280, 900)
    red = sum(1 for row in rows for i in range(0, len(row), 3) if abs(row[i] - 0xC0) < 12
              and abs(row[i + 1] - 0x39) < 12 and abs(row[i + 2] - 0x2B) < 12)
    dark = sum(1 for row in rows for i in range(0, len(row), 3) if row[i] + row[i + 1] + row[i + 2] < 200)
    assert red > 200            # the red bar of this hour (and the rank numbers) are drawn
    assert dark > 2000          # text is rendered, not a blank page


# ------------------------------------------------------------------ status and logs
def test_status_shows_runs_lock_and_feed(ran):
    settings, last = ran["settings"], ran["reports"][-1]
    status = collect_status(settings, last=5)
    assert status["redis_current"] == last.version
    assert [r["hour"] for r in status["runs"]] == [f"2026-05-04T0{h}:00+09:00" for h in (9, 8, 7, 6, 5)]
    top = status["runs"][0]
    assert top["posts_in_hour"] == last.counts["posts_in_hour"] and top["issues"] == len(
        last.document["channels"]["home"])
    assert set(top["stage_seconds"]) == {"ingest", "history", "map", "core", "store", "redis", "file", "report"}
    assert top["lag_seconds"] > 180 * 86400 and top["redis"] and top["file"]
    text = format_status(status)
    lines = text.splitlines()
    assert lines[0].startswith("lock: free (last token ")
    assert lines[1].startswith(f"feed: redis current {last.version}; newest run 2026-05-04T09:00+09:00")
    assert lines[3].startswith("2026-05-04T09:00+09:00 ok ") and " yes  yes  " in lines[3]
    assert len(lines) == 8 and "failed attempt" not in text


def test_json_stage_logs(ops_inputs, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["run", "--hour", START.isoformat(), "--feed-file", str(tmp_path / "f-{hour}.json"),
                 *cli_args(ops_inputs, db)]) == 0
    err = capsys.readouterr().err
    events = [json.loads(line) for line in err.splitlines()]
    stages = [e for e in events if e["event"] == "stage"]
    assert [e["stage"] for e in stages] == ["ingest", "history", "map", "core", "store", "file", "report"]
    assert all(e["hour"] == "2026-05-03T15:00Z" and e["seconds"] >= 0 for e in stages)
    assert stages[0]["posts_read"] == 2 + stages[0]["posts_accepted"] and stages[0]["posts_rejected"] == 2
    assert stages[3]["posts"] == stages[0]["posts_in_hour"] and "issues" in stages[3]
    done = events[-1]
    assert done["event"] == "run_done" and done["lag_seconds"] > 0 and done["posts_in_hour"] > 0
    stored = json.loads(IssueStore(db).run_record(START)["stage_seconds"])
    assert set(stored) == {"ingest", "history", "map", "core", "store", "file", "report"}


# ------------------------------------------------------------------ catch-up
def test_catch_up_runs_missed_hours_in_order_within_the_limit(ops_inputs, tmp_path):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = run_cli(["schedule", "--once", "--now", "2026-05-04T10:20", "--max-catchup-hours", "3",
                    *cli_args(ops_inputs, db)])
    assert done.returncode == 0, done.stderr
    assert "catch-up: 100%" in done.stderr and "3/3" in done.stderr            # the progress bar
    store = IssueStore(db)
    runs = store.table("runs").sort_values("started_at")
    assert [h.hour for h in runs["hour"]] == [22, 23, 0]      # 07, 08, 09 local (UTC), oldest first
    # a later firing continues after the newest completed hour, not from the limit
    ctx = RunContext(make_settings(ops_inputs, db))
    reports = catch_up(ctx, [ops_inputs["posts"]], [ops_inputs["queries"]],
                       now=pd.Timestamp("2026-05-04T12:05+09:00"))
    assert [r.hour.tz_convert("Asia/Seoul").hour for r in reports] == [10, 11]


# ------------------------------------------------------------------ retention
def test_prune_applies_the_policy(ran, tmp_path, redis_server):
    db_file = tmp_path / "db.sqlite"
    shutil.copy(ran["folder"] / "db.sqlite", db_file)
    feeds = tmp_path / "feeds"
    shutil.copytree(ran["folder"] / "feeds", feeds)
    raw = tmp_path / "raw"
    raw.mkdir()
    old = time.time() - 20 * 86400
    for name in ("old.jsonl.gz", "old-notes.txt", "new.csv"):
        (raw / name).write_text("x")
    (feeds / ".feed-20260504T09.json.abcd1234.tmp").write_text("{half")              # a killed write's leftover
    for p in [raw / "old.jsonl.gz", raw / "old-notes.txt", *sorted(feeds.glob("*T0[0-4].*")),
              feeds / ".feed-20260504T09.json.abcd1234.tmp"]:
        os.utime(p, (old, old))
    client = redis.Redis.from_url(redis_server)
    prefix = ran["prefix"] + ":prune"
    client.hset(f"{prefix}:snapshot:stray", "meta", "{}")
    client.set(f"{prefix}:current", "kept")
    client.hset(f"{prefix}:snapshot:kept", "meta", "{}")
    settings = make_settings({"dictionary": ran["settings"].dictionary}, f"sqlite:///{db_file}",
                             str(feeds / "feed-{hour}.json"), redis_server, prefix,
                             retain_stats_days=31, retain_issues_days=31, retain_runs_days=1, raw_dirs=(str(raw),))
    now = START + pd.Timedelta(days=31, hours=5)
    store = IssueStore(f"sqlite:///{db_file}")
    before = {t: len(store.table(t)) for t in ("keyword_stats", "issues", "runs", "feeds")}

    dry = prune(settings, now=now, dry_run=True)
    assert {t: len(store.table(t)) for t in before} == before and client.exists(f"{prefix}:snapshot:stray")
    summary = prune(settings, now=now)
    assert summary.rows == dry.rows and summary.files == dry.files
    hours = lambda t: sorted({h.hour for h in store.table(t)["hour"]})          # noqa: E731
    kept_utc = {20, 21, 22, 23, 0}                     # 05..09 local
    assert set(hours("keyword_stats")) == set(hours("feeds")) == set(hours("channel_activity")) == kept_utc
    assert len(store.table("runs")) == 1               # only the newest run survives a 1-day policy
    assert sorted(p.name for p in raw.iterdir()) == ["new.csv", "old-notes.txt"]
    assert not list(feeds.glob("*T0[0-4].*")) and len(list(feeds.glob("*T0[5-9].*"))) == 10
    assert not list(feeds.glob(".*.tmp"))
    assert not client.exists(f"{prefix}:snapshot:stray") and client.exists(f"{prefix}:snapshot:kept")
    assert "deleted: keyword_stats" in summary.describe()
    too_short = make_settings({"dictionary": ran["settings"].dictionary}, f"sqlite:///{db_file}",
                              retain_stats_days=7)
    with pytest.raises(SettingsError, match="shorter than the 31 days"):
        prune(too_short, now=now)
