"""The main flows with the keyboard alone, in a real Chromium: sign in, open a page through the
navigation menus, change a status, record an event through its preview, pick source events in the
obligation form, and answer as a vendor. No mouse click anywhere: Tab to a control, then type,
Space or Enter. Addresses are typed as a person types them into the address bar (page.goto).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_ADMIN

pytestmark = pytest.mark.browser
DEADLINE = "Location verification on export-controlled AI chips"
MAX_TABS = 120


def tab_to(page, selector: str, text: str | None = None) -> None:
    """Press Tab until the focused element matches the CSS `selector` (and shows `text`, when given)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("""([s, text]) => { const el = document.activeElement;
                return !!el && el.matches(s) && (text === null || (el.textContent || el.value || '').trim() === text); }""",
                         [selector, text]):
            return
    raise AssertionError(f"{selector} {text or ''} is not reachable with Tab")


def follow(page) -> None:
    """Press Enter on a link or a submit control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_main_flows_work_with_the_keyboard_alone(page, live_server):
    # Sign in.
    page.goto("/login")
    tab_to(page, "#email")
    page.keyboard.type(DEMO_ADMIN[0])
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_ADMIN[1])
    follow(page)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    # A navigation menu: Enter opens it, Tab walks it, Enter follows a link.
    tab_to(page, "#menu-work > summary")
    page.keyboard.press("Enter")
    tab_to(page, "#menu-work a[href='/obligations']")
    follow(page)
    expect(page.get_by_role("heading", name="Obligations", level=1)).to_be_visible()

    # Change a status: from the list to the obligation, then "Mark in progress".
    tab_to(page, "#q")
    page.keyboard.type("location verification on export")
    follow(page)
    tab_to(page, "a", DEADLINE)
    follow(page)
    expect(page.get_by_role("heading", name=DEADLINE)).to_be_visible()
    obligation_url = page.url
    tab_to(page, "button", "Mark in progress")
    follow(page)
    expect(page.get_by_text("In progress").first).to_be_visible()

    # Record an event through its preview: the anchor event's page, its form, Preview, Confirm.
    tab_to(page, "a", "Chip Security Act enacted")
    follow(page)
    tab_to(page, "#status")
    page.keyboard.type("occ")  # a closed <select> takes the option whose label starts with what is typed
    expect(page.locator("#status")).to_have_value("occurred")
    tab_to(page, "#date")
    page.keyboard.type("2026-08-06")
    tab_to(page, "[type=submit]", "Preview the change")
    follow(page)
    expect(page.locator("#preview-table")).to_contain_text("2027-02-02 (firm)")
    tab_to(page, "button", "Confirm and record")
    follow(page)
    expect(page.get_by_text(re.compile(r"Recorded\. \d+ deadlines? moved\."))).to_be_visible()
    page.goto(obligation_url)
    expect(page.locator("#explanation")).to_contain_text("= 2027-02-02, firm")

    # The obligation form: filter the source events and tick one with Space.
    page.goto(obligation_url + "/edit")
    tab_to(page, "#event_ids-filter")
    page.keyboard.type("implementing")
    shown = page.locator("#event_ids-list .form-check:visible")
    expect(shown.filter(has_text="BIS implementing rule published")).to_have_count(1)
    expect(shown.filter(has_text="Frontier Model Forum")).to_have_count(0)  # filtered out
    expect(shown.filter(has_text="Passed House Foreign Affairs Committee")).to_have_count(1)  # checked: stays
    tab_to(page, "#event_ids-list input[type=checkbox]:not(:checked)")
    assert "BIS implementing rule published" in page.evaluate("document.activeElement.labels[0].textContent")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")


def test_a_vendor_answers_with_the_keyboard_alone(page, live_server, tmp_path):
    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.models import VendorRequest
    from tracker.vendors import links

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.db'}", "SECRET_KEY": "browser-test",
                      "TRACKER_SCHEDULER": "off", "TRACKER_BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        request = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.status == "open")
                                    .order_by(VendorRequest.id))
        token = links.ensure_link(request, SYSTEM)
        db.session.remove()
        db.engine.dispose()
    page.goto(f"/respond/{token}")
    tab_to(page, "#name")
    page.keyboard.type("Ana Lee")
    page.keyboard.press("Tab")
    page.keyboard.type("Head of Compliance")
    tab_to(page, "#confirm")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    follow(page)
    expect(page.get_by_text(re.compile("received", re.I)).first).to_be_visible()
