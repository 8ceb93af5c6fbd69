"""The console's web application (Flask, server-rendered Jinja2 pages, no JavaScript).

    >>> from jobs.settings import Settings
    >>> app = create_app(Settings(db_url="sqlite://"), ConsoleConfig(), None)   # serve(app, host, port) serves it
    >>> response = app.test_client().get("/hour/20260504T16")
    >>> response.status_code, response.headers["Location"]            # not logged in: to the login page
    (302, '/login?next=/hour/20260504T16')

Pages: ``/hour/<label>`` (an hour: health, channels, issues; ``?channel=`` for one channel),
``/hour/<label>/issue/<id>`` (an issue: why, chart, bundle, history, the edit forms and the
rules about it), ``/channel/<name>`` (a channel's last 48 hours), ``/overrides`` (the file as it
is, each rule with its "remove" button),
``/audit`` (every saved edit). Edits are POSTed to ``/edit/preview`` (shows the hour as it
would be) and then ``/edit/save``. Every POST carries a CSRF token (Flask-WTF); every page is
autoescaped and served with a Content-Security-Policy that allows no script at all.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pandas as pd
from flask import (Flask, Response, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from werkzeug.local import LocalProxy

from jobs.console.access import ConsoleConfig, ConsoleConfigError, LoginThrottle, User
from jobs.console.desk import Desk, parse_label
from jobs.console.edits import (EditConflict, EditDesk, OverrideFile, RecomputeUnavailable, Who, audit_log,
                                removable_rules, rule_toml, write_audit)
from jobs.publish.display import local_time, number, plain_title, plural, safe_url, display_text
from jobs.publish.report import CHART_HOURS
from jobs.store.issue_store import IssueStore, StoreError
from titling.override_writer import ACTIONS, REMOVALS, OverrideEdit
from titling.overrides import OverrideError

HERE = Path(__file__).parent
CSS = Path(__file__).parents[1] / "publish" / "templates" / "issuewire.css"
MAX_FIELD = 1000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def create_app(settings, config: ConsoleConfig, overrides_path: str | None, store: IssueStore | None = None,
               clock=lambda: pd.Timestamp.now(tz="UTC")) -> Flask:
    """The console for ``settings``' database, ``config``'s users and the override file at ``overrides_path``
    (default: the file the newest run used); ``clock`` is injectable for tests."""
    from flask_wtf.csrf import CSRFError, CSRFProtect

    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=None)
    app.config.update(SECRET_KEY=config.secret_key, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_SECURE=config.secure_cookies, SESSION_COOKIE_NAME="issuewire_console",
                      MAX_CONTENT_LENGTH=64 * 1024, WTF_CSRF_TIME_LIMIT=8 * 3600, WTF_CSRF_SSL_STRICT=False)
    app.jinja_loader.searchpath.append(str(CSS.parent))
    app.jinja_env.filters.update(text=display_text, plain_title=plain_title, url=safe_url, number=number,
                                 plural=plural, local_time=local_time)
    CSRFProtect(app)
    app.extensions[EXTENSION] = console_state(settings, config, overrides_path, store, clock)
    app.context_processor(_globals)
    app.before_request(_who)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(StoreError, _store_error)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view_func=view, methods=methods)
    return app


@dataclass(frozen=True)
class ConsoleState:
    """What every page of one console reads: settings, access, the run database and the override file."""

    settings: Any
    config: ConsoleConfig
    store: IssueStore
    desk: Desk
    editor: EditDesk | None             # None: no editable (TOML) override file, the console is read-only
    path: str | None
    not_editable: str
    throttle: LoginThrottle
    clock: Callable[[], pd.Timestamp]

    @property
    def tz(self) -> str:
        return self.settings.timezone


def console_state(settings, config: ConsoleConfig, overrides_path: str | None, store: IssueStore | None,
                  clock: Callable[[], pd.Timestamp]) -> ConsoleState:
    """Open the database and find the override file (refusing a non-TOML ``--overrides``)."""
    check_overrides_path(overrides_path)
    store = store or IssueStore(settings.db_url)
    desk = Desk(store, settings)
    path = overrides_path or _recorded_overrides(desk) or settings.overrides
    not_editable = "No override file: start the console with --overrides FILE.toml."
    if path and not str(path).endswith(".toml"):
        not_editable = (f"{path} (the override file the newest run used) is not a TOML file: the console edits "
                        f"TOML override files only; start it with --overrides FILE.toml.")
    editor = EditDesk(settings, store, OverrideFile(path), clock) if path and str(path).endswith(".toml") else None
    return ConsoleState(settings, config, store, desk, editor, path, not_editable,
                        LoginThrottle(config.login_attempts, 60.0 * config.login_window_minutes), clock)


EXTENSION = "issuewire_console"
console: ConsoleState = LocalProxy(lambda: current_app.extensions[EXTENSION])  # type: ignore[assignment]
"""The state of the application handling the current request (as ``flask.current_app`` is the app)."""


def _globals():
    return {"user": g.get("user"), "timezone": console.tz, "chart_hours": CHART_HOURS,
            "overrides_path": console.path if console.editor else None, "not_editable": console.not_editable, "auth": console.config.auth,
            "now": console.clock()}


def _who():
    g.user = None
    if console.config.auth == "proxy":
        g.user = console.config.proxy_user(request.headers.get(console.config.proxy_header), request.remote_addr)
    elif session.get("user") in console.config.users:
        g.user = User(session["user"], console.config.users[session["user"]][1])
    if g.user is None and request.endpoint not in ("login", "stylesheet"):
        if console.config.auth == "proxy":
            abort(403)
        return redirect(url_for("login", next=request.path if request.method == "GET" else None))


def _headers(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def _csrf(exc):
    return render_template("error.html", message=f"The form expired or was not sent by this console "
                                                 f"({exc.description}). Reload the page and try again."), 400


def _store_error(exc):
    return render_template("error.html", message=str(exc)), 503


def editors_only(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None or not g.user.can_edit:
            return render_template("error.html", message="Your account may read but not change the "
                                                         "override file (role: viewer)."), 403
        if console.editor is None:
            return render_template("error.html", message=console.not_editable), 409
        return view(*args, **kwargs)
    return wrapped


def hour_or_404(label: str) -> pd.Timestamp:
    try:
        return parse_label(label, console.tz)
    except ValueError:
        abort(404)


def stylesheet():
    return Response(CSS.read_text(encoding="utf-8"), mimetype="text/css")


def login():
    if console.config.auth == "proxy":
        abort(404)
    error = None
    if request.method == "POST":
        name, address, now = request.form.get("name", "")[:200], request.remote_addr, console.clock().timestamp()
        wait = console.throttle.retry_after(address, name, now)
        if wait is not None:                # refused before the password is even checked
            minutes = max(1, round(wait / 60))
            page = render_template("login.html", no_users=not console.config.users,
                                   error=f"Too many failed logins from this address or for this user: "
                                         f"try again in {plural(minutes, 'minute')}.")
            return page, 429, {"Retry-After": str(wait)}
        user = console.config.authenticate(name, request.form.get("password", "")[:MAX_FIELD])
        if user is not None:
            console.throttle.succeeded(name)
            session.clear()
            session["user"] = user.name
            target = request.args.get("next") or ""
            local = target.startswith("/") and not target.startswith(("//", "/\\"))
            return redirect(target if local else url_for("index"))
        if console.throttle.failed(address, name, now):
            write_audit(console.store, Who(name, address), "login-locked",
                        f"{console.config.login_attempts} failed logins from this address or for user {name!r} "
                        f"within {console.config.login_window_minutes} minutes",
                        f"logins refused (429) for up to {console.config.login_window_minutes} minutes")
        error = "Unknown user or wrong password."
    return render_template("login.html", error=error, no_users=not console.config.users), 401 if error else 200


def logout():
    session.clear()
    return redirect(url_for("login"))


def index():
    hours = console.desk.recent_hours(1)
    if not hours:
        return render_template("error.html", message="No hour has run on this database yet."), 404
    return redirect(url_for("hour_page", label=hours[0].label))


def hour_page(label):
    hour = hour_or_404(label)
    view = console.desk.hour_view(hour)
    if view is None:
        abort(404)
    channel = request.args.get("channel", "")
    channels = view.document.get("channels", {})
    if channel and channel not in channels:
        abort(404)
    return render_template("hour.html", view=view, channel=channel, hours=console.desk.recent_hours(CHART_HOURS, until=None),
                           busy=[(c, channels[c]) for c in view.channels if channels.get(c)],
                           quiet=[c for c in view.channels if c in channels and not channels[c]])


def issue_page(label, issue_id):
    hour = hour_or_404(label)
    view = console.desk.hour_view(hour)
    if view is None:
        abort(404)
    card = next((c for c in view.cards if c["card"].issue_id == issue_id), None)
    if card is None:
        abort(404)
    others = [c["card"] for c in view.cards if c["card"].issue_id != issue_id]
    chart = console.desk.issue_chart(card["card"].keyword, card["card"].channel, hour)
    history = console.desk.issue_history(issue_id, card["card"].keyword, hour)
    firings = [f for f in view.firings if f["subject"] in {card["card"].keyword, plain_title(card["item"]["title"])}
               | set(card["item"].get("facets") or [])]
    subjects = {card["card"].keyword, plain_title(card["item"]["title"])}
    rules = [r for r in removable_rules(console.editor.file.read()[0])
             if r["subject"] in subjects or set(r.get("members", ())) & subjects] if console.editor else []
    return render_template("issue.html", view=view, c=card, chart=chart, history=history, others=others,
                           firings=firings, default_expiry=_default_expiry(console.clock(), console.tz), rules=rules)


def channel_page(name):
    hours = console.desk.recent_hours(1)
    if not hours:
        abort(404)
    until = hour_or_404(request.args["until"]) if request.args.get("until") else hours[0].hour
    return render_template("channel.html", channel=name, rows=console.desk.channel_history(name, until),
                           label=console.desk.label(until))


def overrides_page():
    text, sha = console.editor.file.read() if console.editor else ("", "")
    error = None
    try:
        if console.editor:
            from titling.overrides import parse_overrides

            parse_overrides(text, str(console.editor.file.path))
    except OverrideError as exc:
        error = str(exc)
    latest = console.desk.recent_hours(1)
    return render_template("overrides.html", text=text, sha=sha, error=error,
                           rules=[] if error else removable_rules(text), latest=latest[0] if latest else None)


def audit_page():
    return render_template("audit.html", rows=audit_log(console.store))

@editors_only

def preview():
    hour = hour_or_404(request.form.get("hour", ""))
    try:
        edit = edit_from_form(request.form, console.tz, note=_note(g.user, console.clock(), console.tz))
        view = console.desk.hour_view(hour)
        if view is None:
            abort(404)
        result = console.editor.preview(edit, hour, view.document)
    except (OverrideError, ValueError, RecomputeUnavailable) as exc:
        return render_template("error.html", message=str(exc), back=request.referrer), 422
    latest = console.desk.recent_hours(1)
    return render_template("preview.html", p=result, view=view, removal=edit.action in REMOVALS, rule=rule_toml(console.editor.file.read()[0], result.new_text),
                           can_rerun=bool(latest) and latest[0].hour == hour, form=request.form)

@editors_only

def save():
    hour = hour_or_404(request.form.get("hour", ""))
    who = Who(g.user.name, _address(request, console.config))
    try:
        edit = edit_from_form(request.form, console.tz, note=_note(g.user, console.clock(), console.tz))
        rerun = request.form.get("rerun") == "1"          # EditDesk.rerun re-runs the newest hour only
        result = console.editor.save(edit, request.form.get("base_sha", ""), who, hour, rerun=rerun)
    except (EditConflict, OverrideError, ValueError) as exc:
        console.editor.audit(who, "refused", hour, request.form.get("action", "")[:32] + " "
                     + request.form.get("subject", "")[:200], None, request.form.get("base_sha", "")[:64] or None,
                     None, str(exc)[:1000])
        return render_template("error.html", message=str(exc)), 409 if isinstance(exc, EditConflict) else 422
    flash(f"Saved to {console.editor.file.path}: {edit.describe()} — {result['outcome']}.")
    return redirect(url_for("hour_page", label=console.desk.label(hour)))


ROUTES = (  # rule, view (its name is the endpoint), methods
    ("/console.css", stylesheet, ("GET",)),
    ("/login", login, ("GET", "POST")),
    ("/logout", logout, ("POST",)),
    ("/", index, ("GET",)),
    ("/hour/<label>", hour_page, ("GET",)),
    ("/hour/<label>/issue/<issue_id>", issue_page, ("GET",)),
    ("/channel/<name>", channel_page, ("GET",)),
    ("/overrides", overrides_page, ("GET",)),
    ("/audit", audit_page, ("GET",)),
    ("/edit/preview", preview, ("POST",)),
    ("/edit/save", save, ("POST",)),
)


def check_overrides_path(path: str | None) -> None:
    """Refuse an override file the console cannot edit (it edits TOML only), before anything starts.

    >>> check_overrides_path("overrides.txt")
    Traceback (most recent call last):
    ...
    jobs.console.access.ConsoleConfigError: overrides.txt: --overrides must be a TOML override file (*.toml): the console edits TOML only; convert the file first (docs/contracts.md)
    """
    if path and not str(path).endswith(".toml"):
        raise ConsoleConfigError(f"{path}: --overrides must be a TOML override file (*.toml): the console edits "
                                 f"TOML only; convert the file first (docs/contracts.md)")


def _address(req, config: ConsoleConfig) -> str:
    """The client's address; behind a trusted proxy, also the address it forwarded."""
    address = req.remote_addr or "?"
    forwarded = req.headers.get("X-Forwarded-For")
    if forwarded and config.auth == "proxy":
        return f"{forwarded.split(',')[0].strip()[:60]} via {address}"
    return address


def _note(user: User, now: pd.Timestamp, tz: str) -> str:
    return f"console: {user.name}, {local_time(now, tz)}"


def _default_expiry(now: pd.Timestamp, tz: str) -> str:
    return (pd.Timestamp(now).tz_convert(tz) + pd.Timedelta(days=7)).floor("h").strftime("%Y-%m-%dT%H:%M")


def _recorded_overrides(desk: Desk) -> str | None:
    """The override file the newest run used (when the console is started without --overrides)."""
    import json

    hours = desk.recent_hours(1)
    if not hours:
        return None
    run = desk.store.run_record(hours[0].hour) or {}
    try:
        return (json.loads(run.get("inputs") or "{}").get("settings") or {}).get("overrides")
    except ValueError:
        return None


def edit_from_form(form, tz: str, note: str | None = None) -> OverrideEdit:
    """An :class:`OverrideEdit` from the posted fields (``action``, ``subject``, ``title``,
    ``channel``, ``keywords``, ``expires`` as local ``YYYY-MM-DDTHH:MM``); ValueError if unusable."""
    action = form.get("action", "")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    fields = {k: (form.get(k) or "").strip() for k in ("subject", "title", "channel", "expires")}
    if any(len(v) > MAX_FIELD for v in fields.values()):
        raise ValueError(f"a field is longer than {MAX_FIELD} characters")
    expires = None
    if fields["expires"]:
        try:
            ts = pd.Timestamp(fields["expires"])
        except ValueError:
            raise ValueError(f"expiry {fields['expires']!r} is not a date and time") from None
        ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
        expires = datetime.fromisoformat(ts.floor("s").isoformat())
    keywords = tuple(k.strip() for k in form.getlist("keywords") if k.strip())[:50]
    if action == "rewrite" and not fields["title"]:
        raise ValueError("a rewrite needs the new title")
    if action == "merge" and not keywords:
        raise ValueError("choose at least one issue to merge into this one")
    if action == "pin" and (not fields["channel"] or expires is None):
        raise ValueError("a pin needs a channel and an expiry")
    if action == "unpin" and not fields["channel"]:
        raise ValueError("an unpin needs the pin's channel")
    if not fields["subject"]:
        raise ValueError("the rule's keyword or title is missing")
    return OverrideEdit(action, fields["subject"], title=fields["title"] or None, channel=fields["channel"] or None,
                        keywords=keywords, expires=expires, note=note)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8321, threads: int = 4) -> None:
    """Serve with waitress (a production WSGI server in pure Python) until interrupted."""
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=threads, ident="issuewire-console")
