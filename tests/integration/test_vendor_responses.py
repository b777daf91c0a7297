"""Response links, submissions through the real WSGI app, review, the API and vendor-link."""

import io
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM, Actor
from tracker.db import db
from tracker.feeds.logfilter import redact
from tracker.models import (AuditEntry, OutboxMessage, VendorAttestation, VendorEvidence, VendorEvidenceChunk,
                            VendorLink, VendorRequest)
from tracker.vendors import links, review
from tracker.vendors.uploads import MAX_FILE_BYTES
from tests.factories import login, make_obligation, make_team, make_user
from tests.vendor_files import HTML_PAGE, pdf_bytes, png_bytes
from tests.vendor_support import make_vendor, scope


@pytest.fixture
def setup(app, clock):
    # A deadline in January 2027 and links that expire 60 days after it: the clock is pinned
    # (2026-11-29) for the code and the tests alike, so they hold on any day.
    team = make_team(key="procurement", name="Procurement")
    vendor = make_vendor(team, key="acme-gpu", name="Acme GPU Servers",
                         contacts=[{"name": "Ana Lee", "email": "ana@acme.example", "role": "primary"},
                                   {"name": "Bo Chen", "email": "bo@acme.example", "role": "secondary"}])
    obligation = make_obligation(team, key="bis-audit", title="BIS supply-chain attestation",
                                 rule_date=date(2027, 1, 15))
    scope(obligation, keys=["acme-gpu"])
    request = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.vendor_id == vendor.id))
    token = links.ensure_link(request, SYSTEM)
    return {"team": team, "vendor": vendor, "obligation": obligation, "request": request, "token": token}


def _post(client, token, name="Ana Lee", title="Head of Compliance", confirm=True, files=()):
    data = {"name": name, "title": title, "files": [(io.BytesIO(b), n) for n, b in files]}
    if confirm:
        data["confirm"] = "yes"
    return client.post(f"/respond/{token}", data=data, content_type="multipart/form-data")


def _nothing_stored():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(VendorEvidence)),
            db.session.scalar(sa.select(sa.func.count()).select_from(VendorEvidenceChunk)),
            db.session.scalar(sa.select(sa.func.count()).select_from(VendorAttestation)))


def test_the_page_says_what_by_when_and_why_with_private_headers(client, setup):
    response = client.get(f"/respond/{setup['token']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "BIS supply-chain attestation" in page and "Acme GPU Servers" in page
    assert "Fri 15 Jan 2027" in page and "firm" in page.lower()
    for label in ('>Name</label>', '>Title</label>', '>I confirm</label>', '>Files</label>', '>Submit</button>'):
        assert label in page
    assert 'multiple' in page and 'type="file"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "https://" not in page.split("<body", 1)[0]  # nothing loaded from other sites


def test_a_submission_stores_files_and_attestation_and_then_is_read_only(client, setup):
    pdf, png = pdf_bytes(), png_bytes()
    response = _post(client, setup["token"], files=[("cert.pdf", pdf), ("site.png", png)])
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cert.pdf" in receipt and "site.png" in receipt and "Received" in receipt
    db.session.expire_all()
    evidence = db.session.scalars(sa.select(VendorEvidence).order_by(VendorEvidence.id)).all()
    import hashlib
    assert [(e.filename, e.content_type, e.size, e.sha256) for e in evidence] == [
        ("cert.pdf", "application/pdf", len(pdf), hashlib.sha256(pdf).hexdigest()),
        ("site.png", "image/png", len(png), hashlib.sha256(png).hexdigest())]
    assert db.session.get(VendorRequest, setup["request"].id).status == "submitted"
    receipts = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "vendor_receipt")).all()
    assert sorted(r.recipient for r in receipts) == ["ana@acme.example", "bo@acme.example"]
    again = _post(client, setup["token"], files=[("cert.pdf", pdf)])
    assert again.status_code == 409 and "already answered" in again.get_data(as_text=True)
    assert len(db.session.scalars(sa.select(VendorEvidence)).all()) == 2
    page = client.get(f"/respond/{setup['token']}").get_data(as_text=True)
    assert ">Submit</button>" not in page and "cert.pdf" in page


@pytest.mark.parametrize("files, words", [
    ([("big.txt", b"a" * (MAX_FILE_BYTES + 1))], "“big.txt” is larger than 25 MB"),
    ([("cert.pdf", pdf_bytes()), ("invoice.pdf", HTML_PAGE)], "“invoice.pdf” is not a PDF, PNG"),
    ([("empty.pdf", b"")], "“empty.pdf” is empty"),
])
def test_a_bad_file_refuses_the_whole_submission_and_keeps_what_was_typed(client, setup, files, words):
    response = _post(client, setup["token"], name="Ana Lee", title="CISO", files=files)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert words in page and "Nothing was stored" in page
    assert 'value="Ana Lee"' in page and 'value="CISO"' in page
    assert _nothing_stored() == (0, 0, 0)
    db.session.expire_all()
    assert db.session.get(VendorRequest, setup["request"].id).status == "open"


def test_without_the_attestation_nothing_is_stored(client, setup):
    response = _post(client, setup["token"], confirm=False, files=[("cert.pdf", pdf_bytes())])
    assert response.status_code == 400
    assert "tick “I confirm”" in response.get_data(as_text=True)
    assert _nothing_stored() == (0, 0, 0)


def test_unknown_is_404_and_revoked_replaced_expired_are_410(client, setup):
    request = setup["request"]
    assert client.get("/respond/" + "A" * 43).status_code == 404
    assert client.get("/respond/short").status_code == 404
    new = links.replace_link(request, SYSTEM)
    old = client.get(f"/respond/{setup['token']}")
    assert old.status_code == 410 and "A newer link may have been sent" in old.get_data(as_text=True)
    assert old.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/respond/{new}").status_code == 200
    links.revoke_links(db.session.get(VendorRequest, request.id), SYSTEM)
    assert client.get(f"/respond/{new}").status_code == 410
    fresh = links.ensure_link(db.session.get(VendorRequest, request.id), SYSTEM)
    later = datetime(2027, 1, 15, tzinfo=timezone.utc) + timedelta(days=61)
    assert links.find(fresh, now=later).state == "gone"
    assert links.find(fresh, now=later - timedelta(days=2)).state == "ok"
    stored = db.session.scalars(sa.select(VendorLink)).all()
    assert all(fresh not in (row.digest, row.selector, row.sealed or "") for row in stored)


def test_tokens_are_redacted_from_access_logs(setup):
    line = f'127.0.0.1 - - "GET /respond/{setup["token"]}/receipt HTTP/1.1" 200 -'
    assert setup["token"] not in redact(line) and "/respond/<redacted>" in redact(line)
    encoded = f'"POST %2Frespond%2F{setup["token"]} HTTP/1.1"'
    assert setup["token"] not in redact(encoded)


def test_review_accept_reject_waive_with_reasons_in_the_audit_log(client, setup):
    editor = make_user(role="editor", teams=[setup["team"]])
    _post(client, setup["token"], files=[("cert.pdf", pdf_bytes())])
    login(client, editor)
    rid = setup["request"].id
    page = client.get(f"/vendor-requests/{rid}")
    assert page.status_code == 200 and "cert.pdf" in page.get_data(as_text=True)
    refused = client.post(f"/vendor-requests/{rid}/review", data={"action": "reject", "reason": ""})
    assert refused.status_code == 400 and "say why" in refused.get_data(as_text=True)
    client.post(f"/vendor-requests/{rid}/review", data={"action": "reject", "reason": "The PDF is unsigned"})
    db.session.expire_all()
    request = db.session.get(VendorRequest, rid)
    assert (request.status, request.status_reason) == ("rejected", "The PDF is unsigned")
    notices = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "vendor_rejected")).all()
    assert len(notices) == 2 and all("The PDF is unsigned" in n.body_text for n in notices)
    assert ">Submit</button>" in client.get(f"/respond/{setup['token']}").get_data(as_text=True)  # reopened
    client.post(f"/vendor-requests/{rid}/review", data={"action": "waive", "reason": "Vendor exits the market"})
    db.session.expire_all()
    assert db.session.get(VendorRequest, rid).status == "waived"
    changes = [e.changes.get("status") for e in db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "vendor_request", AuditEntry.entity_id == rid).order_by(AuditEntry.id))]
    assert ["submitted", "rejected"] in changes and ["rejected", "waived"] in changes


def test_evidence_downloads_as_an_attachment_for_signed_in_users_only(client, setup):
    pdf = pdf_bytes()
    _post(client, setup["token"], files=[('cert "final"\r\n.pdf', pdf)])
    evidence = db.session.scalar(sa.select(VendorEvidence))
    assert client.get(f"/vendors/evidence/{evidence.id}").status_code == 302  # to the sign-in page
    login(client, make_user(role="viewer", teams=[setup["team"]]))
    response = client.get(f"/vendors/evidence/{evidence.id}")
    assert response.status_code == 200 and response.data == pdf
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ") and "\r" not in disposition and "\n" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"


def test_api_accept_and_reject_name_the_missing_reason(client, setup, runner):
    user = make_user(role="editor", email="api@example.com", teams=[setup["team"]])
    token = runner.invoke(args=["create-token", user.email, "bot"]).output.strip().split()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    _post(client, setup["token"], files=[("cert.pdf", pdf_bytes())])
    rid = setup["request"].id
    missing = client.post(f"/api/v1/vendor-requests/{rid}/reject", json={}, headers=headers)
    assert missing.status_code == 422 and missing.json["errors"][0]["path"] == "/reason"
    empty = client.post(f"/api/v1/vendor-requests/{rid}/reject", json={"reason": " "}, headers=headers)
    assert empty.status_code == 422 and empty.json["errors"][0]["path"] == "/reason"
    accepted = client.post(f"/api/v1/vendor-requests/{rid}/accept", json={"valid_until": "2027-12-31"},
                           headers=headers)
    assert accepted.status_code == 200, accepted.json
    body = accepted.json
    assert body["status"] == "accepted" and body["attestation"]["signer_name"] == "Ana Lee"
    assert body["evidence"][0]["valid_until"] == "2027-12-31"
    download = client.get(body["evidence"][0]["url"].replace("https://tracker.example.test", ""), headers=headers)
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    document = client.get("/api/v1/openapi.json").json
    assert "/vendor-requests/{request_id}/accept" in str(document["paths"].keys())


def test_accepted_evidence_reopens_when_valid_until_passes(client, setup):
    _post(client, setup["token"], files=[("cert.pdf", pdf_bytes())])
    request = db.session.get(VendorRequest, setup["request"].id)
    review.accept(request, Actor.of(make_user()), valid_until=date(2030, 3, 31),
                  now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert review.reopen_expired(datetime(2030, 3, 31, 20, tzinfo=timezone.utc)) == 0  # still valid that day
    from tracker.jobs.reminder_pass import run_pass

    run_pass(datetime(2030, 4, 1, 9, tzinfo=timezone.utc))  # LA: 1 April, 02:00; nobody acts, the pass does
    db.session.expire_all()
    request = db.session.get(VendorRequest, setup["request"].id)
    assert request.status == "open" and "expired on 2030-03-31" in request.status_reason
    notices = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "vendor_reopened")).all()
    assert len(notices) == 2 and "/respond/" in notices[0].body_text


def test_vendor_link_prints_the_same_url_and_refuses_unknown_keys(runner, setup):
    first = runner.invoke(args=["vendor-link", "acme-gpu", "bis-audit"])
    second = runner.invoke(args=["vendor-link", "acme-gpu", "bis-audit"])
    assert first.exit_code == 0 and first.output == second.output
    assert first.output.strip() == f"https://tracker.example.test/respond/{setup['token']}"
    unknown = runner.invoke(args=["vendor-link", "nobody", "bis-audit"])
    assert unknown.exit_code == 1 and "no vendor with key 'nobody'" in unknown.output
    assert runner.invoke(args=["vendor-link", "acme-gpu", "nothing"]).exit_code == 1


def test_a_large_binary_file_streams_in_and_is_stored_whole(client, setup):
    import hashlib
    import os

    data = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024) + b"\r\n%%EOF\r\n"  # line breaks inside, as real files have
    response = _post(client, setup["token"], files=[("scan.pdf", data)])
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    evidence = db.session.scalar(sa.select(VendorEvidence))
    assert (evidence.size, evidence.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    chunks = db.session.scalar(sa.select(sa.func.count()).select_from(VendorEvidenceChunk))
    assert chunks == 7  # 512 KB each


def test_each_contact_has_a_calendar_feed_of_what_their_company_owes(client, setup):
    from icalendar import Calendar

    from tracker.vendors.contact_feeds import ensure_contact_token

    # Each contact gets their own feed URL in their own mail (tests/integration/test_contact_feeds.py);
    # the shared response page lists none (review 2026-12, item 6).
    assert "/feeds/v/" not in client.get(f"/respond/{setup['token']}").get_data(as_text=True)
    feeds = [f"/feeds/v/{ensure_contact_token(c)}.ics" for c in setup["vendor"].contacts]
    assert len(set(feeds)) == 2  # Ana's and Bo's
    response = client.get(feeds[0])
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(response.data).walk("VEVENT")]
    assert [(str(e["UID"]), e["DTSTART"].dt, str(e["STATUS"])) for e in events] == [
        (f"vendor-request-{setup['request'].id}@deadline-tracker", date(2027, 1, 15), "CONFIRMED")]
    assert "BIS supply-chain attestation" in str(events[0]["SUMMARY"])
    again = client.get(feeds[0], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/feeds/v/" + "B" * 43 + ".ics").status_code == 404
    assert [f"/feeds/v/{ensure_contact_token(c)}.ics" for c in setup["vendor"].contacts] == feeds  # same URLs


def test_send_again_replaces_the_link_and_mails_the_new_one(client, setup):
    import re

    editor = make_user(role="editor", teams=[setup["team"]])
    login(client, editor)
    response = client.post(f"/vendor-requests/{setup['request'].id}/link", data={"action": "resend"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = re.search(r'id="new-link">https://tracker\.example\.test/respond/([A-Za-z0-9_-]{43})<', page).group(1)
    assert client.get(f"/respond/{setup['token']}").status_code == 410
    assert client.get(f"/respond/{new}").status_code == 200
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "vendor_request")).all()
    assert sorted(m.recipient for m in mails) == ["ana@acme.example", "bo@acme.example"]
    # The outbox holds the new link's placeholder, never a token (filled in when sent: test_links_at_rest).
    new_id = db.session.scalar(sa.select(VendorLink.id).where(VendorLink.selector == new[:12]))
    assert all(f"/respond/[link-{new_id}]" in m.body_text for m in mails)
    assert all(new not in m.body_text + m.body_html and new.encode() not in m.mime for m in mails)
    # The audit trail names who re-issued it and how many contacts it went to.
    trail = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "vendor_request",
                                                           AuditEntry.entity_id == setup["request"].id)).all()
    editor_entries = [e.changes["response_link"][1] for e in trail if e.actor == editor.email]
    assert f"link {new_id} created" in editor_entries and f"link {new_id} sent to 2 contact(s)" in editor_entries


def test_a_submission_is_told_to_the_team_channels_that_take_it(client, setup, app):
    from tracker.channels.operations import create_channel
    from tracker.models import ChannelDelivery

    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True
    create_channel(setup["team"], "webhook", "https://127.0.0.1:9/in", SYSTEM,
                   event_types=["vendor_request.submitted"])
    _post(client, setup["token"], files=[("cert.pdf", pdf_bytes())])
    deliveries = db.session.scalars(sa.select(ChannelDelivery)).all()
    assert [d.event_type for d in deliveries] == ["vendor_request.submitted"]
    assert "Acme GPU Servers: BIS supply-chain attestation" in str(deliveries[0].body)


def test_a_body_over_the_route_limit_gets_the_form_and_a_message(client, setup, monkeypatch):
    import tracker.views.respond as respond_view

    monkeypatch.setattr(respond_view, "BODY_LIMIT", 200 * 1024)
    response = _post(client, setup["token"], files=[("a.pdf", pdf_bytes()), ("b.txt", b"x" * 300 * 1024)])
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than this form takes" in page and "Nothing was stored" in page and ">Submit</button>" in page
    assert _nothing_stored() == (0, 0, 0)
