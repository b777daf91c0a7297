"""/api/v1/vendors, /api/v1/vendor-requests and the vendor scope of an obligation."""

from __future__ import annotations

from datetime import date

from tests.integration.api_helpers import auth, expect_problem, small_register, token_for
from tests.vendor_support import make_vendor
from tracker.api import openapi_cached
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import VendorAttestation, VendorEvidence, VendorRequest
from tracker.register.events import EventDate, record_event_change


def test_vendor_crud_with_contacts_and_field_errors(client):
    team, *_ = small_register()
    editor = token_for("editor", teams=[team])
    created = client.post("/api/v1/vendors", headers=auth(editor), json={
        "key": "acme-gpu", "name": "Acme GPU Servers", "country": "US", "categories": ["gpu_hardware"],
        "markets": ["US", "US-CA"], "team_id": team.id,
        "contacts": [{"name": "Ana Lee", "email": "ana@acme.example", "role": "primary"}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["contacts"][0]["email"] == "ana@acme.example" and body["team"]["key"] == "procurement"

    bad = client.post("/api/v1/vendors", headers=auth(editor), json={
        "key": "x", "name": "X", "team_id": team.id, "categories": ["Not OK"], "country": "usa"})
    problem = expect_problem(bad, 422)
    assert {e["path"] for e in problem["errors"]} >= {"/categories/0", "/country"}
    dup = client.post("/api/v1/vendors", headers=auth(editor), json={"key": "acme-gpu", "name": "A", "team_id": team.id})
    expect_problem(dup, 409)

    url = body["links"]["self"]
    etag = client.get(url, headers=auth(editor)).headers["ETag"]
    patched = client.patch(url, headers=auth(editor, **{"If-Match": etag}), json={
        "status": "prospective", "contacts": [{"name": "Bo", "email": "bo@acme.example", "role": "secondary"}]})
    assert patched.status_code == 200, patched.get_json()
    assert [c["email"] for c in patched.get_json()["contacts"]] == ["bo@acme.example"]
    stale = client.patch(url, headers=auth(editor, **{"If-Match": etag}), json={"name": "Z"})
    expect_problem(stale, 412)
    listed = client.get("/api/v1/vendors?status=prospective&market=us-ca", headers=auth(token_for("viewer")))
    assert [v["key"] for v in listed.get_json()["items"]] == ["acme-gpu"]
    assert client.delete(url, headers=auth(editor)).status_code == 204


def test_scope_and_vendor_requests_follow_the_anchor(client):
    team, source, enacted, obligation = small_register()
    for n in range(3):
        make_vendor(team, key=f"gpu-{n}")
    make_vendor(team, key="model-co", categories=["ai_model_provider"])
    editor = token_for("editor", teams=[team])
    scope_url = f"/api/v1/obligations/{obligation.id}/vendor-scope"
    assert client.get(scope_url, headers=auth(editor)).status_code == 404
    refused = client.put(scope_url, headers=auth(editor), json={"keys": ["gpu-0", "ghost"]})
    assert expect_problem(refused, 422)["errors"] == [{"path": "/keys", "message": "unknown vendor 'ghost'"}]
    empty = client.put(scope_url, headers=auth(editor), json={})
    assert expect_problem(empty, 422)["errors"][0]["path"] == "/vendors"
    put = client.put(scope_url, headers=auth(editor), json={"categories": ["gpu_hardware"]})
    assert put.status_code == 200 and put.get_json()["created"] == 3

    record_event_change(enacted, EventDate("occurred", date(2026, 8, 6)), SYSTEM)
    listed = client.get(f"/api/v1/vendor-requests?obligation={obligation.key}&vendor=gpu-0,gpu-2",
                        headers=auth(token_for("viewer"))).get_json()["items"]
    assert [(r["vendor"]["key"], r["due_date"], r["due_state"], r["revision"], r["status"]) for r in listed] == [
        ("gpu-0", "2027-02-02", "firm", 1, "open"), ("gpu-2", "2027-02-02", "firm", 1, "open")]
    assert listed[0]["obligation"] == {"key": "csa-location-verification", "title": "Location verification"}
    assert listed[0]["evidence"] == [] and listed[0]["attestation"] is None

    request = db.session.get(VendorRequest, listed[0]["id"])
    db.session.add(VendorEvidence(request_id=request.id, submission_id="s1", filename="cert.pdf",
                                  content_type="application/pdf", size=10, sha256="ab" * 32))
    db.session.add(VendorAttestation(request_id=request.id, submission_id="s1", signer_name="Ana Lee",
                                     signer_title="CEO", statement="We confirm."))
    db.session.commit()
    one = client.get(f"/api/v1/vendor-requests/{request.id}", headers=auth(editor)).get_json()
    assert one["evidence"][0]["filename"] == "cert.pdf" and one["attestation"]["signer_name"] == "Ana Lee"
    assert client.get("/api/v1/vendor-requests?status=submitted", headers=auth(editor)).get_json()["items"] == []
    assert client.get("/api/v1/vendor-requests/999", headers=auth(editor)).status_code == 404
    assert client.delete(scope_url, headers=auth(editor)).status_code == 204
    statuses = {r["status"] for r in client.get("/api/v1/vendor-requests", headers=auth(editor)).get_json()["items"]}
    assert statuses == {"not_applicable"}


def test_openapi_documents_the_vendor_operations(app):
    paths = openapi_cached()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/vendors"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/vendors/{vendor_id}"])
    assert "get" in paths["/api/v1/vendor-requests"] and "get" in paths["/api/v1/vendor-requests/{request_id}"]
    assert {"get", "put", "delete"} <= set(paths["/api/v1/obligations/{obligation_id}/vendor-scope"])
