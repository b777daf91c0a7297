"""The vendor matrix and the vendor list and detail pages in a real Chromium, on the demo register."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_ui_browser import sign_in

pytestmark = pytest.mark.browser
CA = "Collect California self-certifications from AI vendors"
LOCATION = "Location verification of shipped chips, from each supplier"


def _cell(page, vendor: str, obligation: str):
    headers = page.locator("#vendor-matrix thead th").all_inner_texts()
    column = headers.index(obligation)
    return page.locator("#vendor-matrix tbody tr", has_text=vendor).locator("th, td").nth(column)


def test_matrix_shows_each_vendors_state_and_filters_by_state(page, artifacts):
    sign_in(page)
    page.locator("#menu-vendors > summary").click()  # the navigation menu holding the link
    page.get_by_role("link", name="Vendor matrix").click()
    expect(page.get_by_role("heading", name="Vendor matrix", level=1)).to_be_visible()
    expect(page.get_by_text("4 vendors × 3 obligations.")).to_be_visible()

    late = _cell(page, "Northbridge GPU Servers", CA)
    expect(late).to_contain_text("Open")
    expect(late).to_contain_text("2026-07-01 (July 2026)")
    expect(late).to_contain_text(re.compile(r"\d+ days overdue"))
    expect(late).to_have_class(re.compile("table-danger"))
    expect(_cell(page, "Frontier Model API Co.", CA)).to_contain_text("Accepted")
    expect(_cell(page, "Stratus Cloud", CA)).to_contain_text("Rejected")
    projected = _cell(page, "Northbridge GPU Servers", LOCATION)
    expect(projected).to_contain_text("2027-02-28")
    expect(projected.locator(".badge")).to_have_text("Projected")
    expect(_cell(page, "Frontier Model API Co.", LOCATION)).to_have_text("—")
    page.screenshot(path=str(artifacts / "vendor-matrix-desktop.png"), full_page=True)

    page.get_by_label("State").select_option("submitted")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("2 vendors × 3 obligations.")).to_be_visible()
    rows = page.locator("#vendor-matrix tbody th").all_inner_texts()
    assert rows == ["Northbridge GPU Servers", "OpenWeights Hub"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "vendor-matrix.csv"


def test_vendor_list_filters_and_detail_with_a_contact_added(page):
    sign_in(page)
    page.locator("#menu-vendors > summary").click()  # the navigation menu holding the link
    page.get_by_role("link", name="Vendors", exact=True).click()
    expect(page.get_by_text("4 vendors.")).to_be_visible()
    page.get_by_label("Category").select_option("gpu_hardware")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("2 vendors.")).to_be_visible()
    page.get_by_label("Search", exact=True).fill("stratus")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1 vendor.")).to_be_visible()
    page.get_by_role("link", name="Stratus Cloud").click()

    requests = page.locator("#requests + div table")
    expect(requests).to_contain_text(CA)
    expect(requests).to_contain_text("statement is not signed")
    expect(page.locator("#audit + div table")).to_contain_text("rejected")
    page.get_by_label("Contact name").fill("Rita Ramos")
    page.get_by_label("Contact email").fill("rita at stratus")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text(re.compile("nvalid email"))).to_be_visible()
    expect(page.get_by_label("Contact name")).to_have_value("Rita Ramos")
    page.get_by_label("Contact email").fill("rita@stratus.example")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("Contact rita@stratus.example added.")).to_be_visible()
    expect(page.locator("#contacts")).to_contain_text("Rita Ramos")
