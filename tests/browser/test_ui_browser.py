"""The main paths through the UI in a real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_ADMIN

pytestmark = pytest.mark.browser
DEADLINE = "Location verification on export-controlled AI chips"


def sign_in(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill(DEMO_ADMIN[0])
    page.get_by_label("Password").fill(DEMO_ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def test_sign_in_and_find_an_obligation_through_the_filters(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    sign_in(page)
    page.locator("#menu-work > summary").click()  # the navigation menu holding the link
    page.get_by_role("link", name="Obligations", exact=True).click()
    page.get_by_label("Search", exact=True).fill("location")
    page.get_by_label("Due state").select_option("projected")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("2 obligations match.")).to_be_visible()  # the team's and the one collected from vendors
    page.get_by_role("link", name=DEADLINE).click()
    expect(page.locator("#explanation")).to_contain_text(
        "180 days after Chip Security Act enacted (expected September 2026) = 2027-02-28, projected")


def test_record_an_event_through_its_preview_and_see_the_deadline_move(page, artifacts):
    sign_in(page)
    page.goto("/obligations?q=location")
    page.get_by_role("link", name=DEADLINE).click()
    page.get_by_role("link", name="Chip Security Act enacted").click()
    page.get_by_label("What is now known").select_option("occurred")
    page.get_by_label("Date", exact=True).fill("2026-08-06")
    page.get_by_role("button", name="Preview the change").click()
    row = page.locator("#preview-table tr", has_text=DEADLINE)
    expect(row).to_contain_text("2027-02-28 (projected)")
    expect(row).to_contain_text("2027-02-02 (firm)")
    page.screenshot(path=str(artifacts / "event-preview-desktop.png"), full_page=True)
    page.get_by_role("button", name="Confirm and record").click()
    expect(page.get_by_text(re.compile(r"Recorded\. \d+ deadlines? moved\."))).to_be_visible()
    expect(page.locator("#event-status")).to_have_text("occurred")
    page.get_by_role("link", name=DEADLINE).first.click()
    expect(page.locator("#explanation")).to_contain_text("= 2027-02-02, firm")
    expect(page.get_by_role("table", name="Deadline history")).to_contain_text("recorded as occurred on 2026-08-06")
    page.screenshot(path=str(artifacts / "obligation-detail-desktop.png"), full_page=True)
    page.goto("/?scope=all")
    changes = page.locator("#changes")
    expect(changes).to_contain_text(DEADLINE)
    expect(changes).to_contain_text("projected 2027-02-28 -> firm 2027-02-02")
    page.locator("#changes > summary").click()  # the dashboard keeps recent changes folded
    expect(changes.get_by_role("link", name=DEADLINE).first).to_be_visible()


@pytest.mark.parametrize("width,height,name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_screenshots_of_dashboard_and_timeline(browser, live_server, artifacts, width, height, name):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/?scope=all")
        page.screenshot(path=str(artifacts / f"dashboard-{name}.png"), full_page=True)
        page.goto("/timeline?start=2026-01&months=18")
        expect(page.locator("svg.timeline")).to_be_visible()
        expect(page.locator("svg.timeline")).to_contain_text("(projected)")
        page.screenshot(path=str(artifacts / f"timeline-{name}.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(artifacts / f"timeline-print-{name}.png"), full_page=True)
    finally:
        context.close()


def test_obligation_form_shows_the_fields_of_the_chosen_rule(page, artifacts):
    sign_in(page)
    page.goto("/obligations/new")
    expect(page.get_by_label("Anchor event")).to_be_hidden()
    expect(page.get_by_label("Date", exact=True)).to_be_visible()
    page.get_by_label("Deadline rule").select_option("relative")
    expect(page.get_by_label("Anchor event")).to_be_visible()
    expect(page.get_by_label("Date", exact=True)).to_be_hidden()
    page.get_by_label("Key").fill("ui-created")
    page.get_by_label("Title").fill("Created in the browser")
    anchor = page.get_by_label("Anchor event")
    option = anchor.locator("option", has_text="Chip Security Act enacted").first
    anchor.select_option(option.get_attribute("value"))
    page.get_by_label("Offset").fill("90")
    page.get_by_role("button", name="Save obligation").click()
    expect(page.get_by_text("Obligation “Created in the browser” created")).to_be_visible()
    expect(page.locator("#explanation")).to_contain_text("90 days after Chip Security Act enacted")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/obligations/new")
    page.screenshot(path=str(artifacts / "obligation-form-phone.png"), full_page=True)


def test_the_deadline_form_explains_an_earliest_latest_rule_live(page):
    sign_in(page)
    page.goto("/obligations/new")
    page.get_by_label("Deadline rule").select_option("latest")
    page.get_by_label("Part 1: rule").select_option("fixed")
    page.get_by_label("Part 1: fixed day").fill("2027-01-01")
    page.get_by_label("Part 2: rule").select_option("relative")
    part = page.get_by_label("Part 2: counted from")
    part.select_option(part.locator("option", has_text="Chip Security Act enacted").first.get_attribute("value"))
    page.get_by_label("Part 2: count", exact=True).fill("180")
    expect(page.locator("#live-explanation")).to_contain_text(
        "The later of 2027-01-01 and 180 days after Chip Security Act enacted")
    page.get_by_label("Part 1: fixed day").fill("2027-13-01")
    expect(page.locator("#live-explanation")).to_contain_text("Part 1: fixed day")
