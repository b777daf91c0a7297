"""Who is asking: the organization settings page (admins) and what vendors see on their page."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, VendorRequest
from tracker.vendors import links
from tests.factories import login, make_obligation, make_team, make_user
from tests.vendor_support import make_vendor, scope


def _request_link():
    team = make_team(key="export", name="Export Compliance")
    vendor = make_vendor(team, key="northbridge", name="Northbridge GPU Servers",
                         contacts=[{"name": "Ana Lee", "email": "ana@northbridge.example", "role": "primary"}])
    obligation = make_obligation(team, key="bis", title="BIS supply-chain attestation", rule_date=date(2027, 1, 15))
    scope(obligation, keys=["northbridge"])
    request = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.vendor_id == vendor.id))
    return request, links.ensure_link(request, SYSTEM)


def test_admins_set_the_name_and_reply_to_vendors_see_others_cannot(client, app):
    _, token = _request_link()
    page = client.get(f"/respond/{token}").get_data(as_text=True)
    assert "Export Compliance at our organization asks Northbridge GPU Servers" in page
    assert "mailto:" not in page and "Is the date final?" in page and "Due state" not in page

    login(client, make_user(role="editor"))
    assert client.get("/admin/organization").status_code == 403
    client.post("/logout")
    login(client, make_user(role="admin"))
    refused = client.post("/admin/organization", data={"name": " ", "reply_to": "not an address"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "this field is required" in text and "invalid email" in text
    assert 'value="not an address"' in text  # what was typed is kept
    saved = client.post("/admin/organization", data={"name": "Acme  Robotics", "reply_to": "Vendors@Acme.example"},
                        follow_redirects=True)
    assert saved.status_code == 200 and 'value="Acme Robotics"' in saved.get_data(as_text=True)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "organization"))
    assert entry.changes["name"] == [None, "Acme Robotics"]

    page = client.get(f"/respond/{token}").get_data(as_text=True)
    assert "Export Compliance at Acme Robotics asks Northbridge GPU Servers" in page
    assert 'href="mailto:vendors@acme.example"' in page


def test_a_rejected_answer_says_what_to_change_first(client, app):
    request, token = _request_link()
    request.status, request.status_reason = "rejected", "The certificate is not signed."
    db.session.commit()
    page = client.get(f"/respond/{token}").get_data(as_text=True)
    banner = page.split('id="changes-requested"', 1)[1].split("</div>", 1)[0]
    assert "Changes requested:" in banner and "The certificate is not signed." in banner
    assert page.index('id="changes-requested"') < page.index('id="asked-h"')
