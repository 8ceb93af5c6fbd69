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


# ---------------------------------------------------------------- one convention for every command (#14)

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402

from jobs.cli.main import build_parser  # noqa: E402
from jobs.cli.options import add_deprecated_alias, add_options  # noqa: E402

SHARED = {"--db": "db_url", "--redis": "redis_url", "--redis-prefix": "redis_prefix", "--config": "config",
          "--hour": "hour", "--from": "start", "--to": "end", "--feed-file": "feed_file",
          "--posts-mapping": "posts_mapping", "--sources": "crawl_sources"}


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, sub.choices


def _visible(parser):
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction) and a.help != argparse.SUPPRESS]


def test_every_option_of_every_command_has_help():
    parser, commands = _commands()
    missing = [f"issuewire {a.option_strings}" for a in _visible(parser) if not a.help]
    for name, command in commands.items():
        missing += [f"issuewire {name} {'/'.join(a.option_strings) or a.dest}" for a in _visible(command)
                    if not (a.help or "").strip()]
    assert not missing, missing


def test_the_same_option_means_the_same_thing_in_every_command():
    _, commands = _commands()
    seen = {}
    for name, command in commands.items():
        for action in command._actions:
            for flag in action.option_strings:
                if flag in SHARED:
                    seen.setdefault(flag, set()).add(action.dest)
                    assert action.dest == SHARED[flag], f"issuewire {name} {flag} stores into {action.dest}"
    assert {"--db", "--redis", "--redis-prefix", "--config", "--hour", "--from", "--to"} <= set(seen)


def test_posts_mapping_help_lists_its_names():
    from crawler.mappings import POST_MAPPINGS

    _, commands = _commands()
    for name in ("run", "backfill", "schedule", "propose-keywords"):
        action = next(a for a in commands[name]._actions if "--posts-mapping" in a.option_strings)
        assert all(mapping in action.help for mapping in POST_MAPPINGS), name


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"issuewire {importlib.metadata.version('issuewire')}"


def test_an_old_spelling_still_works_hidden_with_one_warning(capsys):
    parser = argparse.ArgumentParser(prog="issuewire recommend")
    add_options(parser, "redis", "redis-prefix")
    add_deprecated_alias(parser, "--redis-url", "--redis")
    add_deprecated_alias(parser, "--prefix", "--redis-prefix")
    args = parser.parse_args(["--redis-url", "redis://127.0.0.1:6379/3", "--prefix", "portal"])
    assert (args.redis_url, args.redis_prefix) == ("redis://127.0.0.1:6379/3", "portal")
    assert capsys.readouterr().err.splitlines() == [
        "issuewire: warning: --redis-url is deprecated, use --redis",
        "issuewire: warning: --prefix is deprecated, use --redis-prefix"]
    assert "--redis-url" not in parser.format_help() and "--prefix " not in parser.format_help()
    assert parser.parse_args([]).redis_url is None and not capsys.readouterr().err
    parser.add_argument("--quiet", action="store_true", help="no summary")
    add_deprecated_alias(parser, "--silent", "--quiet")
    assert parser.parse_args(["--silent"]).quiet is True and "--silent is deprecated" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["run", "--hour", "2026-05-04T01:00", "--posts", "p.jsonl"],
    ["backfill", "--from", "2026-05-04T00:00", "--to", "2026-05-04T01:00", "--posts", "p.jsonl"],
    ["schedule", "--once", "--posts", "p.jsonl"],
    ["status"], ["prune", "--dry-run"], ["rejects", "--hour", "2026-05-04T01:00"],
    ["crawl"], ["propose-keywords", "--posts", "p.jsonl"], ["console"],
])
def test_every_command_resolves_the_same_settings(argv, tmp_path, monkeypatch, capsys):
    """One resolution for every command: a bad value in the environment is the same one-line error."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ISSUEWIRE_DETECT__TOP_N", "six")
    assert main(argv) == EXIT_INPUT
    err = capsys.readouterr().err.strip()
    assert err == "issuewire: error: environment detect.top_n: 'six' is not a valid int"
    assert not list(tmp_path.iterdir())                  # nothing created, no database


def test_flags_beat_environment_beat_config_file_for_the_operator_commands(inputs, tmp_path, monkeypatch, capsys):
    db, other = f"sqlite:///{tmp_path / 'db.sqlite'}", f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert main(_args(inputs, tmp_path, "2026-05-04T01:00", "--quiet")) == 0
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'db_url = "{db}"\n', encoding="utf-8")
    monkeypatch.setenv("ISSUEWIRE_CONFIG", str(cfg))                       # the file names the run database
    assert main(["rejects", "--hour", "2026-05-04T01:00", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["hour"] == "2026-05-04T01:00+09:00" and listing["rejected"] == 2
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["hour"] == "2026-05-04T01:00+09:00"
    monkeypatch.setenv("ISSUEWIRE_DB_URL", other)                          # the environment beats the file
    assert main(["rejects", "--hour", "2026-05-04T01:00"]) == EXIT_INPUT     # no such file: nothing created
    assert "other.sqlite" in capsys.readouterr().err and not (tmp_path / "other.sqlite").exists()
    assert main(["rejects", "--hour", "2026-05-04T01:00", "--db", db]) == 0   # the flag beats both
    assert "2 rejected rows" in capsys.readouterr().out


def test_an_unknown_posts_mapping_lists_the_known_ones(inputs, tmp_path, capsys):
    assert main(_args(inputs, tmp_path, "2026-05-04T01:00", "--posts-mapping", "knwes")) == EXIT_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith("issuewire: error: posts_mapping 'knwes' is unknown; known: community_json, contract, ")
    assert "knews" in err


def test_propose_keywords_times_are_local_with_their_offset(inputs, tmp_path, capsys):
    out = tmp_path / "proposals.tsv"
    assert main(["propose-keywords", "--posts", inputs["posts"], "--dictionary", inputs["dictionary"],
                 "--since", "2026-05-04T00:00", "--until", "2026-05-04T03:00", "--out", str(out)]) == 0
    line = capsys.readouterr().out
    assert "(window 2026-05-04 00:00+09:00 .. 2026-05-04 03:00+09:00;" in line and out.exists()
    assert main(["propose-keywords", "--posts", inputs["posts"], "--since", "2026-05-04"]) == EXIT_INPUT
    assert "--since '2026-05-04' is a date, not an hour" in capsys.readouterr().err
