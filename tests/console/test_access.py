"""Who gets in, over real HTTP: password login, CSRF on every form, the proxy header only from a
trusted proxy, read-only users, and the headers that forbid scripts and framing."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from jobs.console.access import ConsoleConfigError, hash_password, parse_console_config
from jobs.console.app import create_app
from tests.console.conftest import PASSWORDS, ServedConsole, users_config
from tests.ops.conftest import run_cli


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(base: str, user: str, password: str) -> requests.Session:
    s = requests.Session()
    token = _token(s.get(base + "/login", timeout=30).text)
    s.post(base + "/login", data={"csrf_token": token, "name": user, "password": password}, timeout=30)
    return s


def test_pages_need_a_login_and_a_wrong_password_gets_nothing(console):
    r = requests.get(console.url + "/hour/20260504T09", allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    s = _login(console.url, "kim", "not-the-password")
    assert s.get(console.url + "/audit", allow_redirects=False, timeout=30).status_code == 302
    s = _login(console.url, "kim", PASSWORDS["kim"])
    page = s.get(console.url + "/hour/20260504T09", timeout=30)
    assert page.status_code == 200 and "Issues of 2026-05-04 09:00 (+09:00)" in page.text
    cookie = next(c for c in s.cookies if c.name == "issuewire_console")
    assert cookie.has_nonstandard_attr("HttpOnly")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_every_form_needs_its_csrf_token(console):
    s = _login(console.url, "kim", PASSWORDS["kim"])
    form = {"hour": "20260504T09", "action": "block-keyword", "subject": "물가"}
    for path in ("/edit/preview", "/edit/save", "/logout"):
        r = s.post(console.url + path, data=form, timeout=30)
        assert r.status_code == 400 and "form expired or was not sent by this console" in r.text
    r = requests.post(console.url + "/login", data={"name": "kim", "password": PASSWORDS["kim"]}, timeout=30)
    assert r.status_code == 400


def test_a_viewer_cannot_save(console, site):
    s = _login(console.url, "lee", PASSWORDS["lee"])
    token = _token(s.get(console.url + "/overrides", timeout=30).text)
    r = s.post(console.url + "/edit/save", data={"csrf_token": token, "hour": "20260504T09", "action": "block-keyword",
                                                 "subject": "물가", "base_sha": "x"}, timeout=30)
    assert r.status_code == 403
    assert "물가" not in (site["folder"] / "overrides.toml").read_text(encoding="utf-8")


def test_a_bad_rule_is_refused_with_the_file_and_line(console, site):
    s = _login(console.url, "kim", PASSWORDS["kim"])
    token = _token(s.get(console.url + "/overrides", timeout=30).text)
    r = s.post(console.url + "/edit/preview", data={
        "csrf_token": token, "hour": "20260504T09", "action": "pin", "subject": "광고", "channel": "home",
        "expires": "2026-06-01T00:00"}, timeout=30)
    assert r.status_code == 422 and "is pinned but blocked on line 2" in r.text and "overrides.toml:" in r.text


def test_proxy_header_is_believed_only_from_a_trusted_proxy(site):
    config = users_config(auth="proxy", proxy_header="X-Portal-User", trusted_proxies=("127.0.0.1",))
    with ServedConsole(create_app(site["settings"], config, str(site["folder"] / "overrides.toml"))) as served:
        r = requests.get(served.url + "/hour/20260504T09", headers={"X-Portal-User": "kim"}, timeout=30)
        assert r.status_code == 200 and "kim · editor" in r.text
        r = requests.get(served.url + "/hour/20260504T09", headers={"X-Portal-User": "park"}, timeout=30)
        assert "park · viewer" in r.text                                # not listed: the default role
        assert requests.get(served.url + "/hour/20260504T09", timeout=30).status_code == 403
    config = users_config(auth="proxy", trusted_proxies=("10.9.9.9",))
    with ServedConsole(create_app(site["settings"], config, str(site["folder"] / "overrides.toml"))) as served:
        r = requests.get(served.url + "/hour/20260504T09", headers={"X-Portal-User": "kim"}, timeout=30)
        assert r.status_code == 403                                     # the header from an untrusted address


def test_users_file_errors_name_the_file():
    with pytest.raises(ConsoleConfigError, match="console.toml: \\[users.kim\\] password_hash is not a hash"):
        parse_console_config('[users.kim]\npassword_hash = "hunter2"\n', "console.toml")
    with pytest.raises(ConsoleConfigError, match="role must be one of editor, viewer"):
        parse_console_config(f'[users.kim]\npassword_hash = "{hash_password("x")}"\nrole = "admin"\n', "console.toml")
    with pytest.raises(ConsoleConfigError, match="unknown key"):
        parse_console_config('passwords = 1\n', "console.toml")


def test_cli_hashes_a_password_and_reports_a_bad_users_file_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "console", "--hash-password"], input="s3cret\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("scrypt:")
    assert parse_console_config(f'[users.a]\npassword_hash = "{proc.stdout.strip()}"\n').authenticate("a", "s3cret")
    bad = tmp_path / "users.toml"
    bad.write_text('[users.kim]\npassword_hash = "plain"\n', encoding="utf-8")
    result = run_cli(["console", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--users", str(bad)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "users.toml" in result.stderr


def test_a_save_from_a_stale_preview_is_refused_and_audited(console, site):
    from jobs.store.issue_store import IssueStore

    s = _login(console.url, "kim", PASSWORDS["kim"])
    token = _token(s.get(console.url + "/overrides", timeout=30).text)
    r = s.post(console.url + "/edit/save", data={"csrf_token": token, "hour": "20260504T09", "action": "block-keyword",
                                                 "subject": "물가", "base_sha": "0" * 64}, timeout=30)
    assert r.status_code == 409 and "preview the change again" in r.text
    row = IssueStore(site["settings"].db_url).table("console_audit").iloc[-1]
    assert (row["user"], row["action"], row["summary"], row["address"]) == ("kim", "refused", "block-keyword 물가",
                                                                            "127.0.0.1")


def test_login_never_redirects_off_the_console(console):
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        s = requests.Session()
        token = _token(s.get(console.url + "/login", timeout=30).text)
        r = s.post(console.url + "/login", params={"next": target}, allow_redirects=False, timeout=30,
                   data={"csrf_token": token, "name": "kim", "password": PASSWORDS["kim"]})
        assert r.status_code == 302 and r.headers["Location"] == "/"


def test_an_override_file_that_is_not_toml_is_refused_at_start_in_one_line(tmp_path):
    legacy = tmp_path / "overrides.txt"
    legacy.write_text("block 광고\n", encoding="utf-8")
    result = run_cli(["console", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--overrides", str(legacy)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "overrides.txt" in result.stderr and "*.toml" in result.stderr
    assert legacy.read_text(encoding="utf-8") == "block 광고\n"


def test_a_plain_text_file_inherited_from_the_settings_leaves_the_console_read_only(tmp_path):
    from jobs.settings import Settings

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", overrides=str(tmp_path / "o.txt")),
                     users_config(), None)
    client = app.test_client()
    client.post("/login", data={"name": "kim", "password": PASSWORDS["kim"],
                                "csrf_token": _token(client.get("/login").text)})
    page = client.get("/overrides").text
    assert "o.txt (the override file the newest run used) is not a TOML file" in page
    r = client.post("/edit/preview", data={"csrf_token": _token(page), "hour": "20260504T09",
                                           "action": "block-keyword", "subject": "물가"})
    assert r.status_code == 409 and "TOML override files only" in r.text
    assert not (tmp_path / "o.txt").exists()


def _client_as(app, user: str):
    client = app.test_client()
    r = client.post("/login", data={"name": user, "password": PASSWORDS[user],
                                    "csrf_token": _token(client.get("/login").text)})
    assert r.status_code == 302
    return client


def test_a_viewer_reaches_no_edit_endpoint_and_sees_no_edit_form(site):
    app = create_app(site["settings"], users_config(), str(site["folder"] / "overrides.toml"))
    edit_endpoints = sorted(r.rule for r in app.url_map.iter_rules()
                            if "POST" in r.methods and r.endpoint not in ("login", "logout"))
    assert {"/edit/preview", "/edit/save"} <= set(edit_endpoints)
    before = (site["folder"] / "overrides.toml").read_text(encoding="utf-8")
    viewer, editor = _client_as(app, "lee"), _client_as(app, "kim")
    issue = re.search(r'href="(/hour/20260504T09/issue/[^"]+)"', viewer.get("/hour/20260504T09").text).group(1)
    for path in (issue, "/overrides", "/hour/20260504T09", "/audit"):
        page = viewer.get(path).text
        assert 'action="/edit/' not in page, path                   # no edit form on any page
    assert 'action="/edit/' in editor.get(issue).text               # the editor has them (the check can fail)
    token = _token(viewer.get("/overrides").text)
    forms = [{"action": "block-keyword", "subject": "물가"}, {"action": "unblock-keyword", "subject": "광고"},
             {"action": "rewrite", "subject": "물가", "title": "x"}]
    for path in edit_endpoints:
        for form in forms:
            r = viewer.post(path, data={"csrf_token": token, "hour": "20260504T09", "base_sha": "x", **form})
            assert r.status_code == 403, (path, form, r.status_code)
    assert (site["folder"] / "overrides.toml").read_text(encoding="utf-8") == before
    # behind the proxy, a user not listed gets the default role: a viewer, refused the same way
    proxy = create_app(site["settings"], users_config(auth="proxy"), str(site["folder"] / "overrides.toml"))
    proxy.config["WTF_CSRF_ENABLED"] = False        # proxy pages give a viewer no form, so no token: test the role
    client = proxy.test_client()
    for path in edit_endpoints:
        r = client.post(path, headers={"X-Portal-User": "park"}, environ_base={"REMOTE_ADDR": "127.0.0.1"},
                        data={"hour": "20260504T09", "action": "block-keyword", "subject": "물가", "base_sha": "x"})
        assert r.status_code == 403 and "role: viewer" in r.text, path
    assert (site["folder"] / "overrides.toml").read_text(encoding="utf-8") == before


def test_rerun_on_request_reruns_only_the_newest_stored_hour(site):
    import json

    from jobs.store.issue_store import IssueStore

    app = create_app(site["settings"], users_config(), str(site["folder"] / "overrides.toml"))
    editor = _client_as(app, "kim")
    store = IssueStore(site["settings"].db_url)
    feeds = site["folder"] / "feeds"

    def runs():
        return store.table("runs")[["hour", "started_at", "finished_at", "feed_version"]].astype(str)

    def save(label: str, keyword: str):
        preview = editor.post("/edit/preview", data={"csrf_token": _token(editor.get("/overrides").text),
                                                     "hour": label, "action": "block-keyword", "subject": keyword})
        assert preview.status_code == 200
        sha = re.search(r'name="base_sha" value="([0-9a-f]{64})"', preview.text).group(1)
        form = {"csrf_token": _token(preview.text), "hour": label, "action": "block-keyword", "subject": keyword,
                "base_sha": sha, "rerun": "1"}                   # asked for, whatever the page offered
        return preview.text, editor.post("/edit/save", data=form, follow_redirects=True).text

    before, older = runs(), (feeds / "feed-20260504T08.json").read_text(encoding="utf-8")
    keyword = json.loads(older)["channels"]["home"][0]["keyword"]
    page, done = save("20260504T08", keyword)                   # an older hour
    assert 'name="rerun"' not in page and "only the newest hour can be re-run" in page
    assert "not re-run: only the newest stored hour is re-run" in done
    assert runs().equals(before) and (feeds / "feed-20260504T08.json").read_text(encoding="utf-8") == older
    assert store.table("console_audit")["outcome"].iloc[-1].startswith("saved; not re-run")

    newest = json.loads((feeds / "feed-20260504T09.json").read_text(encoding="utf-8"))
    keyword = next(i["keyword"] for i in newest["channels"]["home"])
    page, done = save("20260504T09", keyword)                   # the newest hour
    assert 'name="rerun"' in page and "re-ran the hour" in done
    after = runs()
    changed = after.loc[(after != before).any(axis=1), "hour"].tolist()
    assert len(changed) == 1 and changed[0].startswith("2026-05-04 00:00")      # 09:00+09:00, and only it
    republished = json.loads((feeds / "feed-20260504T09.json").read_text(encoding="utf-8"))
    assert keyword not in [i["keyword"] for i in republished["channels"]["home"]]
    assert (feeds / "feed-20260504T08.json").read_text(encoding="utf-8") == older


class _Clock:
    """The console's clock, moved by the test (no sleeping)."""

    def __init__(self, start: str = "2026-05-04T01:00Z"):
        import pandas as pd

        self.now = pd.Timestamp(start)

    def __call__(self):
        return self.now

    def advance(self, **kw) -> None:
        import pandas as pd

        self.now += pd.Timedelta(**kw)


def _attempt(client, name: str, password: str, address: str = "10.0.0.9"):
    environ = {"REMOTE_ADDR": address}
    token = _token(client.get("/login", environ_base=environ).text)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password},
                       environ_base=environ)


def test_five_failed_logins_for_a_user_cool_down_with_429_and_an_audit_row(site):
    from jobs.store.issue_store import IssueStore

    clock = _Clock()
    app = create_app(site["settings"], users_config(), str(site["folder"] / "overrides.toml"), clock=clock)
    client = app.test_client()
    for k in range(5):                                   # five wrong passwords for kim, from five addresses
        assert _attempt(client, "kim", "wrong", f"10.0.1.{k}").status_code == 401
        clock.advance(minutes=1)
    r = _attempt(client, "kim", PASSWORDS["kim"], "10.0.2.1")     # the right password, during the cool-down
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 5 * 60      # failures at 0..4 min, now 5
    assert "Too many failed logins" in r.text and "try again in 5 minutes" in r.text
    assert _attempt(client, "lee", PASSWORDS["lee"], "10.0.2.1").status_code == 302   # other users are not held
    rows = IssueStore(site["settings"].db_url).table("console_audit")
    locked = rows.loc[rows["action"] == "login-locked"]
    assert len(locked) == 1 and (locked["user"].iloc[0], locked["address"].iloc[0]) == ("kim", "10.0.1.4")
    assert "5 failed logins" in locked["summary"].iloc[0]
    clock.advance(minutes=5)                              # the first failure is now 10 minutes old
    assert _attempt(client, "kim", PASSWORDS["kim"], "10.0.2.1").status_code == 302


def test_five_failed_logins_from_an_address_hold_every_name_from_it(site):
    clock = _Clock()
    config = users_config(login_attempts=5, login_window_minutes=10)
    client = create_app(site["settings"], config, str(site["folder"] / "overrides.toml"), clock=clock).test_client()
    for name in ("admin", "root", "kim", "lee", "park"):      # guessing names from one address
        assert _attempt(client, name, "guess").status_code == 401
    assert _attempt(client, "lee", PASSWORDS["lee"]).status_code == 429
    assert _attempt(client, "lee", PASSWORDS["lee"], "10.0.0.10").status_code == 302    # another address
    clock.advance(minutes=9, seconds=59)
    assert _attempt(client, "kim", PASSWORDS["kim"]).status_code == 429
    clock.advance(seconds=1)
    assert _attempt(client, "kim", PASSWORDS["kim"]).status_code == 302


def test_the_login_limits_are_read_from_the_users_file_and_checked():
    config = parse_console_config("login_attempts = 3\nlogin_window_minutes = 30\n", "console.toml")
    assert (config.login_attempts, config.login_window_minutes) == (3, 30)
    with pytest.raises(ConsoleConfigError, match="console.toml: login_attempts must be a whole number"):
        parse_console_config("login_attempts = 0\n", "console.toml")
