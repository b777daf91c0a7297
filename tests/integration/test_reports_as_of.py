"""An as-of report against what the register showed on that day, over several days of changes.

Each day the test reads the register through the API (what a user saw that day)
and changes it through the API; at the end it asks for as-of reports of every
day and compares them with what was seen.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.integration.api_helpers import auth, token_for
from tests.report_support import pdf_text, sheet_rows, workbook
from tests.vendor_files import pdf_bytes
from tests.vendor_support import make_vendor, scope
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Obligation, VendorRequest
from tracker.vendors import review
from tracker.vendors.submissions import submit
from tracker.vendors.uploads import Upload


def _seen(client, token) -> dict[str, tuple]:
    """The procurement team's obligations as the API shows them now: title -> (owner, due, state, status)."""
    body = client.get("/api/v1/obligations?team=procurement&limit=200", headers=auth(token)).get_json()
    return {ob["title"]: ((ob["owner"] or {}).get("email", ""), ob["due_date"], ob["due_state"], ob["status"])
            for ob in body["items"]}


def _reported(client, token, day: str) -> dict[str, tuple]:
    response = client.get(f"/api/v1/reports/xlsx?team=procurement&as_of={day}", headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    statuses = {"Open": "open", "In progress": "in_progress", "Done": "done", "Waived": "waived"}
    return {row["Title"]: (row["Owner"] or "", row["Due date"].date().isoformat() if row["Due date"] else None,
                           row["Due state"], statuses[row["Status"]])
            for row in sheet_rows(workbook(response.data), "Obligations")}


def test_an_as_of_report_shows_what_the_register_showed_at_the_end_of_that_day(app, client, clock):
    # Day 1: the register as it starts.
    procurement, legal = make_team(key="procurement", name="Procurement"), make_team(key="legal", name="Legal")
    ana = make_user(email="ana@example.com", teams=[procurement], password=None)
    bo = make_user(email="bo@example.com", teams=[procurement], password=None)
    source = make_source(key="chip-act", title="Chip Act")
    enacted = make_event(source=source, key="chip-enacted", title="Chip Act enacted", on=date(2027, 3, 1))
    verify = make_obligation(team=procurement, rule="relative", anchor=enacted, rule_offset=30, key="verify",
                             title="Verify locations", owner_id=ana.id)
    cert = make_obligation(team=procurement, key="cert", title="File certificate", rule_date=date(2027, 1, 15))
    handover = make_obligation(team=procurement, key="handover", title="Hand over to legal",
                               rule_date=date(2027, 2, 1))
    attest = make_obligation(team=procurement, key="attest", title="Collect attestations",
                             rule_date=date(2027, 2, 1))
    vendor = make_vendor(procurement, key="acme", name="Acme")
    scope(attest, keys=["acme"])
    token = token_for("editor", teams=[procurement, legal])
    seen = {"2026-11-29": _seen(client, token)}

    # Day 2: work moves on; the enactment is recorded; a vendor answers.
    clock.move_to("2026-11-30T15:00:00Z")
    assert client.post(f"/api/v1/obligations/{cert.id}/status", headers=auth(token),
                       json={"status": "in_progress"}).status_code == 200
    assert client.patch(f"/api/v1/obligations/{verify.id}", headers=auth(token),
                        json={"owner_id": bo.id}).status_code == 200
    assert client.post(f"/api/v1/events/{enacted.id}/occurred", headers=auth(token),
                       json={"date": "2027-02-10"}).status_code == 200
    request = db.session.scalar(db.select(VendorRequest).where(VendorRequest.obligation_id == attest.id))
    content = pdf_bytes()
    submit(request, "Ana Lee", "CEO", True, [Upload("acme-soc2.pdf", io.BytesIO(content), len(content))])
    seen["2026-11-30"] = _seen(client, token)

    # Day 3: done, renamed, moved to another team, one deleted, one added; the answer accepted.
    clock.move_to("2026-12-01T09:00:00Z")
    assert client.post(f"/api/v1/obligations/{cert.id}/status", headers=auth(token),
                       json={"status": "done"}).status_code == 200
    assert client.patch(f"/api/v1/obligations/{verify.id}", headers=auth(token),
                        json={"title": "Verify chip locations"}).status_code == 200
    assert client.patch(f"/api/v1/obligations/{handover.id}", headers=auth(token),
                        json={"team_id": legal.id}).status_code == 200
    assert client.delete(f"/api/v1/obligations/{attest.id}", headers=auth(token)).status_code == 204
    assert client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "new", "title": "Added on day three", "team_id": procurement.id,
        "deadline": {"rule": "fixed", "date": "2027-05-01"}}).status_code == 201
    seen["2026-12-01"] = _seen(client, token)

    # Day 5: the reports of each past day, and of today.
    clock.move_to("2026-12-03T08:00:00Z")
    for day, expected in seen.items():
        assert _reported(client, token, day) == expected, day
    assert seen["2026-11-29"]["Verify locations"] == ("ana@example.com", "2027-03-31", "projected", "open")
    assert seen["2026-11-30"]["Verify locations"] == ("bo@example.com", "2027-03-12", "firm", "open")
    assert "Hand over to legal" not in seen["2026-12-01"] and "Added on day three" in seen["2026-12-01"]

    # The PDF of day 2: its banner, the evidence then (no valid-until yet), and what came later absent.
    review.accept(db.session.get(VendorRequest, request.id), SYSTEM, valid_until=date(2027, 12, 1))
    response = client.get("/api/v1/reports/pdf?team=procurement&as_of=2026-11-30", headers=auth(token))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "As of the end of 2026-11-30 (UTC)" in text and "Items added later are absent" in text
    assert "Collect attestations" in text and "acme-soc2.pdf" in text and "2027-12-01" not in text
    assert "Added on day three" not in text and "Verify chip locations" not in text
    assert ("anchor event 'Chip Act enacted' recorded as occurred on 2027-02-10: projected 2027-03-31 -> "
            "firm 2027-03-12") in text  # why this date: the deadline history's reason
    today = workbook(client.get("/api/v1/reports/xlsx?team=procurement", headers=auth(token)).data)
    evidence = sheet_rows(today, "Evidence")
    assert evidence == []  # the attestation obligation was deleted on day three
    later = workbook(client.get("/api/v1/reports/xlsx?vendor=acme&as_of=2026-11-30", headers=auth(token)).data)
    requests = sheet_rows(later, "Requests")
    assert [(r["Obligation"], r["Status"]) for r in requests] == [("Collect attestations", "Submitted")]
    assert sheet_rows(later, "Evidence")[0]["Valid until"] is None
    assert isinstance(sheet_rows(later, "Evidence")[0]["Added (UTC)"], datetime)
    assert vendor.key == "acme"


def test_a_regulation_report_of_a_past_day_follows_the_links_as_they_were(app, client, clock):
    team = make_team(key="procurement", name="Procurement")
    source = make_source(key="chip-act", title="Chip Act")
    enacted = make_event(source=source, key="chip-enacted", title="Chip Act enacted", on=date(2027, 3, 1))
    linked = make_obligation(team=team, key="linked", title="Linked at first", rule_date=date(2027, 1, 15),
                             event_ids=[enacted.id])
    make_obligation(team=team, key="later", title="Linked later", rule_date=date(2027, 2, 1))
    token = token_for("editor", teams=[team])
    clock.move_to("2026-11-30T15:00:00Z")
    later = db.session.scalar(db.select(Obligation).where(Obligation.key == "later"))
    assert client.patch(f"/api/v1/obligations/{linked.id}", headers=auth(token),
                        json={"event_ids": []}).status_code == 200
    assert client.patch(f"/api/v1/obligations/{later.id}", headers=auth(token),
                        json={"event_ids": [enacted.id]}).status_code == 200

    def titles(query):
        response = client.get(f"/api/v1/reports/xlsx?source=chip-act{query}", headers=auth(token))
        assert response.status_code == 200
        return [row["Title"] for row in sheet_rows(workbook(response.data), "Obligations")]

    assert titles("&as_of=2026-11-29") == ["Linked at first"]
    assert titles("") == ["Linked later"]
