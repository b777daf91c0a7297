"""No page breaks under the Content-Security-Policy, in a real Chromium.

Every main page is visited as the demo admin; the test collects console
messages, page errors, `securitypolicyviolation` events and every request the
page makes, and asserts there are no errors, no violations and no request to
another origin. The behaviours that were inline handlers (confirm before
delete, copy a feed link, print the timeline, the obligation form's rule
fields) are then used and must still work, and the outbox preview shows an
email with its own inline styles.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_ui_browser import DEADLINE, sign_in
from tracker import create_app
from tracker.db import db

pytestmark = pytest.mark.browser

# Registered before any page script runs, in every document the tab opens.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                           " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watcher:
    """What the tab reported: console errors and warnings, page errors, requests to other origins."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.messages: list[str] = []
        self.foreign: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", lambda m: self.messages.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.messages.append(f"page error: {e}"))
        page.on("request", self._request)
        page.on("response", lambda r: self.messages.append(f"HTTP {r.status} for {r.url}")
                if r.status >= 400 else None)

    def _request(self, request):
        if not (request.url.startswith(self.origin + "/") or request.url.startswith(("data:", "about:"))):
            self.foreign.append(request.url)

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response.ok, f"{path}: HTTP {response.status}"
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), path
        self.page.wait_for_load_state("load")
        self.check(path)

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.__violations || []")
        assert violations == [], f"{where}: {violations}"
        assert self.messages == [], f"{where}: {self.messages}"
        assert self.foreign == [], f"{where} requested another origin: {self.foreign}"


def _first_link(page, list_path: str, pattern: str) -> str:
    page.goto(list_path)
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        if re.fullmatch(pattern, href):
            return href
    raise AssertionError(f"no link like {pattern} on {list_path}")


@pytest.fixture
def watched(page, live_server):
    watcher = Watcher(page, live_server)
    sign_in(page)
    watcher.check("sign-in")
    return watcher


def test_every_main_page_loads_under_the_policy_without_violations(watched, page):
    for path in ["/", "/?scope=all", "/obligations", "/obligations?q=location", "/obligations/new",
                 "/events", "/sources", "/teams", "/timeline?start=2026-01&months=18", "/calendar",
                 "/account", "/account/tokens", "/api/docs", "/users", "/users/new", "/outbox", "/import",
                 "/notifications", "/teams/new", "/sources/new", "/events/new"]:
        watched.visit(path)
    for list_path, pattern in [("/obligations", r"/obligations/\d+"), ("/events", r"/events/\d+"),
                               ("/sources", r"/sources/\d+"), ("/teams", r"/teams/\d+"),
                               ("/users", r"/users/\d+(/edit)?")]:
        detail = _first_link(page, list_path, pattern)
        watched.visit(detail)
        if list_path == "/obligations":
            watched.visit(detail + "/edit")
    # The navigation's menus open (a <details> element, and tracker.js keeps one open at a time).
    page.locator("#menu-settings > summary").click()
    expect(page.locator("#menu-settings .nav-menu-items")).to_be_visible()
    page.locator("#menu-work > summary").click()
    expect(page.locator("#menu-settings .nav-menu-items")).to_be_hidden()
    watched.check("navigation menus")


def test_delete_asks_first_and_only_deletes_when_confirmed(watched, page):
    page.goto("/obligations?q=location")
    page.get_by_role("link", name=DEADLINE).click()
    detail = page.url
    questions: list[str] = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_text("Delete this obligation…").click()  # kept behind a disclosure, apart from Edit
    page.get_by_role("button", name="Delete obligation", exact=True).click()
    expect(page).to_have_url(detail)
    assert questions == ["Delete this obligation? Its history is kept."]
    page.reload()
    page.get_by_text("Delete this obligation…").click()
    expect(page.get_by_role("button", name="Delete obligation", exact=True)).to_be_visible()

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Delete obligation", exact=True).click()
    expect(page.get_by_text(re.compile("deleted", re.I)).first).to_be_visible()
    assert len(questions) == 2
    page.goto("/obligations?q=location")
    expect(page.get_by_role("link", name=DEADLINE)).to_have_count(0)
    watched.check("delete")


def test_copy_buttons_put_the_feed_link_on_the_clipboard(watched, page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    watched.visit("/calendar")
    page.locator("#personal").get_by_role("button", name="Turn feed on").click()
    button = page.locator(".copy-button").first
    expect(button).to_be_visible()
    field_id = button.get_attribute("data-copy")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator(f"#{field_id}").input_value()
    assert "/feeds/" in copied
    watched.check("copy")


def test_print_button_prints_the_timeline(watched, page):
    watched.visit("/timeline?start=2026-01&months=18")
    # Replace the print dialog with a marker (evaluated by the driver, not by the page).
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") == 1
    watched.check("print")


def test_the_rule_fields_follow_the_chosen_rule(watched, page):
    watched.visit("/obligations/new")
    expect(page.get_by_label("Anchor event")).to_be_hidden()
    page.get_by_label("Deadline rule").select_option("relative")
    expect(page.get_by_label("Anchor event")).to_be_visible()
    expect(page.get_by_label("Date", exact=True)).to_be_hidden()
    watched.check("rule fields")


def test_the_outbox_preview_shows_the_email_with_its_own_styles(watched, page, tmp_path):
    """Emails carry inline styles; the sandboxed preview frame inherits the page's policy."""
    # The reminder pass, run on the served database, keeps its messages in the outbox (no SMTP host).
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.db'}", "SECRET_KEY": "x",
                      "TRACKER_SCHEDULER": "off", "TRACKER_SMTP_HOST": None,
                      "TRACKER_BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["send-reminders"])
        assert result.exit_code == 0 and "kept in the outbox" in result.output, result.output
        db.session.remove()
        db.engine.dispose()
    watched.visit("/outbox")
    message = _first_link(page, "/outbox", r"/outbox/\d+")
    watched.visit(message)
    heading = page.frame_locator("iframe").locator("h1")
    expect(heading).to_be_visible()
    # The email's style="font-size: 1.2em" applies (16px body text: 19.2px, not the default 32px).
    assert heading.evaluate("h => getComputedStyle(h).fontSize") == "19.2px"
    watched.check("outbox preview")
