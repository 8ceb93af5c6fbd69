"""Output files respect the umask (0644 under 022, 0640 under 027) instead of mkstemp's 0600, every
writer goes through one atomic write, the temporary file of a killed publish is removed by the
next run, and the ``{hour}`` rule names an hour's files the same way everywhere.

The commands run as real ``python -m jobs.cli`` processes started with the umask set."""
from __future__ import annotations

import json
import os
import signal
import stat
import threading

import numpy as np
import pandas as pd
import pytest

from issues.atomic_file import atomic_write, final_name, stale_temp_files
from jobs.publish.paths import hour_file, hour_label, hour_output_pattern, is_hour_output, report_file
from jobs.runner.retention import _old_files

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, spawn_cli

MODES = {0o022: 0o644, 0o027: 0o640}


def _run(args, umask, env=None, timeout=300):
    proc = spawn_cli(args, env, preexec_fn=lambda: os.umask(umask))
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", sorted(MODES))
def test_output_files_get_the_mode_of_the_umask(ops_inputs, tmp_path, umask):
    from tests.recommender.suite import planted_frame

    want = MODES[umask]
    feeds = tmp_path / "feeds"
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _run(["run", "--hour", START.isoformat(), "--quiet", "--feed-file", str(feeds / "feed-{hour}.json"),
          *cli_args(ops_inputs, db_url)], umask)
    feed, report = feeds / "feed-20260504T00.json", feeds / "report-20260504T00.html"
    assert json.loads(feed.read_text())["hour"] == "2026-05-04T00:00:00+09:00"

    proposals = tmp_path / "review" / "proposals.tsv"
    _run(["propose-keywords", "--posts", ops_inputs["posts"], "--since", "2026-05-04T00:00", "--out",
          str(proposals), "--dictionary", ops_inputs["dictionary"]], umask)

    frame = planted_frame(n_users=120, per_user=10)
    frame["timestamp"] = 1_700_000_000 + np.random.default_rng(1).integers(0, 10 * 86400, len(frame))
    frame.to_csv(tmp_path / "inter.csv", index=False)
    models, export = tmp_path / "models", tmp_path / "export" / "recs.jsonl"
    base = ["--model-dir", str(models), "--threads", "1"]
    _run(["train-recommender", "--interactions", str(tmp_path / "inter.csv"), "--epochs", "2",
          "--validation-users", "0.2", "--no-progress", "--min-count", "3", *base], umask)
    _run(["recommend", "--no-redis", "--out", str(export), "--users", "u1,u2", *base], umask)
    version = (models / "CURRENT").read_text().strip()

    written = [feed, report, proposals, export, models / "CURRENT", models / version / "meta.json"]
    assert {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in written} == \
        {str(p.relative_to(tmp_path)): oct(want) for p in written}
    leftovers = [p for p in tmp_path.rglob("*") if final_name(p.name)]
    assert leftovers == []                                   # no temporary file left by any writer


def test_atomic_write_takes_the_umask_and_a_forced_mode(tmp_path):
    old = os.umask(0o077)
    try:
        private = atomic_write(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert _mode(private) == 0o600
    assert _mode(atomic_write(tmp_path / "b.txt", b"x", mode=0o604)) == 0o604
    with pytest.raises(ZeroDivisionError):                   # a failing writer leaves the old file
        atomic_write(private, lambda fh: 1 / 0)
    assert private.read_text() == "x" and stale_temp_files(tmp_path) == []


def _wait_paused(proc, point: str, timeout: float = 150) -> None:
    reached, lines = threading.Event(), []

    def read():
        for line in proc.stderr:
            lines.append(line)
            if line.strip() == f"paused at {point}":
                reached.set()
                return
    threading.Thread(target=read, daemon=True).start()
    assert reached.wait(timeout), f"never reached {point}: {''.join(lines)[-2000:]}"


def test_the_temp_file_of_a_killed_publish_is_removed_by_the_next_run(ops_inputs, tmp_path):
    feeds = tmp_path / "feeds"
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    template = str(feeds / "feed-{hour}.json")
    args = ["--quiet", "--feed-file", template, *cli_args(ops_inputs, db_url)]
    proc = spawn_cli(["run", "--hour", START.isoformat(), *args], {"IWTEST_PAUSE_AT": "file:temp-written"})
    try:
        _wait_paused(proc, "file:temp-written")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    stale = stale_temp_files(feeds)
    assert [final_name(p.name) for p in stale] == ["feed-20260504T00.json"]     # the killed write's temp
    other = feeds / ".notes.txt.1a2b3c4d.tmp"
    other.write_text("not a file of the feed: left alone")

    next_hour = START + pd.Timedelta(hours=1)
    proc = spawn_cli(["run", "--hour", next_hour.isoformat(), *args])
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert stale_temp_files(feeds) == [other]
    removed = [json.loads(line) for line in err.splitlines() if '"stale_temp_removed"' in line]
    assert removed and removed[0]["files"] == [str(stale[0])]
    # the killed hour's feed (and report) was written by the next run from the stored document
    assert sorted(p.name for p in feeds.iterdir() if not p.name.startswith(".")) == [
        "feed-20260504T00.json", "feed-20260504T01.json", "report-20260504T00.html", "report-20260504T01.html"]


@pytest.mark.parametrize("timezone, label", [("Asia/Seoul", "20260505T02"), ("Etc/GMT-9", "20260505T02"),
                                             ("UTC", "20260504T17")])
def test_one_hour_rule_names_feed_report_and_retention_alike(ops_inputs, tmp_path, timezone, label):
    hour = pd.Timestamp("2026-05-04T17:00Z")
    template = str(tmp_path / "feed-{hour}.json")
    assert hour_label(hour, timezone) == label
    assert hour_file(template, hour, timezone).name == f"feed-{label}.json"
    assert report_file(template, hour, timezone).name == f"report-{label}.html"
    assert hour_output_pattern(template).match(f"feed-{label}.json")["label"] == label
    assert is_hour_output(template, f"report-{label}.html")

    # what the runner wrote for the hour is what retention finds for it
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = make_settings(ops_inputs, db_url, template, timezone=timezone, retain_files_days=1)
    from jobs.runner.hour import RunContext, run_hour

    first = START + pd.Timedelta(hours=1)
    report = run_hour(RunContext(settings), first, [ops_inputs["posts"]], [ops_inputs["queries"]])
    want = hour_label(first, timezone)
    assert report.feed_path == str(hour_file(template, first, timezone))
    assert os.path.basename(report.feed_path) == f"feed-{want}.json"
    assert pd.Timestamp(json.loads(open(report.feed_path).read())["hour"]) == first
    written = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith((".json", ".html")))
    assert written == [f"feed-{want}.json", f"report-{want}.html"]
    old = pd.Timestamp("2026-05-01T00:00Z").timestamp()
    for name in written:
        os.utime(tmp_path / name, (old, old))
    assert sorted(p.name for p in _old_files(settings, old + 1)) == written
