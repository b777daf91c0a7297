"""Events and sources through the API: recording what happened moves the deadlines."""

from __future__ import annotations

from tests.integration.api_helpers import auth, small_register, token_for
from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation


def test_recording_an_occurrence_makes_the_deadline_firm(app, client):
    team, _, enacted, ob = small_register()
    response = client.post(f"/api/v1/events/{enacted.id}/occurred", headers=auth(token_for("editor", teams=[team])),
                           json={"date": "2026-08-06"})
    body = response.get_json()
    assert response.status_code == 200 and body["dry_run"] is False
    assert body["event"]["status"] == "occurred" and body["event"]["date"] == "2026-08-06"
    assert body["changes"][0]["summary"] == "projected 2027-02-28 -> firm 2027-02-02"
    db.session.expire_all()
    assert (db.session.get(Obligation, ob.id).due_state, db.session.get(Obligation, ob.id).revision) == ("firm", 1)


def test_a_dry_run_previews_every_move_and_writes_nothing(app, client):
    _, _, enacted, ob = small_register()
    response = client.post(f"/api/v1/events/{enacted.id}/occurred?dry_run=1", headers=auth(token_for("editor")),
                           json={"date": "2026-08"})
    body = response.get_json()
    assert body["dry_run"] is True
    assert [(c["key"], c["new_due_state"], c["revision"]) for c in body["changes"]] == [
        ("csa-location-verification", "firm", 1)]
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).status == "expected"
    assert db.session.get(Obligation, ob.id).revision == 0
    assert db.session.scalar(db.select(db.func.count(DeadlineHistory.id))) == 0


def test_patching_an_event_can_move_its_estimate_or_withdraw_it(app, client):
    team, _, enacted, ob = small_register()
    token = token_for("editor", teams=[team])
    moved = client.patch(f"/api/v1/events/{enacted.id}", headers=auth(token),
                         json={"date": "2026-Q4", "precision": "quarter"})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["date"], moved.get_json()["date_label"]) == ("2026-Q4", "Q4 2026")
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).revision == 1
    withdrawn = client.patch(f"/api/v1/events/{enacted.id}", headers=auth(token), json={"status": "withdrawn"})
    assert withdrawn.get_json()["status"] == "withdrawn"
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).due_state == "void"
    renamed = client.patch(f"/api/v1/events/{enacted.id}", headers=auth(token), json={"title": "Enactment"})
    assert renamed.get_json()["title"] == "Enactment" and renamed.get_json()["status"] == "withdrawn"


def test_an_expected_event_needs_a_date(app, client):
    _, source, _, _ = small_register()
    response = client.post("/api/v1/events", headers=auth(token_for("editor")), json={
        "key": "eo-signed", "source_id": source.id, "title": "Signed", "status": "expected"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"] == "/date"


def test_sources_and_events_can_be_listed_by_filter(app, client):
    _, source, enacted, _ = small_register()
    token = token_for("viewer")
    events = client.get(f"/api/v1/events?source_id={source.id}&status=expected", headers=auth(token)).get_json()
    assert [e["key"] for e in events["items"]] == [enacted.key]
    sources = client.get("/api/v1/sources?q=chip", headers=auth(token)).get_json()
    assert [s["key"] for s in sources["items"]] == ["chip-security-act"]
    assert client.get("/api/v1/sources?kind=agency_rule", headers=auth(token)).get_json()["items"] == []
