"""One exit-code table for every command, through the real entry point: a user error is one line on
stderr and its documented code; anything else is a bug, exit 1 with its traceback."""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.cli.main import main
from jobs.errors import (EXIT_BUG, EXIT_CODES, EXIT_DATABASE, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_LOCKED,
                         EXIT_PUBLISH, UserError, exit_code)
from jobs.store.issue_store import IssueStore
from jobs.store.lock import RunLock
from tests.jobs.helpers import write_inputs

REPO = Path(__file__).resolve().parents[2]
RUNTIME = ("keywords", "issues", "titling", "dictionaries", "clustering", "crawler", "recommender", "jobs")
#: Exceptions that never reach a command: each is caught where it is raised (a row's reject, one
#: URL's failure, a console form's message) or is a programming error, so it is a bug if it escapes.
NOT_USER_ERRORS = {"keywords.parallel.WorkerError", "issues.field_rules.RowError", "crawler.feeds.ParseError",
                   "crawler.fetcher._Transient", "crawler.fetcher._TooLarge", "jobs.console.edits.EditConflict",
                   "jobs.console.edits.RecomputeUnavailable", "recommender.base.NotFittedError"}
DOWN = "postgresql://postgres@127.0.0.1:1/test"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("exit-codes"), hours=2)


def _run(inputs, tmp_path, *extra, hour="2026-05-04T01:00"):
    return ["run", "--hour", hour, "--posts", inputs["posts"], "--queries", inputs["queries"],
            "--dictionary", inputs["dictionary"], "--stopwords", "", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}",
            "--feed-file", str(tmp_path / "feed.json"), *extra]


def _one_line(err: str) -> str:
    """The human part of stderr (the run log's JSON lines aside): exactly one line."""
    human = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    assert len(human) == 1, human
    assert human[0].startswith("issuewire: error: ") and "Traceback" not in err
    return human[0]


def _runtime_errors():
    for package in RUNTIME:
        for info in pkgutil.walk_packages([str(REPO / package)], prefix=f"{package}."):
            if info.name.startswith(("jobs.demo", "jobs.cli.__main__")):
                continue
            module = importlib.import_module(info.name)
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Exception) and cls.__module__ == info.name:
                    yield f"{info.name}.{name}", cls


def test_every_named_error_is_a_user_error_of_one_kind_or_listed_as_never_escaping():
    found = dict(_runtime_errors())
    assert len(found) >= 20
    unclassified = sorted(name for name, cls in found.items()
                          if not issubclass(cls, UserError) and name not in NOT_USER_ERRORS)
    assert not unclassified, f"give these a kind from keywords/errors.py: {unclassified}"
    assert not sorted(n for n in NOT_USER_ERRORS if n not in found), "a listed error no longer exists"


@pytest.mark.parametrize("name,code", [
    ("dictionaries.DictionaryError", EXIT_INPUT), ("dictionaries.tsv.TsvError", EXIT_INPUT),
    ("titling.overrides.OverrideError", EXIT_INPUT), ("titling.blocklist.BlocklistError", EXIT_INPUT),
    ("jobs.settings.SettingsError", EXIT_INPUT), ("crawler.ingest.IngestError", EXIT_INPUT),
    ("crawler.ingest.InputFileError", EXIT_INPUT), ("crawler.settings.CrawlConfigError", EXIT_INPUT),
    ("jobs.console.access.ConsoleConfigError", EXIT_INPUT), ("recommender.base.RecommenderError", EXIT_INPUT),
    ("recommender.base.UnknownUserError", EXIT_INPUT), ("recommender.base.ModelTooLargeError", EXIT_INPUT),
    ("jobs.store.issue_store.StoreError", EXIT_DATABASE), ("crawler.crawl_store.CrawlStoreError", EXIT_DATABASE),
    ("jobs.publish.feed.PublishError", EXIT_PUBLISH), ("recommender.shell.ExportError", EXIT_PUBLISH),
    ("jobs.store.lock.LockBusyError", EXIT_LOCKED), ("jobs.store.lock.LockLostError", EXIT_LOCKED),
    ("crawler.shell.CrawlBusyError", EXIT_LOCKED),
])
def test_each_named_error_gets_its_documented_code(name, code):
    module, cls_name = name.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), cls_name)
    assert exit_code(cls) == code
    assert exit_code(ValueError("a pandas bug")) == EXIT_BUG


def test_the_table_is_documented_in_docs_cli():
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for row in EXIT_CODES:
        assert f"| {row.code} | {row.name} |" in text
    assert sorted(row.code for row in EXIT_CODES) == [0, 1, 2, 3, 4, 5, 130]


def test_a_missing_dictionary_is_one_line_and_exit_2(inputs, tmp_path, capsys):
    args = _run(inputs, tmp_path)
    args[args.index("--dictionary") + 1] = str(tmp_path / "nope.tsv")
    assert main(args) == EXIT_INPUT
    assert f"{tmp_path / 'nope.tsv'}:0: file not found" in _one_line(capsys.readouterr().err)
    args[args.index("--stopwords") + 1] = str(tmp_path / "nope.txt")
    args[args.index("--dictionary") + 1] = inputs["dictionary"]
    assert main(args) == EXIT_INPUT
    assert "--stopwords" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "feed.json").exists()


@pytest.mark.parametrize("hour,says", [
    ("yesterday", "--hour 'yesterday' is not a time: give ISO 8601, e.g. 2026-05-05T18:00 (Asia/Seoul time"),
    ("KST", "--hour 'KST' is not a time"),
    ("2026-05-05", "--hour '2026-05-05' is a date, not an hour: give the hour, e.g. 2026-05-05T18:00 "
                   "(Asia/Seoul time unless an offset such as +09:00 is given)"),
    ("2026-05-04T01:30", "--hour '2026-05-04T01:30' is not on the hour: give a whole hour, e.g. 2026-05-04T01:00"),
    ("2026-13-04T01:00", "--hour '2026-13-04T01:00' is not a valid time"),
])
def test_a_bad_hour_says_what_to_give_and_runs_nothing(inputs, tmp_path, capsys, hour, says):
    assert main(_run(inputs, tmp_path, hour=hour)) == EXIT_INPUT
    assert says in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "feed.json").exists() and not (tmp_path / "db.sqlite").exists()


def test_the_same_hour_with_an_offset_or_utc_runs_the_same_hour(inputs, tmp_path, capsys):
    assert main(_run(inputs, tmp_path, "--quiet", hour="2026-05-03T16:00Z")) == 0
    runs = IssueStore(f"sqlite:///{tmp_path / 'db.sqlite'}").table("runs")
    assert [h.hour for h in runs["hour"]] == [16]
    assert main(_run(inputs, tmp_path, "--quiet", hour="2026-05-04T01")) == 0       # the same hour, local
    assert len(IssueStore(f"sqlite:///{tmp_path / 'db.sqlite'}").table("runs")) == 1


def test_backfill_names_the_option_of_a_bad_end(inputs, tmp_path, capsys):
    args = ["backfill", "--from", "2026-05-04T00:00", "--to", "tomorrow"] + _run(inputs, tmp_path)[3:]
    assert main(args) == EXIT_INPUT
    assert "--to 'tomorrow' is not a time" in _one_line(capsys.readouterr().err)


def test_a_bug_exits_1_with_its_traceback_even_a_bare_value_error(inputs, tmp_path, capsys, monkeypatch):
    import jobs.runner.status as status

    def broken(*args, **kwargs):
        raise ValueError("cannot reindex on an axis with duplicate labels")    # what a pandas bug looks like
    monkeypatch.setattr(status, "collect_status", broken)
    assert main(["status", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]) == EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ValueError: cannot reindex" in err
    assert "internal error" in err.splitlines()[-1]


def test_ctrl_c_exits_130(tmp_path, monkeypatch, capsys):
    import jobs.runner.status as status

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(status, "collect_status", interrupted)
    assert main(["status", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]) == EXIT_INTERRUPTED


@pytest.mark.parametrize("argv", [
    ["status", "--db", DOWN], ["rejects", "--hour", "2026-05-04T01:00", "--db", DOWN],
    ["prune", "--dry-run", "--db", DOWN],
])
def test_a_database_that_is_down_exits_3_for_every_command(argv, capsys):
    assert main(argv) == EXIT_DATABASE
    assert "127.0.0.1:1" in _one_line(capsys.readouterr().err)


def test_a_held_run_lock_exits_5(inputs, tmp_path, capsys):
    assert main(_run(inputs, tmp_path, "--quiet")) == 0
    store = IssueStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    holder = RunLock(store.engine, ttl_seconds=3600, owner=f"{socket.gethostname()}:{os.getpid()}:other",
                     heartbeat_seconds=3600)
    holder.acquire()
    try:
        assert main(_run(inputs, tmp_path, "--quiet", hour="2026-05-04T02:00")) == EXIT_LOCKED
        assert "another run holds the lock" in _one_line(capsys.readouterr().err)
    finally:
        holder.release()


def test_a_feed_file_that_cannot_be_written_exits_4(inputs, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the feed's folder should be", encoding="utf-8")
    args = _run(inputs, tmp_path, "--quiet")
    args[args.index("--feed-file") + 1] = str(blocker / "feed.json")
    assert main(args) == EXIT_PUBLISH
    assert "not-a-folder" in _one_line(capsys.readouterr().err)


def test_a_crawl_on_a_busy_data_dir_exits_5_like_a_run(tmp_path, capsys):
    from crawler.shell import crawl_lock

    (tmp_path / "drop").mkdir()
    sources = tmp_path / "sources.toml"
    sources.write_text(f"[crawl]\ndata_dir = 'data'\n[[source]]\nname = 'drop'\nkind = 'drop_folder'\n"
                       f"path = '{tmp_path / 'drop'}'\n", encoding="utf-8")
    with crawl_lock(tmp_path / "data"):
        assert main(["crawl", "--sources", str(sources)]) == EXIT_LOCKED
    assert "another crawl is running" in _one_line(capsys.readouterr().err)


ENTRY = [sys.executable, "-m", "jobs.cli.main"]


def _subprocess(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(ENTRY + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_entry_point_exits_with_the_table(inputs, tmp_path):
    bad = _subprocess(_run(inputs, tmp_path, hour="yesterday"), tmp_path)
    assert bad.returncode == EXIT_INPUT and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "--hour 'yesterday' is not a time" in bad.stderr
    usage = _subprocess(["run", "--posts", inputs["posts"]], tmp_path)          # argparse's own error
    assert usage.returncode == EXIT_INPUT and "--hour" in usage.stderr
    missing = _subprocess(_run(inputs, tmp_path, "--dictionary", str(tmp_path / "nope.tsv")), tmp_path)
    assert missing.returncode == EXIT_INPUT and "Traceback" not in missing.stderr
    assert not (tmp_path / "feed.json").exists()


def test_a_reader_that_closes_the_pipe_is_not_a_bug(tmp_path):
    """`issuewire status | head -1`: the rest of the output has nowhere to go; exit 0, no traceback."""
    from jobs.store.issue_store import IssueStore
    from tests.ops.conftest import spawn_cli

    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    IssueStore(db_url)
    proc = spawn_cli(["status", "--db", db_url])
    proc.stdout.close()                                   # the reader is gone before the first line
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err
