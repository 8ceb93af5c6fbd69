"""No secret in any message: a webhook on any host that fails (HTTP 500, connection closed) is
logged without its path or query, and URL passwords holding ``@`` or ``/`` are hidden in stderr,
the JSON log lines, the stored error columns and ``status``. Real HTTP servers on 127.0.0.1 and a
real ``python -m jobs.cli`` process."""
from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.runner.alerts import quote_url_password, redact

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, run_cli

PATH_SECRET = "Zk9pathSecret"
QUERY_SECRET = "q5querySecret"


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.hits.append(self.path)
        if self.server.mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"boom")
        else:                                    # close the connection without an answer
            self.close_connection = True
            self.connection.shutdown(2)

    def log_message(self, *args):
        pass


@pytest.fixture(params=["500", "closed"])
def failing_webhook(request):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    server.mode, server.hits = request.param, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # not Slack's host, not a path that looks like a webhook: only knowing the setting can hide it
    yield server, f"http://127.0.0.1:{server.server_port}/api/v2/notify/{PATH_SECRET}?access={QUERY_SECRET}"
    server.shutdown()
    server.server_close()


def _stored_errors(db_path) -> str:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("select error from runs union all select error from run_attempts").fetchall()
    return json.dumps(rows)


def test_a_failing_webhook_on_any_host_leaks_nothing(ops_inputs, tmp_path, failing_webhook):
    server, url = failing_webhook
    db_path = tmp_path / "db.sqlite"
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the feed folder should be")        # the file stage fails
    env = {"ISSUEWIRE_ALERT_WEBHOOK": url, "ISSUEWIRE_ALERT_TIMEOUT_SECONDS": "5"}
    proc = run_cli(["run", "--hour", START.isoformat(), *cli_args(ops_inputs, f"sqlite:///{db_path}"),
                    "--feed-file", str(blocker / "feed-{hour}.json")], env)
    assert proc.returncode == 4, proc.stderr
    assert server.hits and PATH_SECRET in server.hits[0]                 # the alert was really sent
    assert "alert webhook http://127.0.0.1:" in proc.stderr              # and its failure said so
    status = run_cli(["status", "--db", f"sqlite:///{db_path}"], env)
    status_json = run_cli(["status", "--db", f"sqlite:///{db_path}", "--json"], env)
    assert "stage file" in status.stdout
    everything = proc.stdout + proc.stderr + _stored_errors(db_path) + status.stdout + status.stderr \
        + status_json.stdout
    for secret in (PATH_SECRET, QUERY_SECRET, "/api/v2/notify"):
        assert secret not in everything


@pytest.mark.parametrize("password", ["Pa55@W0rd/Xy9q", "Kk4t@Mm8q", "Ss7e/Cr3t", "Aa1a@Bb2b@Cc3c"])
def test_a_database_password_with_at_or_slash_is_never_shown(ops_inputs, tmp_path, password):
    db_url = f"postgresql://iwuser:{password}@127.0.0.1:1/test"
    proc = run_cli(["run", "--hour", START.isoformat(), *cli_args(ops_inputs, db_url)])
    assert proc.returncode == 3, proc.stderr
    human = [line for line in proc.stderr.splitlines() if not line.startswith("{")]
    assert len(human) == 1 and "iwuser:***@127.0.0.1:1/test" in human[0]
    for fragment in {password, *password.replace("@", "/").split("/")} - {""}:
        assert fragment not in proc.stderr.replace("iwuser", "")


@pytest.mark.parametrize("text, secrets, kept", [
    ("postgresql://iw:p@ss/w0rd@db:5432/x?sslmode=require down", ["p@ss", "w0rd"], ["iw:***@db:5432/x",
                                                                                    "sslmode=require"]),
    ("postgresql+psycopg://iw:a@b@c@db.internal/test", ["a@b@c"], ["@db.internal/test"]),
    ("redis://:r3d/is@127.0.0.1:6379/0", ["r3d", "is@"], ["127.0.0.1:6379/0"]),
    ("redis://default:hunter2@cache:6380/1 refused", ["hunter2"], ["default:***@cache:6380/1 refused"]),
    ("rediss://:pw%40enc@cache:6380", ["pw%40enc"], ["cache:6380"]),
    ('{"error": "database postgresql://u:se/cr@et@h/db unavailable"}', ["se/cr", "cr@et"], ['unavailable"}']),
    ("https://hooks.slack.com/services/T0/B0/xyz", ["T0/B0/xyz"], ["hooks.slack.com"]),
    ("https://discord.com/api/webhooks/123/t0ken", ["t0ken"], ["discord.com"]),
    ("https://api.example.test/items?api_key=k3y&page=2", ["k3y"], ["page=2", "/items"]),
    ("http://10.0.0.5:8080/status@1 ok", [], ["http://10.0.0.5:8080/status@1 ok"]),
])
def test_redact(text, secrets, kept):
    out = redact(text)
    for secret in secrets:
        assert secret not in out
    for part in kept:
        assert part in out


def test_a_password_with_at_or_slash_is_encoded_for_the_clients():
    assert quote_url_password("postgresql://iw:p@ss/w0rd@db/x?a=b@c") == "postgresql://iw:p%40ss%2Fw0rd@db/x?a=b@c"
    assert quote_url_password("redis://:p%40ss@h:6379/0") == "redis://:p%40ss@h:6379/0"
    assert quote_url_password("sqlite:////var/lib/iw.sqlite") == "sqlite:////var/lib/iw.sqlite"
