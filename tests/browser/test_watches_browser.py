"""The source page's watch and a proposal accepted, in a real Chromium, with the demo polled
against the regulator replay (never the network)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import served_app
from tests.browser.test_ui_browser import sign_in
from tests.regulator_replay import regulator_replay  # noqa: F401 (the fixture)
from tracker.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def watched_server(database_template, tmp_path, regulator_replay):
    """The demo, its watches polled once against the replay, served on a free loopback port."""
    import time_machine

    from tracker.watches.polling import run_poll_pass

    # The server's clock is the day after the poll, whatever day the suite runs (the dashboard
    # ranks what needs action against today).
    with time_machine.travel(datetime(2026, 12, 5, 13, tzinfo=timezone.utc), tick=True), \
            served_app(database_template, tmp_path, **regulator_replay.config()) as (base, app):
        with app.app_context():
            report = run_poll_pass(datetime(2026, 12, 5, 12, tzinfo=timezone.utc), due_only=False,
                                   http_options={"sleep": regulator_replay.sleep})
            assert not report.failed, report.lines()
            db.session.remove()
        yield base


def test_source_page_watch_then_accept_the_enactment(browser, watched_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=watched_server)
    context.set_default_timeout(15000)
    page = context.new_page()
    sign_in(page)
    expect(page.locator("#needs-action .action-proposal").first).to_contain_text(
        "Record “Chip Security Act enacted” as occurred on 2026-12-03")
    page.locator("#menu-regulation > summary").click()  # the navigation menu holding the link
    page.get_by_role("link", name="Sources", exact=True).click()
    page.get_by_role("link", name="Chip Security Act", exact=True).click()
    watch = page.locator(".watch").first
    expect(watch).to_contain_text("Congress.gov bill 119-hr-3447")
    expect(watch.locator(".watch-success")).to_contain_text("2026-12-05 12:00 UTC")
    expect(watch.locator(".unmapped")).to_contain_text("Presented to President.")
    # The committee report disagrees with the date recorded by hand: a conflict, said so.
    expect(page.locator("#watches .alert")).to_contain_text("conflict")
    watch.get_by_role("link", name="Edit watch").click()
    expect(page.get_by_label("enacted", exact=True)).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Apply what it observes without review").check()
    page.get_by_role("button", name="Save watch").click()
    expect(page.locator(".watch").first).to_contain_text("auto apply")
    page.get_by_role("link", name=re.compile("record 'Chip Security Act enacted' as occurred on 2026-12-03")).click()
    expect(page.locator("#reported")).to_contain_text("Congress.gov: Became Public Law No: 119-52 (2026-12-03)")
    expect(page.locator("#preview-table")).to_contain_text("firm")
    page.get_by_role("button", name="Accept and record").click()
    expect(page.locator("#event-status")).to_have_text("occurred")
    expect(page.locator("#event-provenance")).to_contain_text("Recorded from Congress.gov: “Became Public Law No: 119-52.”")
    expect(page.get_by_text(re.compile(r"Accepted: 'Chip Security Act enacted' recorded\. \d+ deadlines? moved\."))
           ).to_be_visible()
    context.close()
