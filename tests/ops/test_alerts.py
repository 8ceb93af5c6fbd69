"""Alerts go to a real HTTP server on 127.0.0.1: a failure with hour, stage and error, one
recovery after it, and no secret in any alert or log line."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from jobs.runner.alerts import WebhookAlerter, redact
from jobs.cli.main import EXIT_DATABASE, main
from jobs.publish.feed import PublishError
from jobs.runner.hour import RunContext, run_hour

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "type": self.headers["Content-Type"],
                                     "body": json.loads(body.decode("utf-8"))})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture()
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_port}/services/T0/B0/hooksecret?token=tok3n"
    server.shutdown()
    server.server_close()


def test_failure_then_one_recovery(ops_inputs, tmp_path, webhook):
    server, url = webhook
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the feed folder should be")
    broken = make_settings(ops_inputs, db_url, str(blocker / "feed.json"), alert_webhook=url)
    fixed = make_settings(ops_inputs, db_url, str(tmp_path / "feed.json"), alert_webhook=url)
    posts, queries = [ops_inputs["posts"]], [ops_inputs["queries"]]

    with pytest.raises(PublishError):
        run_hour(RunContext(broken), START, posts, queries)
    assert len(server.received) == 1
    alert = server.received[0]
    assert alert["path"].startswith("/services/T0/B0/hooksecret") and alert["type"].startswith("application/json")
    fields = alert["body"]["issuewire"]
    assert fields["kind"] == "failure" and fields["hour"] == "2026-05-04T00:00:00+09:00"
    assert fields["stage"] == "file" and "not-a-folder" in fields["error"]
    assert "FAILED at stage file" in alert["body"]["text"] and alert["body"]["blocks"][0]["type"] == "section"

    run_hour(RunContext(fixed), START + pd.Timedelta(hours=1), posts, queries)
    assert len(server.received) == 2
    recovery = server.received[1]["body"]["issuewire"]
    assert recovery["kind"] == "recovery" and recovery["hour"] == "2026-05-04T01:00:00+09:00"
    assert recovery["failed_hour"] == "2026-05-04T00:00:00+09:00" and recovery["stage"] == "file"
    run_hour(RunContext(fixed), START + pd.Timedelta(hours=2), posts, queries)
    assert len(server.received) == 2                     # healthy hours are quiet


def test_database_down_alert_carries_no_secret(ops_inputs, tmp_path, webhook, monkeypatch, capsys):
    server, url = webhook
    monkeypatch.setenv("ISSUEWIRE_ALERT_WEBHOOK", url)
    bad = "postgresql://issuewire:pa55word@127.0.0.1:1/test?sslpassword=pa55ssl&application_name=iw"
    code = main(["run", "--hour", START.isoformat(), *cli_args(ops_inputs, bad)])
    assert code == EXIT_DATABASE
    alert = server.received[0]["body"]
    assert alert["issuewire"]["kind"] == "failure" and alert["issuewire"]["stage"] == "lock"
    assert "unavailable" in alert["issuewire"]["error"]
    everything = json.dumps(alert) + capsys.readouterr().err
    for secret in ("pa55word", "pa55ssl", "hooksecret", "tok3n"):
        assert secret not in everything


def test_an_unreachable_webhook_is_logged_redacted_and_never_raises(caplog):
    alerter = WebhookAlerter("http://user:pw0rd@127.0.0.1:1/hook?token=tok3n", timeout=2)
    with caplog.at_level(logging.WARNING, logger="issuewire.alerts"):
        assert alerter.failure(START, "store", "postgresql://u:pa55@h/db down") is False
    assert "alert webhook" in caplog.text
    for secret in ("pw0rd", "tok3n", "pa55"):
        assert secret not in caplog.text


def test_redact_hides_secrets_and_keeps_the_rest():
    text = ("postgresql+psycopg://iw:s3cret@db:5432/x?sslkey=k3y&application_name=iw "
            "https://hooks.slack.com/services/T1/B2/abcdef Authorization: Bearer abcdefghijklmnop "
            "redis://:r3dis@127.0.0.1:6379/0 https://example.test/feed?api_key=zzz&page=2")
    out = redact(text)
    for secret in ("s3cret", "k3y", "abcdef", "abcdefghijklmnop", "r3dis", "zzz"):
        assert secret not in out
    for kept in ("iw:***@db:5432/x", "application_name=iw", "127.0.0.1:6379/0", "page=2", "hooks.slack.com"):
        assert kept in out


def test_recovery_follows_a_database_outage_the_database_never_saw(ops_inputs, tmp_path, webhook):
    """The database is what failed, so its run_attempts row cannot be written: the attempt waits in
    the state file, becomes a row on the next good run, and that run sends the recovery alert."""
    from jobs.runner.hour import unrecorded_failure_path
    from jobs.store.issue_store import IssueStore, RunLedger, StoreError

    server, url = webhook
    db_dir = tmp_path / "db"
    db_dir.write_text("a file where the database folder should be: the database is down")
    db_url = f"sqlite:///{db_dir / 'issuewire.sqlite'}"
    state = tmp_path / "unrecorded.json"
    settings = make_settings(ops_inputs, db_url, str(tmp_path / "feed.json"), alert_webhook=url,
                             alert_state_file=str(state))
    posts, queries = [ops_inputs["posts"]], [ops_inputs["queries"]]

    with pytest.raises(StoreError):
        run_hour(RunContext(settings), START, posts, queries)
    assert unrecorded_failure_path(settings) == state and state.exists()
    assert [a["body"]["issuewire"]["kind"] for a in server.received] == ["failure"]

    db_dir.unlink()
    db_dir.mkdir()                                       # the database is back
    run_hour(RunContext(settings), START + pd.Timedelta(hours=1), posts, queries)
    assert [a["body"]["issuewire"]["kind"] for a in server.received] == ["failure", "recovery"]
    recovery = server.received[1]["body"]["issuewire"]
    assert recovery["failed_hour"] == "2026-05-04T00:00:00+09:00" and recovery["stage"] == "lock"
    assert not state.exists()
    failures = RunLedger(IssueStore(db_url)).recent_failures()
    assert len(failures) == 1 and failures.iloc[0]["stage"] == "lock"
    run_hour(RunContext(settings), START + pd.Timedelta(hours=2), posts, queries)
    assert len(server.received) == 2                     # healthy hours are quiet
