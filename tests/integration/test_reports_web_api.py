"""The Reports page and GET /api/v1/reports/{pdf,xlsx}: the file, and clear refusals."""

from __future__ import annotations

import pytest

from tests.factories import login, make_user
from tests.integration.api_helpers import auth, token_for
from tests.report_support import pdf_text, sheet_rows, small_register, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def register(app, clock):
    return small_register()


@pytest.fixture
def viewer(client, register):
    user = make_user(email="viewer@example.com", role="viewer")
    login(client, user)
    return user


def test_the_page_offers_every_scope_and_downloads_a_pdf(client, viewer):
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for value in ("team:procurement", "source:chip-act", "vendor:acme"):
        assert f'value="{value}"' in html
    assert 'href="/reports"' in html  # in the navigation
    response = client.get("/reports?download=1&scope=team:procurement&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="report-team-procurement-2026-11-29.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Generated 2026-11-29 12:00 UTC by viewer@example.com" in text and "File the certificate" in text


def test_the_page_downloads_a_past_days_workbook(client, viewer, clock):
    clock.move_to("2026-12-02T09:00:00Z")
    login(client, viewer)  # the first session has idled out
    response = client.get("/reports?download=1&scope=source:chip-act&format=xlsx&as_of=2026-11-29")
    assert response.status_code == 200 and response.mimetype == XLSX
    titles = [row["Title"] for row in sheet_rows(workbook(response.data), "Obligations")]
    assert titles == ["Verify chip locations"]  # the one obligation counted from the act's event


@pytest.mark.parametrize(("query", "message"), [
    ("scope=team:nobody&format=pdf", "no team with key or name &#39;nobody&#39;"),
    ("scope=&format=pdf", "choose a team, a source or a vendor"),
    ("scope=team:procurement&format=doc", "choose pdf or xlsx"),
    ("scope=team:procurement&format=pdf&as_of=2026-12-25", "2026-12-25 is in the future"),
    ("scope=team:procurement&format=pdf&as_of=2025-01-01", "the register did not exist yet on 2025-01-01"),
    ("scope=team:procurement&format=pdf&as_of=tomorrow", "is not a date: use YYYY-MM-DD"),
])
def test_the_page_shows_what_is_wrong_beside_the_field(client, viewer, query, message):
    response = client.get(f"/reports?download=1&{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_the_page_needs_a_signed_in_user(client, register):
    response = client.get("/reports?download=1&scope=team:procurement&format=pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_api_returns_the_file_to_any_reader(client, register):
    token = token_for("viewer")
    pdf = client.get("/api/v1/reports/pdf?team=procurement", headers=auth(token))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Verify chip locations" in pdf_text(pdf.data)
    xlsx = client.get("/api/v1/reports/xlsx?vendor=acme", headers=auth(token))
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    book = workbook(xlsx.data)
    assert [r["Vendor"] for r in sheet_rows(book, "Vendors")] == ["Acme Chips"]
    assert [r["Obligation"] for r in sheet_rows(book, "Requests")] == ["Collect attestations"]


@pytest.mark.parametrize(("query", "path", "message"), [
    ("", "/query/team", "exactly one of team, source or vendor"),
    ("team=procurement&vendor=acme", "/query/team", "exactly one of team, source or vendor"),
    ("team=nobody", "/query/team", "no team with key or name 'nobody'"),
    ("source=nothing", "/query/source", "no source with key 'nothing'"),
    ("team=procurement&as_of=2026-11-30", "/query/as_of", "is in the future"),
    ("team=procurement&as_of=2026-11-28", "/query/as_of", "did not exist yet"),
    ("team=procurement&as_of=someday", "/query/as_of", ""),
    ("team=procurement&colour=red", "/query/colour", ""),
])
def test_the_api_refuses_bad_input_with_a_422_naming_the_parameter(client, register, query, path, message):
    response = client.get(f"/api/v1/reports/pdf?{query}", headers=auth(token_for("viewer")))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert [e["path"] for e in errors] == [path] and message in errors[0]["message"]


def test_the_api_needs_a_token_and_documents_both_formats(client, register):
    assert client.get("/api/v1/reports/xlsx?team=procurement").status_code == 401
    document = client.get("/api/v1/openapi.json").get_json()
    for fmt, media in (("pdf", "application/pdf"), ("xlsx", XLSX)):
        operation = document["paths"][f"/api/v1/reports/{fmt}"]["get"]
        assert media in operation["responses"]["200"]["content"]
        assert {p["name"] for p in operation["parameters"]} == {"team", "source", "vendor", "as_of"}
        assert {"401", "403", "422"} <= set(operation["responses"])


def test_a_control_character_in_a_scope_is_refused_before_it_reaches_the_database(client, register):
    response = client.get("/api/v1/reports/xlsx?team=proc%00urement", headers=auth(token_for("viewer")))
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "/query/team"


def test_a_user_who_may_not_read_the_register_gets_no_report(register):
    from tracker.reports.scopes import ReportForbidden, check_request

    gone = make_user(email="gone@example.com", role="viewer", password=None)
    gone.active = False
    with pytest.raises(ReportForbidden, match="may not read the team 'procurement'"):
        check_request("team", "procurement", "pdf", None, gone)
