"""A pin must name a channel that exists: home, a channel of the ``[ingest] channels`` setting, or
one with posts in the stored activity of the last ``channel_days`` days or in this hour. Any other
is a line-numbered override error, never a new empty channel (issue 12, item 11)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore
from titling.overrides import OverrideError

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, run_cli

HOUR = START + pd.Timedelta(hours=8)


def _pin(folder: Path, channel: str, name: str = "pins.toml") -> Path:
    path = folder / name
    path.write_text(f'[[block]]\nkeyword = "광고"\n\n[[pin]]\nchannel = "{channel}"\nkeyword = "날씨"\n'
                    'title = "오늘의 날씨"\nexpires = 2026-06-01T00:00:00+09:00\n', encoding="utf-8")
    return path


def test_a_pin_on_a_channel_that_does_not_exist_is_a_line_error_and_nothing_is_published(ops_inputs, tmp_path):
    overrides = _pin(tmp_path, "sprots")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = run_cli(["run", "--hour", HOUR.isoformat(), *cli_args(ops_inputs, db), "--overrides", str(overrides),
                    "--feed-file", str(tmp_path / "feed-{hour}.json")], env_extra={"ISSUEWIRE_JSON_LOGS": "false"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.strip() == (f"issuewire: error: {overrides}:4: pin: channel 'sprots' does not exist "
                                   "(known: blog, community, entertainment, home, news, sports)")
    assert not list(tmp_path.glob("feed-*.json"))


def test_channels_of_the_setting_and_of_recent_hours_exist(ops_inputs, tmp_path):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    posts, queries = [ops_inputs["posts"]], [ops_inputs["queries"]]
    configured = make_settings(ops_inputs, db, overrides=str(_pin(tmp_path, "weather")),
                               ingest={"channels": ["weather"]})
    report = run_hour(RunContext(configured), HOUR - pd.Timedelta(hours=1), posts, queries)
    assert [i["title"] for i in report.document["channels"]["weather"]] == ["오늘의 날씨"]

    lines = Path(ops_inputs["posts"]).read_text(encoding="utf-8").splitlines()[:-2]
    no_sports = tmp_path / "no-sports.jsonl"                # this hour has no sports post; 07 h had some
    no_sports.write_text("\n".join(line for line in lines if json.loads(line)["channel"] != "sports") + "\n",
                         encoding="utf-8")
    recent = make_settings(ops_inputs, db, overrides=str(_pin(tmp_path, "sports", "sports.toml")))
    report = run_hour(RunContext(recent), HOUR, [str(no_sports)], queries)
    assert [i["title"] for i in report.document["channels"]["sports"]] == ["오늘의 날씨"]


def test_a_file_with_an_unknown_pin_channel_never_becomes_the_last_valid_file(ops_inputs, tmp_path):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    posts, queries = [ops_inputs["posts"]], [ops_inputs["queries"]]
    good = _pin(tmp_path, "news", "good.toml")
    run_hour(RunContext(make_settings(ops_inputs, db, overrides=str(good))), HOUR - pd.Timedelta(hours=1),
             posts, queries)
    bad = _pin(tmp_path, "sprots", "bad.toml")
    report = run_hour(RunContext(make_settings(ops_inputs, db, overrides=str(bad))), HOUR, posts, queries)
    assert f"bad.toml:4: pin: channel 'sprots' does not exist" in report.notes[0]
    assert f"used the last valid file {good}" in report.notes[0]
    assert "sprots" not in report.document["channels"]
    assert IssueStore(db).last_override_file()["path"] == str(good)
    with pytest.raises(OverrideError, match="bad.toml:4: pin: channel 'sprots'"):      # no valid file kept yet
        run_hour(RunContext(make_settings(ops_inputs, f"sqlite:///{tmp_path / 'new.sqlite'}", overrides=str(bad))),
                 HOUR, posts, queries)
