"""A bad input file fails the run (exit 2, one line naming the file, its top reject reasons and
their first lines) and the previous feed stays; an hour without posts is published as ``empty``
and alerted; ``issuewire rejects`` lists an hour's rejects (issue 12, item 1)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crawler.ingest import InputFileError
from jobs.cli.main import main
from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import make_settings, run_cli
from tests.ops.test_alerts import webhook  # noqa: F401 - the fixture

HOUR = START + pd.Timedelta(hours=8)
NEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "news_general_kr_2022jul" / "items.jsonl.gz"


def _hour_posts(ops_inputs) -> pd.DataFrame:
    """The good rows of 08h of the fixture's file (which ends with two bad rows)."""
    rows = [json.loads(line) for line in Path(ops_inputs["posts"]).read_text(encoding="utf-8").splitlines()[:-2]]
    posts = pd.DataFrame(rows)
    return posts.loc[posts["published_at"].str.startswith("2026-05-04T08")].reset_index(drop=True)


@pytest.fixture(scope="module")
def good_hour(ops_inputs, tmp_path_factory):
    """The 08h hour run once from good files: its database and feed file, copied by each test."""
    folder = tmp_path_factory.mktemp("good-hour")
    settings = make_settings(ops_inputs, f"sqlite:///{folder / 'db.sqlite'}", str(folder / "feed-{hour}.json"))
    run_hour(RunContext(settings), HOUR, [ops_inputs["posts"]], [ops_inputs["queries"]])
    return folder


def _bad_file(kind: str, ops_inputs, folder: Path) -> tuple[Path, list[str]]:
    """A file of one kind from the issue, and what the one error line must say about it."""
    hour = _hour_posts(ops_inputs)
    n = len(hour)
    if kind == "missing_author_id":
        path = folder / "posts.csv"
        hour.drop(columns=["author_id"]).to_csv(path, index=False)
        return path, [f"0 of {n} rows valid", f"missing field 'author_id' ×{n} (first at line 2)"]
    if kind == "cp949_excel":
        path = folder / "excel.csv"
        hour.to_csv(path, index=False, encoding="cp949")
        return path, ["rows valid", "invalid UTF-8 — CP949/EUC-KR? save the file as UTF-8", "(first at line 2)"]
    if kind == "no_offset":
        path = folder / "posts.jsonl"
        hour.assign(published_at=hour["published_at"].str.replace("+09:00", "", regex=False)).to_json(
            path, orient="records", lines=True, force_ascii=False)
        return path, [f"0 of {n} rows valid", f"published_at has no UTC offset ×{n} (first at line 1)"]
    if kind == "news_without_mapping":
        return NEWS, ["0 of 6318 rows valid", "missing field 'post_id' ×6318 (first at line 1)",
                      "the rows fit --posts-mapping knews"]
    path = folder / "empty.jsonl"
    path.write_bytes(b"")
    return path, ["no rows (an empty file)"]


@pytest.mark.parametrize("kind", ["missing_author_id", "cp949_excel", "no_offset", "news_without_mapping", "empty"])
def test_a_bad_file_fails_the_run_and_the_previous_feed_stays(kind, ops_inputs, good_hour, tmp_path):
    for name in ("db.sqlite", "feed-20260504T08.json"):
        shutil.copy(good_hour / name, tmp_path / name)
    feed = tmp_path / "feed-20260504T08.json"
    before_feed = feed.read_bytes()
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    before_run = IssueStore(db).run_record(HOUR)
    assert json.loads(before_feed)["channels"]["home"], "the good hour published issues"
    path, wanted = _bad_file(kind, ops_inputs, tmp_path)

    done = run_cli(["run", "--hour", HOUR.isoformat(), "--posts", str(path), "--queries", ops_inputs["queries"],
                    "--dictionary", ops_inputs["dictionary"], "--stopwords", "", "--db", db,
                    "--feed-file", str(tmp_path / "feed-{hour}.json")], env_extra={"ISSUEWIRE_JSON_LOGS": "false"})

    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    line = done.stderr.strip()
    assert line.startswith(f"issuewire: error: posts file {path}: "), line
    for text in wanted:
        assert text in line, (text, line)
    assert feed.read_bytes() == before_feed                              # nothing published
    assert IssueStore(db).run_record(HOUR)["feed_version"] == before_run["feed_version"]


def test_a_file_with_too_few_valid_rows_fails_and_the_share_is_a_setting(ops_inputs, tmp_path):
    hour = _hour_posts(ops_inputs)
    path = tmp_path / "mostly-bad.jsonl"
    good = [json.dumps(r, ensure_ascii=False) for r in hour.head(40).to_dict("records")]
    path.write_text("\n".join(good + ["{broken"] * 60) + "\n", encoding="utf-8")
    settings = make_settings(ops_inputs, f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(InputFileError) as err:
        run_hour(RunContext(settings), HOUR, [str(path)])
    assert str(err.value) == (f"posts file {path}: 40 of 100 rows valid (at least 50% needed): "
                              "invalid JSON ×60 (first at line 41)")
    lenient = make_settings(ops_inputs, f"sqlite:///{tmp_path / 'db.sqlite'}", ingest={"min_accepted_share": 0.4})
    report = run_hour(RunContext(lenient), HOUR, [str(path)])
    assert report.counts["posts_accepted"] == 40 and report.status == "ok"
    assert "rejects: invalid JSON ×60 (first at " + str(path) + ":41)" in report.summary()


def test_a_file_delivered_twice_is_not_a_bad_file(ops_inputs, tmp_path):
    copy = tmp_path / "again.jsonl"
    shutil.copy(ops_inputs["posts"], copy)                 # every row of the copy is a duplicate post_id
    settings = make_settings(ops_inputs, f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = run_hour(RunContext(settings), HOUR, [ops_inputs["posts"], str(copy)])
    assert report.status == "ok" and report.counts["posts_rejected"] > report.counts["posts_accepted"]
    assert "duplicate post_id" in report.reject_reasons


def test_an_hour_without_posts_is_published_as_empty_shown_by_status_and_alerted(ops_inputs, tmp_path, webhook,
                                                                                capsys):
    server, url = webhook
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = make_settings(ops_inputs, db, str(tmp_path / "feed-{hour}.json"), alert_webhook=url)
    quiet = START + pd.Timedelta(hours=12)                 # the files hold 00..09 h: fine, but nothing at 12 h
    report = run_hour(RunContext(settings), quiet, [ops_inputs["posts"]], [ops_inputs["queries"]])

    assert report.status == "empty" and "status=empty" in report.summary()
    assert IssueStore(db).run_record(quiet)["status"] == "empty"
    feed = json.loads((tmp_path / "feed-20260504T12.json").read_text(encoding="utf-8"))
    assert feed["channels"]["home"] == []                 # published: consumers see the hour is empty
    assert [a["body"]["issuewire"]["kind"] for a in server.received] == ["empty"]
    assert "no post published in the hour" in server.received[0]["body"]["text"]
    assert main(["status", "--db", db]) == 0
    assert " empty " in capsys.readouterr().out
    run_hour(RunContext(settings), HOUR, [ops_inputs["posts"]], [ops_inputs["queries"]])
    assert len(server.received) == 1                      # a normal hour is quiet
    assert IssueStore(db).completed_hours().tolist() == [HOUR.tz_convert("UTC"), quiet.tz_convert("UTC")]


def test_rejects_command_lists_an_hours_rejects_with_file_line_and_reason(ops_inputs, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    report = run_hour(RunContext(make_settings(ops_inputs, db)), HOUR, [ops_inputs["posts"]])
    lines = Path(ops_inputs["posts"]).read_text(encoding="utf-8").splitlines()
    n = len(lines)                                        # the fixture's two bad rows are its last two lines
    posts = ops_inputs["posts"]
    assert report.reject_reasons == (f"missing field 'author_id' ×1 (first at {posts}:{n - 1}); "
                                     f"invalid JSON ×1 (first at {posts}:{n})")
    assert f"rejects: {report.reject_reasons}" in report.summary()

    assert main(["rejects", "--hour", "2026-05-04T08:00", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("hour 2026-05-04T08:00+09:00: 2 rejected rows (run ok: ")
    assert f"      1  missing field 'author_id'  ({posts}:{n - 1})" in out
    assert any(line.startswith(f"post   {posts}:{n}  invalid JSON: ") for line in out)

    assert main(["rejects", "--hour", "2026-05-04T08:00+09:00", "--db", db, "--json", "--limit", "1"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["rejected"] == 2 and len(listing["rejects"]) == 1
    assert listing["rejects"][0] == {"kind": "post", "source": posts, "line": n - 1,
                                     "reason": "missing field 'author_id'", "raw": lines[n - 2]}
    assert [(r["reason"], r["count"]) for r in listing["reasons"]] == [("missing field 'author_id'", 1),
                                                                       ("invalid JSON", 1)]
    assert main(["rejects", "--hour", "2026-05-04T09:00", "--db", db]) == 2    # never ran: one line, exit 2
    assert capsys.readouterr().err.startswith("issuewire: error: hour 2026-05-04T09:00 never ran")
