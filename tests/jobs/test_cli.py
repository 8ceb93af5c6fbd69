"""The command line: exit codes and one clear line per error; a bad input publishes nothing."""
import json

import pytest

from jobs.cli.main import EXIT_DATABASE, EXIT_INPUT, main
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import write_inputs


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("cli"), hours=3)


def _args(inputs, tmp_path, hour="2026-05-04T01:00", *extra):
    return ["run", "--hour", hour, "--posts", inputs["posts"], "--queries", inputs["queries"],
            "--dictionary", inputs["dictionary"], "--stopwords", "", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}",
            "--feed-file", str(tmp_path / "feed.json"), *extra]


def test_run_prints_a_summary(inputs, tmp_path, capsys):
    assert main(_args(inputs, tmp_path)) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-05-04T01:00:00+09:00 read=") and "rejected=2" in out
    assert json.loads((tmp_path / "feed.json").read_text())["hour"] == "2026-05-04T01:00:00+09:00"


def test_bad_override_file_keeps_the_last_good_feed(inputs, tmp_path, capsys):
    assert main(_args(inputs, tmp_path)) == 0
    good = (tmp_path / "feed.json").read_bytes()
    bad = tmp_path / "overrides.txt"
    bad.write_text("rewrite 정부 => 정부 발표\nblock 광고\nmerge 어린이날 선물\n", encoding="utf-8")
    assert main(_args(inputs, tmp_path, "2026-05-04T02:00", "--overrides", str(bad))) == EXIT_INPUT
    err = capsys.readouterr().err
    human = [line for line in err.splitlines() if not line.startswith("{")]   # JSON lines are the run log
    assert len(human) == 1 and f"{bad}:3: 'merge' needs '<='" in human[0]
    assert (tmp_path / "feed.json").read_bytes() == good
    assert len(IssueStore(f"sqlite:///{tmp_path / 'db.sqlite'}").table("runs")) == 1


def test_unreadable_input_and_bad_hour(inputs, tmp_path, capsys):
    args = _args(inputs, tmp_path)
    args[args.index("--posts") + 1] = str(tmp_path / "missing.jsonl")
    assert main(args) == EXIT_INPUT
    assert "missing.jsonl: file not found" in capsys.readouterr().err
    assert main(_args(inputs, tmp_path, "2026-05-04T01:30")) == EXIT_INPUT
    assert not (tmp_path / "feed.json").exists()


def test_database_down_exits_3_and_publishes_nothing(inputs, tmp_path, capsys):
    args = _args(inputs, tmp_path)
    args[args.index("--db") + 1] = "postgresql://postgres@127.0.0.1:1/test"
    assert main(args) == EXIT_DATABASE
    err = capsys.readouterr().err
    assert "database postgresql+psycopg://postgres@127.0.0.1:1/test unavailable" in err
    assert not (tmp_path / "feed.json").exists()


def test_backfill_runs_hours_in_order(inputs, tmp_path, capsys):
    args = ["backfill", "--from", "2026-05-04T00:00", "--to", "2026-05-04T02:00"] + _args(inputs, tmp_path)[3:]
    assert main(args + ["--quiet"]) == 0
    runs = IssueStore(f"sqlite:///{tmp_path / 'db.sqlite'}").table("runs").sort_values("hour")
    assert [h.hour for h in runs["hour"]] == [15, 16, 17]            # UTC of 00-02 KST, in order
