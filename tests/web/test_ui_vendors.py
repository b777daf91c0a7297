"""The vendor pages: list (filters, CSV), forms with field errors, detail, contacts, offboarding,
the vendor scope of an obligation, the matrix, the obligation's progress and the dashboard line."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa

from tests.factories import login, make_obligation, make_team, make_user
from tests.vendor_support import make_vendor, scope
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Vendor, VendorRequest
from tracker.vendors.requests import set_request_status


def _editor(client, teams=None):
    user = make_user(role="editor", teams=teams or [])
    login(client, user)
    return user


def test_vendor_form_shows_field_errors_and_keeps_what_was_typed(client):
    team = make_team(name="Buyers")
    _editor(client)
    response = client.post("/vendors/new", data={
        "key": "acme gpu", "name": "Acme GPU Servers", "website": "acme.example", "country": "usa",
        "categories": "gpu_hardware, Bad Tag", "markets": "US, california", "status": "active",
        "team_id": team.id, "owner_id": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "invalid key" in page.lower() and "is not an http(s) URL" in page and "nvalid country" in page
    assert "nvalid category" in page and "nvalid jurisdiction" in page
    assert 'value="Acme GPU Servers"' in page and "gpu_hardware, Bad Tag" in page
    assert db.session.scalar(sa.select(sa.func.count(Vendor.id))) == 0


def test_creating_a_vendor_fans_out_and_the_detail_shows_its_requests(client, clock):
    team = make_team(name="Buyers")
    obligation = make_obligation(team, title="BIS supply-chain audit", rule_date=date(2026, 11, 1))
    scope(obligation, categories=["gpu_hardware"])
    _editor(client, [team])
    response = client.post("/vendors/new", data={
        "key": "acme-gpu", "name": "Acme GPU Servers", "website": "https://acme.example", "country": "us",
        "categories": "gpu_hardware cloud", "markets": "us, us-ca", "status": "active", "team_id": team.id,
        "owner_id": ""}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 request from vendor-scoped obligations" in page
    assert "BIS supply-chain audit" in page and "28 days overdue" in page
    vendor = db.session.scalar(sa.select(Vendor))
    assert (vendor.country, vendor.markets, vendor.categories) == ("US", ["US", "US-CA"], ["gpu_hardware", "cloud"])

    bad = client.post(f"/vendors/{vendor.id}/contacts", data={"name": "Ana", "email": "nope", "role": "primary"})
    assert bad.status_code == 400 and "nvalid email" in bad.get_data(as_text=True)
    assert 'value="Ana"' in bad.get_data(as_text=True)
    client.post(f"/vendors/{vendor.id}/contacts", data={"name": "Ana Lee", "email": "ana@acme.example",
                                                         "role": "primary"})
    page = client.get(f"/vendors/{vendor.id}").get_data(as_text=True)
    assert "ana@acme.example" in page and "+ana@acme.example (primary)" in page

    client.post(f"/vendors/{vendor.id}/offboard")
    db.session.expire_all()
    assert db.session.scalar(sa.select(VendorRequest.status)) == "not_applicable"
    assert "Offboarded" in client.get(f"/vendors/{vendor.id}").get_data(as_text=True)


def test_list_filters_by_team_category_market_status_and_text_and_downloads_csv(client):
    buyers, legal = make_team(name="Buyers"), make_team(name="Legal")
    make_vendor(buyers, key="acme", name="Acme GPU", categories=["gpu_hardware"], markets=["US"])
    make_vendor(legal, key="frontier", name="Frontier Models", categories=["ai_model_provider"], markets=["US-CA"])
    make_vendor(buyers, key="cloudy", name="Cloudy", categories=["cloud"], markets=["US-CA"], status="prospective")
    _editor(client)

    def names(query):
        page = client.get("/vendors" + query).get_data(as_text=True)
        return {n for n in ("Acme GPU", "Frontier Models", "Cloudy") if n in page}

    assert names("") == {"Acme GPU", "Frontier Models", "Cloudy"}
    assert names(f"?team={legal.id}") == {"Frontier Models"}
    assert names("?category=gpu_hardware") == {"Acme GPU"}
    assert names("?market=US-CA") == {"Frontier Models", "Cloudy"}
    assert names("?status=prospective") == {"Cloudy"}
    assert names("?q=front") == {"Frontier Models"}
    rows = list(csv.DictReader(io.StringIO(client.get("/vendors.csv?market=US-CA").get_data(as_text=True))))
    assert {r["key"] for r in rows} == {"frontier", "cloudy"}
    assert rows[0]["primary_contact"].endswith(".example")


def test_scope_form_matrix_progress_and_dashboard(client, clock):
    team = make_team(name="Buyers")
    vendors = [make_vendor(team, key=f"gpu-{n}", name=f"GPU maker {n}") for n in range(3)]
    make_vendor(team, key="model-co", name="Model Co", categories=["ai_model_provider"])
    late = make_obligation(team, title="Location verification", rule_date=date(2026, 11, 1))
    user = _editor(client, teams=[team])

    bad = client.post(f"/obligations/{late.id}/vendors", data={"mode": "keys", "keys": "gpu-0 ghost"})
    assert bad.status_code == 400 and "nknown vendor &#39;ghost&#39;" in bad.get_data(as_text=True)
    assert "gpu-0 ghost" in bad.get_data(as_text=True)
    client.post(f"/obligations/{late.id}/vendors", data={"mode": "criteria", "categories": "gpu_hardware",
                                                          "markets": ""})
    requests = {r.vendor_id: r for r in db.session.scalars(sa.select(VendorRequest))}
    assert set(requests) == {v.id for v in vendors}
    set_request_status(requests[vendors[0].id], "accepted", SYSTEM)
    set_request_status(requests[vendors[1].id], "submitted", SYSTEM)

    detail = client.get(f"/obligations/{late.id}").get_data(as_text=True)
    assert "1 of 3 accepted, 1 submitted, 1 overdue" in detail
    matrix = client.get("/vendors/matrix").get_data(as_text=True)
    assert "Location verification" in matrix and "GPU maker 2" in matrix and "Model Co" in matrix
    assert "28 days overdue" in matrix and "Accepted" in matrix and "Submitted" in matrix
    overdue_only = client.get("/vendors/matrix?state=overdue").get_data(as_text=True)
    assert "GPU maker 2" in overdue_only and "GPU maker 0" not in overdue_only
    rows = list(csv.DictReader(io.StringIO(client.get("/vendors/matrix.csv").get_data(as_text=True))))
    assert {(r["vendor_key"], r["status"], r["overdue_days"]) for r in rows} == {
        ("gpu-0", "accepted", "0"), ("gpu-1", "submitted", "0"), ("gpu-2", "open", "28")}
    dashboard = client.get("/").get_data(as_text=True)
    tiles = dashboard.split('class="tiles"', 1)[1].split("</ul>", 1)[0]
    assert '1</span>\n        <span class="tile-label">Vendor requests overdue' in tiles
    assert '1</span>\n        <span class="tile-label">Vendor answers to review' in tiles
    assert "GPU maker 2: “Location verification”" in dashboard and "GPU maker 1: answer for" in dashboard
    assert user.email


HOSTILE = ["x\x00y", "<script>alert(1)</script>", "B" * 50000, "-9" * 3000, "", "99999999999999999999", "٣"]


def test_vendor_forms_survive_hostile_values_and_store_nothing_when_refused(client):
    from tracker.models import AuditEntry, ObligationVendorScope, VendorContact

    team = make_team()
    vendor = make_vendor(team, key="v-fuzz")
    obligation = make_obligation(team)
    _editor(client)
    models = (Vendor, VendorContact, VendorRequest, ObligationVendorScope, AuditEntry)

    def counts():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models)

    forms = {
        "/vendors/new": ("key", "name", "website", "country", "categories", "markets", "status", "team_id",
                         "owner_id", "notes"),
        f"/vendors/{vendor.id}/edit": ("key", "name", "website", "country", "categories", "markets", "status",
                                       "team_id", "owner_id", "notes"),
        f"/vendors/{vendor.id}/contacts": ("name", "email", "role", "reminders_opt_out"),
        f"/obligations/{obligation.id}/vendors": ("mode", "categories", "markets", "keys"),
    }
    for value in HOSTILE:
        for url, fields in forms.items():
            before = counts()
            response = client.post(url, data={name: value for name in fields})
            assert response.status_code < 500, (url, value[:10])
            assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
            if response.status_code >= 400:
                db.session.rollback()
                assert counts() == before, url
    for url in ("/vendors", "/vendors/matrix", "/vendors.csv", "/vendors/matrix.csv"):
        for value in HOSTILE:
            response = client.get(url, query_string={n: value for n in ("team", "category", "market", "status",
                                                                         "q", "obligation", "state")})
            assert response.status_code == 200, (url, value[:10])


def _matrix_statements(client, vendors: int) -> int:
    from tests.integration.test_vendor_service import _Statements

    team = make_team()
    for _ in range(vendors):
        make_vendor(team)
    for _ in range(3):
        scope(make_obligation(team), categories=["gpu_hardware"])
    with _Statements() as counter:
        assert client.get("/vendors/matrix").status_code == 200
    return counter.count


def test_matrix_statement_count_does_not_grow_with_vendors(client):
    _editor(client)
    small = _matrix_statements(client, 2)
    assert _matrix_statements(client, 15) == small


def test_vendor_list_and_csv_statements_do_not_grow_with_vendors(client):
    from tests.integration.test_vendor_service import _Statements

    team = make_team()
    _editor(client)

    def statements(url):
        with _Statements() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    make_vendor(team)
    small = (statements("/vendors"), statements("/vendors.csv"))
    for _ in range(8):
        make_vendor(team)
    assert (statements("/vendors"), statements("/vendors.csv")) == small
