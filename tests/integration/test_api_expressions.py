"""The API's deadline union (earliest/latest, roll) and derived events."""

from __future__ import annotations

from tests.integration.api_helpers import auth, small_register, token_for
from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation


def _derive(client, token, source, enacted, offset=90):
    response = client.post("/api/v1/events", headers=auth(token), json={
        "key": "csa-effective", "source_id": source.id, "title": "Act takes effect",
        "derived": {"from_event_id": enacted.id, "offset": offset, "unit": "days"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_derived_event_is_created_and_the_chain_moves_when_the_root_is_recorded(app, client):
    team, source, enacted, _ = small_register()
    token = token_for("editor", teams=[team])
    effective = _derive(client, token, source, enacted)
    assert effective["derived"] == {"from_event_id": enacted.id, "offset": 90, "unit": "days", "calendar": None}
    assert (effective["status"], effective["date"]) == ("expected", "2026-11-30")
    created = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "after-effect", "title": "One year after the effective date", "team_id": team.id,
        "deadline": {"rule": "relative", "anchor_event_id": effective["id"], "offset": 12, "unit": "months"}})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["due_date"] == "2027-11-30"

    preview = client.post(f"/api/v1/events/{enacted.id}/occurred?dry_run=1", headers=auth(token),
                          json={"date": "2026-12-03"}).get_json()
    assert preview["derived_events"] == [
        "Act takes effect (90 days after Chip Security Act enacted): projected 2026-11-30 -> firm 2027-03-03"]
    moved = {c["key"]: c for c in preview["changes"]}
    assert moved["after-effect"]["via"] == ("Chip Security Act enacted recorded as occurred on 2026-12-03 -> "
                                            "Act takes effect 2027-03-03 (90 days after)")
    recorded = client.post(f"/api/v1/events/{enacted.id}/occurred", headers=auth(token), json={"date": "2026-12-03"})
    assert recorded.status_code == 200
    db.session.expire_all()
    assert db.session.get(Event, effective["id"]).occurred_on.isoformat() == "2027-03-03"
    ob = db.session.get(Obligation, created.get_json()["id"])
    assert (ob.due_date.isoformat(), ob.due_state) == ("2028-03-03", "firm")
    reason = db.session.scalars(db.select(DeadlineHistory.reason).where(DeadlineHistory.obligation_id == ob.id)).one()
    assert reason == ("Chip Security Act enacted recorded as occurred on 2026-12-03 -> Act takes effect 2027-03-03 "
                      "(90 days after): projected 2027-11-30 -> firm 2028-03-03")


def test_a_latest_rule_with_a_roll_round_trips_through_the_api(app, client):
    team, _, enacted, _ = small_register()
    token = token_for("editor", teams=[team])
    deadline = {"rule": "latest", "roll": "following", "of": [
        {"rule": "fixed", "date": "2027-01-01"},
        {"rule": "relative", "anchor_event_id": enacted.id, "offset": 180}]}
    created = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "later-of", "title": "Later of", "team_id": team.id, "deadline": deadline})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    # 2026-09-01 + 180 days = 2027-02-28, a Sunday: rolled to Monday 2027-03-01.
    assert (body["due_date"], body["due_state"]) == ("2027-03-01", "projected")
    assert body["deadline"]["rule"] == "latest" and body["deadline"]["roll"] == "following"
    assert [p["rule"] for p in body["deadline"]["of"]] == ["fixed", "relative"]
    assert body["deadline"]["of"][1]["anchor_event_id"] == enacted.id
    assert enacted.id in body["event_ids"]


def test_bad_expressions_are_refused_with_the_field_path_and_the_reason(app, client):
    team, source, enacted, _ = small_register()
    token = token_for("editor", teams=[team])
    unknown = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "bad", "title": "Bad", "team_id": team.id, "deadline": {"rule": "earliest", "of": [
            {"rule": "fixed", "date": "2027-01-01"}, {"rule": "relative", "anchor_event_id": 9999, "offset": 1}]}})
    assert unknown.status_code == 422
    assert {"field": "/deadline/of/1/anchor_event_id", "reason": "unknown event 9999"} in [
        {"field": e["path"], "reason": e["message"]} for e in unknown.get_json()["errors"]]
    calendar = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "bad2", "title": "Bad", "team_id": team.id, "deadline": {"rule": "earliest", "of": [
            {"rule": "fixed", "date": "2027-01-01", "calendar": "US"}, {"rule": "fixed", "date": "2027-02-01"}]}})
    assert calendar.status_code == 422
    assert calendar.get_json()["errors"][0]["path"] == "/deadline/of/0/calendar"
    assert "only used with a roll" in calendar.get_json()["errors"][0]["message"]
    one_part = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "bad3", "title": "Bad", "team_id": team.id, "deadline": {"rule": "latest", "of": [
            {"rule": "fixed", "date": "2027-01-01"}]}})
    assert one_part.status_code == 422
    effective = _derive(client, token, source, enacted)
    etag = client.get(f"/api/v1/events/{enacted.id}", headers=auth(token)).headers["ETag"]
    cycle = client.patch(f"/api/v1/events/{enacted.id}", headers=auth(token, **{"If-Match": etag}), json={
        "derived": {"from_event_id": effective["id"], "offset": 1}})
    assert cycle.status_code == 422
    assert cycle.get_json()["errors"][0]["path"] == "/derived/from_event_id"
    assert cycle.get_json()["errors"][0]["message"] == ("derived events would form a cycle: "
                                                        "'Chip Security Act enacted' -> 'Act takes effect' -> "
                                                        "'Chip Security Act enacted'")
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).derived_from_event_id is None


def test_the_openapi_document_describes_the_deadline_union(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    text = str(document)
    for name in ("EarliestRule", "LatestRule", "Derived"):
        assert name in text
    assert "following" in text and "preceding" in text
