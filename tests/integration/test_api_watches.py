"""Watches and proposals through /api/v1, as the SPEC fixes them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tracker.db import db
from tracker.models import DeadlineHistory, Event, Proposal
from tests.integration.api_helpers import auth, expect_problem, token_for
from tests.watch_support import GivenProvider, committee, enacted, poll, watched_bill


def test_watches_are_created_read_edited_and_removed_through_the_api(client, app):
    watch, _, _, team, _ = watched_bill()
    source_id = watch.source_id
    editor = token_for("editor", teams=[team])  # an editor of the team whose deadlines the source drives
    listed = client.get(f"/api/v1/sources/{source_id}/watches", headers=auth(editor)).get_json()
    assert listed["items"][0]["stages"] == {"passed_committee": "csa-committee", "enacted": "csa-enacted"}
    assert listed["items"][0]["status"] == "new" and listed["items"][0]["kind"] == "bill"
    created = client.post(f"/api/v1/sources/{source_id}/watches", headers=auth(editor), json={
        "provider": "federal_register", "docket": "BIS-2026-0001", "stages": {"effective": "csa-enacted"}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["item"] == "BIS-2026-0001" and body["links"]["self"] == created.headers["Location"]
    bad = client.post(f"/api/v1/sources/{source_id}/watches", headers=auth(editor), json={
        "provider": "congress", "bill": "119-hr-3448", "stages": {"enacted": "no-such-event", "adopted": "csa-enacted"}})
    problem = expect_problem(bad, 422)
    assert {e["path"] for e in problem["errors"]} == {"/stages/enacted", "/stages/adopted"}
    assert "not an event of this source" in problem["errors"][0]["message"] or \
        "not an event of this source" in problem["errors"][1]["message"]
    duplicate = client.post(f"/api/v1/sources/{source_id}/watches", headers=auth(editor), json={
        "provider": "congress", "bill": "119-HR-3447"})
    expect_problem(duplicate, 409)
    patched = client.patch(f"/api/v1/watches/{body['id']}", headers=auth(editor), json={"auto_apply": True})
    assert patched.get_json()["auto_apply"] is True
    viewer = token_for("viewer")
    expect_problem(client.delete(f"/api/v1/watches/{body['id']}", headers=auth(viewer)), 403)
    assert client.delete(f"/api/v1/watches/{body['id']}", headers=auth(editor)).status_code == 204


def test_proposals_list_accept_and_reject(client, app):
    _, _, _, team, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(date(2026, 12, 3))]
    poll(provider)
    viewer, editor = token_for("viewer"), token_for("editor", teams=[team])  # editor of the team it moves
    page = client.get("/api/v1/proposals?status=open", headers=auth(viewer)).get_json()
    assert [p["event"] for p in page["items"]] == ["csa-committee", "csa-enacted"]
    enactment = page["items"][1]
    assert enactment["source"] == "chip-security-act"
    assert enactment["change"] == {"status": "occurred", "date": "2026-12-03"}
    assert enactment["observed"]["provider"] == "congress"
    assert enactment["observed"]["text"] == "Became Public Law No: 119-52."
    assert enactment["observed"]["url"].startswith("https://www.congress.gov/")
    assert len(enactment["moves"]) == 3 and enactment["moves"][0]["new_due_state"] == "firm"
    expect_problem(client.post(f"/api/v1/proposals/{enactment['id']}/accept", headers=auth(viewer)), 403)
    accepted = client.post(f"/api/v1/proposals/{enactment['id']}/accept", headers=auth(editor))
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert len(accepted.get_json()["moves"]) == 3
    db.session.expire_all()
    assert db.session.scalar(select(Event.status).where(Event.key == "csa-enacted")) == "occurred"
    reasons = db.session.scalars(select(DeadlineHistory.reason)).all()
    assert all(r.startswith("Congress.gov: Became Public Law No: 119-52 (2026-12-03)") for r in reasons)
    expect_problem(client.post(f"/api/v1/proposals/{enactment['id']}/accept", headers=auth(editor)), 409)
    rejected = client.post(f"/api/v1/proposals/{page['items'][0]['id']}/reject", headers=auth(editor))
    assert rejected.get_json()["status"] == "rejected"
    assert [p["event"] for p in client.get("/api/v1/proposals?status=rejected", headers=auth(viewer))
            .get_json()["items"]] == ["csa-committee"]
    expect_problem(client.get("/api/v1/proposals?status=maybe", headers=auth(viewer)), 422)
    expect_problem(client.post("/api/v1/proposals/999/accept", headers=auth(editor)), 404)
    assert db.session.scalar(select(Proposal.status).where(Proposal.id == page["items"][0]["id"])) == "rejected"


def test_the_openapi_document_describes_watches_and_proposals(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/proposals", "/api/v1/proposals/{proposal_id}/accept", "/api/v1/proposals/{proposal_id}/reject",
            "/api/v1/sources/{source_id}/watches", "/api/v1/watches/{watch_id}"} <= set(document["paths"])
    proposal = document["components"]["schemas"]["ProposalOut"]
    assert {"id", "source", "event", "change", "observed", "moves"} <= set(proposal["properties"])
