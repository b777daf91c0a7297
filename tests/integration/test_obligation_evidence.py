"""Evidence on our own obligations: sniffed files with SHA-256, links, expiry, "marking done needs evidence"."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_obligation, make_team, make_user
from tests.grouping_support import at
from tests.vendor_files import pdf_bytes
from tracker.audit import SYSTEM, Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.evidence.operations import add_link, set_done_needs_evidence
from tracker.jobs.reminder_pass import run_pass
from tracker.models import AuditEntry, Obligation, ObligationEvidence, ObligationEvidenceChunk
from tracker.register.obligations import set_status
from tracker.vendors.uploads import MAX_FILE_BYTES


@pytest.fixture
def smtp(smtp_server):
    return smtp_server  # started; each test points the app at it when it should send


def editor_on(client, team):
    user = make_user(teams=[team])
    login(client, user)
    return user


def test_a_file_is_stored_with_its_sha256_shown_and_downloaded_as_an_attachment(client, clock):
    # "Valid until 2027-06-30" must be ahead of the clock the page reads: pinned (2026-11-29).
    team = make_team()
    editor_on(client, team)
    ob = make_obligation(team=team)
    data = pdf_bytes("Board approval")
    response = client.post(f"/obligations/{ob.id}/evidence", data={
        "file": (io.BytesIO(data), "board approval.pdf"), "title": "Board approval", "valid_until": "2027-06-30"},
        content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    digest = hashlib.sha256(data).hexdigest()
    assert "Evidence added." in page and digest in page and "valid until 2027-06-30" in page
    evidence = db.session.scalar(select(ObligationEvidence))
    assert (evidence.kind, evidence.content_type, evidence.size, evidence.sha256) == (
        "file", "application/pdf", len(data), digest)
    download = client.get(f"/obligations/evidence/{evidence.id}")
    assert download.data == data and download.headers["Content-Disposition"].startswith("attachment;")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evidence")).one()
    assert entry.changes["evidence"][1]["sha256"] == digest


@pytest.mark.parametrize("name, data, reason", [
    ("page.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "is not a PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text file"),
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES, "is larger than 25 MB"),
    ("empty.pdf", b"", None),
])
def test_a_refused_file_is_a_field_error_and_nothing_is_stored(client, name, data, reason):
    team = make_team()
    editor_on(client, team)
    ob = make_obligation(team=team)
    page = client.post(f"/obligations/{ob.id}/evidence", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Evidence not added:" in page
    if reason:
        assert reason in page
    assert db.session.scalar(select(func.count()).select_from(ObligationEvidence)) == 0
    assert db.session.scalar(select(func.count()).select_from(ObligationEvidenceChunk)) == 0


def test_a_link_needs_an_http_address_and_a_valid_date(client, clock):
    team = make_team()
    editor_on(client, team)
    ob = make_obligation(team=team)
    page = client.post(f"/obligations/{ob.id}/evidence", data={"url": "javascript:alert(1)"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Evidence not added: url:" in page
    page = client.post(f"/obligations/{ob.id}/evidence", data={"url": "https://docs.example.org/1",
                                                               "valid_until": "2027-02-30"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Evidence not added: valid until:" in page
    client.post(f"/obligations/{ob.id}/evidence", data={"url": "https://docs.example.org/1", "title": "Ticket"})
    assert db.session.scalar(select(ObligationEvidence.url)) == "https://docs.example.org/1"


def test_when_the_team_says_so_marking_done_needs_evidence(app):
    team = make_team()
    editor = make_user(teams=[team])
    ob = make_obligation(team=team)
    set_done_needs_evidence(team, True, SYSTEM)
    with pytest.raises(ValidationFailed) as refused:
        set_status(ob, "done", Actor.of(editor))
    assert "requires evidence" in refused.value.errors["status"]
    assert db.session.get(Obligation, ob.id).status == "open"
    add_link(ob, "https://docs.example.org/approval", editor, Actor.of(editor))
    set_status(db.session.get(Obligation, ob.id), "done", Actor.of(editor))
    assert db.session.get(Obligation, ob.id).status == "done"


def test_the_status_form_shows_the_evidence_rule_as_a_field_error(client):
    team = make_team()
    editor_on(client, team)
    set_done_needs_evidence(team, True, SYSTEM)
    ob = make_obligation(team=team)
    response = client.post(f"/obligations/{ob.id}/status", data={"status": "done"})
    assert response.status_code == 400
    assert "requires evidence before an obligation is marked done" in response.get_data(as_text=True)


def test_expired_evidence_reopens_a_done_obligation_and_tells_its_owner(app, clock, smtp):
    clock.move_to(at("2026-06-01T08:00:00+00:00"))
    team = make_team(timezone="UTC")
    team.digest_weekday = None
    owner = make_user(teams=[team], name="Owner")
    db.session.commit()
    ob = make_obligation(team=team, title="Screening procedure", owner_id=owner.id, rule_date=date(2026, 12, 1))
    add_link(ob, "https://docs.example.org/screening", owner, Actor.of(owner), title="Procedure v3",
             valid_until=date(2026, 6, 10))
    set_status(db.session.get(Obligation, ob.id), "done", Actor.of(owner))
    smtp.configure(app)
    run_pass(at("2026-06-10T12:00:00+00:00"))  # still valid today
    assert db.session.get(Obligation, ob.id).status == "done"
    run_pass(at("2026-06-11T08:00:00+00:00"))
    db.session.expire_all()
    reopened = db.session.get(Obligation, ob.id)
    assert reopened.status == "open" and "Procedure v3" in reopened.status_note
    told = [m for m in smtp.messages if "reopened" in str(m["Subject"])]
    assert len(told) == 1 and told[0]["To"].addresses[0].addr_spec == owner.email
    run_pass(at("2026-06-12T08:00:00+00:00"))  # once
    assert len([m for m in smtp.messages if "reopened" in str(m["Subject"])]) == 1
