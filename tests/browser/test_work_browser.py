"""Managing the work in Chromium: assign from the list, a bulk change, and a hostile comment that stays inert."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_csp import Watcher
from tests.browser.test_ui_browser import sign_in

pytestmark = pytest.mark.browser

HOSTILE = ('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> '
           '[click me](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4" onclick="window.__pwned=5">a</a> '
           '**bold** and @auditor@example.com')


@pytest.fixture
def watched(page, live_server):
    watcher = Watcher(page, live_server)
    sign_in(page)
    return watcher


def _procurement_row(page):
    page.goto("/obligations?team=&q=&owner=&sort=due")
    return page.locator("#obligations-table tbody tr").filter(has_text="Procurement").first


def test_assign_an_owner_from_the_list_in_one_step(watched, page):
    row = _procurement_row(page)
    title = row.locator("td[data-label=Obligation] a").first.inner_text()
    row.get_by_label(f"Owner of {title}").select_option(label="Ade Auditor")
    row.get_by_role("button", name=f"Assign {title}").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.goto("/obligations?owner=none")
    watched.check("after assigning")
    auditor = page.locator("#f-owner option", has_text="Ade Auditor").get_attribute("value")
    page.goto(f"/obligations?owner={auditor}")
    expect(page.locator("#obligations-table")).to_contain_text(title)


def test_bulk_set_priority_on_selected_rows(watched, page):
    page.goto("/obligations")
    boxes = page.locator("#obligations-table input[type=checkbox][name=row]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("Action").select_option(label="Set priority")
    page.locator("#bulk-priority").select_option(label="Critical")
    page.get_by_role("button", name="Change obligations").click()
    expect(page.get_by_text("2 obligations changed.")).to_be_visible()
    page.goto("/obligations?priority=critical")
    expect(page.get_by_role("status").filter(has_text="match")).to_contain_text("2 obligations match")
    watched.check("after the bulk change")


def test_a_hostile_comment_renders_inert_under_the_policy(watched, page):
    page.goto("/obligations")
    page.locator("#obligations-table tbody tr td[data-label=Obligation] a").first.click()
    page.get_by_label("Add a comment").fill(HOSTILE)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()
    body = page.locator(".comment-body").last
    expect(body).to_contain_text("<script>window.__pwned = 1</script>")
    expect(body.locator("strong")).to_have_text("bold")
    assert body.locator("script, img, iframe").count() == 0
    assert body.locator("a").count() == 0  # neither javascript: link became a link
    assert page.evaluate("window.__pwned") is None
    body.click()
    assert page.evaluate("window.__pwned") is None
    watched.check("the comment thread")
    # A mention of someone outside the obligation's team notifies no one, and the page says so.
    expect(page.get_by_text(re.compile(r"Not notified: auditor@example\.com \(not a member of the team\)|"
                                       r"Notified: auditor@example\.com"))).to_be_visible()


def test_evidence_upload_with_the_csrf_token_shows_its_sha256(watched, page, tmp_path):
    import hashlib

    from tests.vendor_files import pdf_bytes

    data = pdf_bytes("Screening procedure")
    path = tmp_path / "procedure.pdf"
    path.write_bytes(data)
    page.goto("/obligations")
    page.locator("#obligations-table tbody tr td[data-label=Obligation] a").first.click()
    page.locator("#evidence-file").set_input_files(str(path))
    page.locator("#evidence-title").fill("Screening procedure v3")
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("Evidence added.")).to_be_visible()
    expect(page.locator("#evidence")).to_contain_text(hashlib.sha256(data).hexdigest())
    watched.check("after adding evidence")
