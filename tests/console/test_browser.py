"""The console and the report in a real browser (Debian's Chromium driven by Playwright): an editor
logs in, rewrites a title, sees the preview, saves; the override file, the audit log and the next
run's feed show it. Hostile posts and titles stay text everywhere."""
from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pandas as pd

from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore
from tests.console.conftest import OVERRIDES, dom_problems, login
from tests.jobs.helpers import START

LAST = START + pd.Timedelta(hours=9)
SHOTS = os.environ.get("IWTEST_SCREENSHOTS")     # a folder: save the main pages as PNG to look at


def _shot(page, name: str, scroll_to: str | None = None) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        if scroll_to:
            page.locator(scroll_to).first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=scroll_to is None)
EVENT = START + pd.Timedelta(hours=8)


def _feed(folder, label):
    return json.loads((folder / "feeds" / f"feed-{label}.json").read_text(encoding="utf-8"))


def test_editor_rewrites_a_title_previews_saves_and_the_next_run_publishes_it(site, console, page):
    login(page, console.url)
    assert page.url.endswith("/hour/20260504T09")
    assert "Issues of 2026-05-04 09:00 (+09:00)" in page.inner_text("h1")
    _shot(page, "hour")
    health = page.inner_text("#health")
    assert "rows read" in health and "rejected" in health and "warming up" in health

    page.click("article.issue h3 a >> nth=0")                      # the first issue of the hour
    keyword = page.get_attribute("#rewrite-form input[name=subject]", "value")
    old_title = page.inner_text("h1")
    assert page.locator("figure.chart svg rect.current").count() == 1      # this hour's bar
    assert page.locator("figure.chart svg path.baseline").count() == 1     # the expectation
    assert page.locator("figure.chart svg text.tick").count() >= 6         # a time axis

    _shot(page, "issue")
    new_title = '어린이날 <b>선물</b> 추천 & "할인"'
    page.fill("#rewrite-form input[name=title]", new_title)
    page.click("#rewrite-form button")
    assert page.url.endswith("/edit/preview")
    _shot(page, "preview")
    home = page.locator("#diff-home")
    assert new_title in home.inner_text()                       # shown as text, as it will be published
    assert "Nothing is saved or published yet" in page.inner_text("main")
    assert (site["folder"] / "overrides.toml").read_text(encoding="utf-8") == OVERRIDES   # untouched so far
    before_feed = _feed(site["folder"], "20260504T09")

    page.click("#save-form button[type=submit]")
    assert page.url.endswith("/hour/20260504T09")
    assert "Saved to" in page.inner_text(".flash")
    assert _feed(site["folder"], "20260504T09") == before_feed     # saved, not published: next run applies it

    text = (site["folder"] / "overrides.toml").read_text(encoding="utf-8")
    assert text.startswith(OVERRIDES.rstrip("\n"))                 # the editors' comments and rules kept
    assert "[[rewrite]]" in text and f'from = "{keyword}"' in text and 'note = "console: kim' in text

    page.goto(console.url + "/audit")
    _shot(page, "audit")
    row = page.locator("#audit tr").nth(1).inner_text()
    assert "kim" in row and "127.0.0.1" in row and f"rewrite '{keyword}'" in row and "applies from the next run" in row
    with sqlite3.connect(site["folder"] / "db.sqlite") as conn:
        user, address, action, summary = conn.execute(
            "select user, address, action, summary from console_audit").fetchone()
    assert (user, address, action) == ("kim", "127.0.0.1", "save") and old_title.split()[0] in old_title

    run_hour(RunContext(site["settings"]), LAST, [site["inputs"]["posts"]], [site["inputs"]["queries"]])
    after = _feed(site["folder"], "20260504T09")
    item = next(i for i in after["channels"]["home"] if i["keyword"] == keyword)
    assert item["title"] == '어린이날 &lt;b&gt;선물&lt;/b&gt; 추천 &amp; &quot;할인&quot;'
    assert item["title_source"] == "override"
    page.goto(console.url + "/hour/20260504T09")
    assert new_title in page.inner_text("article.issue >> nth=0")
    assert not dom_problems(page) and not page.dialogs
    page.click("article.issue h3 a >> nth=0")                      # the issue lists the rule, removable
    assert f"rewrite '{keyword}'" in page.inner_text("#rules")
    assert page.locator("#rules button:has-text('Remove the rewrite')").count() == 1


def test_block_with_rerun_publishes_the_hour_now(site, console, page):
    login(page, console.url)
    page.click("article.issue h3 a >> nth=1")
    keyword = page.get_attribute("#block-keyword-form input[name=subject]", "value")
    page.click("#block-keyword-form button")
    assert keyword in page.inner_text("#diff-home")
    assert "gone" in (page.get_attribute("#diff-home td.gone", "class") or "")
    page.check("#save-form input[name=rerun]")
    page.click("#save-form button[type=submit]")
    assert "re-ran the hour" in page.inner_text(".flash")
    feed = _feed(site["folder"], "20260504T09")
    assert keyword not in [i["keyword"] for i in feed["channels"]["home"]]
    rows = IssueStore(site["settings"].db_url).table("console_audit")
    assert rows["outcome"].iloc[-1].startswith("saved; re-ran the hour")


def test_viewer_reads_but_cannot_edit(site, console, page):
    login(page, console.url, "lee")
    page.click("article.issue h3 a >> nth=0")
    assert page.locator("#rewrite-form").count() == 0
    assert "reads only" in page.inner_text("main")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.content()).group(1)
    response = page.request.post(console.url + "/edit/preview", form={
        "csrf_token": token, "hour": "20260504T09", "action": "block-keyword", "subject": "물가"})
    assert response.status == 403


def test_hostile_posts_and_titles_stay_text_in_the_console(site, console, page):
    login(page, console.url)
    page.goto(console.url + "/hour/20260504T08")
    _shot(page, "hostile-hour", "ol.posts li:has-text('alert')")
    body = page.inner_text("main")
    assert 'alert("t1")' in body or "javascript:alert('t4')" in body   # the hostile titles are shown, as text
    assert "\u202e" not in body and "\u200b" not in body and "\u2066" not in body
    assert not dom_problems(page) and not page.dialogs
    for k in range(page.locator("article.issue h3 a").count()):
        page.goto(console.url + "/hour/20260504T08")
        page.click(f"article.issue h3 a >> nth={k}")
        assert not dom_problems(page), page.url
    # a hostile title typed by an editor stays text in the preview and the audit log
    page.fill("#rewrite-form input[name=title]", '<img src=x onerror=alert("e1")><script>alert("e2")</script>')
    page.click("#rewrite-form button")
    assert '<script>alert("e2")</script>' in page.inner_text("main")
    assert not dom_problems(page) and not page.dialogs


def test_report_built_from_hostile_posts_has_no_script_handler_or_foreign_link(site, page):
    report = site["folder"] / "feeds" / "report-20260504T08.html"
    page.goto(report.as_uri())
    _shot(page, "hostile-report", "ol.posts li:has-text('alert')")
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert links and all(h.startswith(("#", "http://", "https://")) for h in links)
    assert not dom_problems(page) and not page.dialogs
    text = page.inner_text("body")
    assert 'alert("t1")' in text or "javascript:alert('t4')" in text   # shown as text
    assert "\u202e" not in text and "\u200b" not in text
    # a real click on what was a javascript: URL runs nothing: it is not a link at all
    hostile = page.locator("ol.posts li", has_text="writer'").first
    hostile.click()
    assert not page.dialogs and page.url == report.as_uri()


def test_the_dom_check_finds_what_it_looks_for(page):
    page.set_content('<a href="javascript:alert(1)">a</a><img src=x onerror="1"><script>var x</script>'
                     '<a href="https://example.org/">ok</a><a href="#top">top</a>')
    problems = dom_problems(page)
    assert any(p.startswith("script") for p in problems) and any(p.startswith("handler") for p in problems)
    assert any(p.startswith("link: javascript") for p in problems) and len(problems) == 3


def test_after_five_wrong_passwords_the_login_page_says_wait(console, page):
    for _ in range(5):
        page.goto(console.url + "/login")
        page.fill("input[name=name]", "kim")
        page.fill("input[name=password]", "not-it")
        page.click("form button[type=submit]")
        assert "Unknown user or wrong password." in page.inner_text("main")
    with page.expect_response(lambda r: r.url.startswith(console.url + "/login") and r.request.method == "POST") as rsp:
        login(page, console.url)                                    # now the right password
    assert rsp.value.status == 429 and "/login" in page.url
    assert "Too many failed logins from this address or for this user: try again in 10 minutes." in page.inner_text("main")
    assert page.locator("nav.top a").count() == 0                 # not logged in


def test_editor_unblocks_a_keyword_from_the_override_file_page(site, console, page):
    login(page, console.url)
    page.goto(console.url + "/overrides")
    assert "block keyword '광고'" in page.inner_text("#rules")
    _shot(page, "overrides")
    page.click("#rules form.remove button:has-text('Unblock')")
    assert page.url.endswith("/edit/preview")
    main = page.inner_text("main")
    assert "Preview: unblock keyword '광고'" in main and "loses" in main and '- keyword = "광고"' in main
    assert (site["folder"] / "overrides.toml").read_text(encoding="utf-8") == OVERRIDES    # not yet
    page.click("#save-form button[type=submit]")
    assert "Saved to" in page.inner_text(".flash") and "unblock keyword '광고'" in page.inner_text(".flash")
    text = (site["folder"] / "overrides.toml").read_text(encoding="utf-8")
    assert text == OVERRIDES.splitlines()[0] + "\n"            # the rule gone, the editors' comment kept
    page.goto(console.url + "/audit")
    assert "unblock keyword '광고'" in page.locator("#audit tr").nth(1).inner_text()
    page.goto(console.url + "/overrides")
    assert page.locator("#rules").count() == 0 and "Valid" in page.inner_text("main")
    assert not dom_problems(page) and not page.dialogs
