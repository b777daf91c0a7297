"""Deadline expressions in the UI: derived events, earliest/latest and roll in the forms, the live explanation."""

from __future__ import annotations

from datetime import date

from tests.factories import login, make_event, make_source, make_team, make_user
from tracker.db import db
from tracker.models import Event, Obligation


def _act():
    source = make_source(key="csa", title="Chip Security Act")
    enacted = make_event(source, status="expected", on=date(2027, 1, 1), precision="month", key="csa-enacted",
                         title="Chip Security Act enacted")
    return source, enacted


def test_an_editor_makes_a_derived_event_and_its_page_shows_the_chain(client):
    source, enacted = _act()
    login(client, make_user(role="editor"))
    response = client.post("/events/new", data={"source_id": source.id, "key": "csa-effective",
                                                "title": "Act takes effect", "status": "expected", "date": "",
                                                "derived_from_event_id": enacted.id, "derived_offset": "90",
                                                "derived_unit": "days"})
    assert response.status_code == 302
    effective = db.session.scalar(db.select(Event).filter_by(key="csa-effective"))
    page = client.get(f"/events/{effective.id}").get_data(as_text=True)
    assert "90 days after Chip Security Act enacted (expected January 2027) = 2027-04-01, projected" in page
    assert "Record what happened" not in page
    root = client.get(f"/events/{enacted.id}").get_data(as_text=True)
    assert "Events whose date follows this one" in root and "Act takes effect" in root


def test_a_cycle_in_the_event_form_is_a_field_error_and_keeps_the_input(client):
    source, enacted = _act()
    login(client, make_user(role="editor"))
    client.post("/events/new", data={"source_id": source.id, "key": "csa-effective", "title": "Act takes effect",
                                     "status": "expected", "derived_from_event_id": enacted.id,
                                     "derived_offset": "90", "derived_unit": "days"})
    effective = db.session.scalar(db.select(Event).filter_by(key="csa-effective"))
    response = client.post(f"/events/{enacted.id}/edit", data={
        "source_id": source.id, "key": "csa-enacted", "title": "Renamed enactment",
        "derived_from_event_id": effective.id, "derived_offset": "7", "derived_unit": "days"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Derived events would form a cycle: &#39;Renamed enactment&#39; -&gt; &#39;Act takes effect&#39;" in page and 'value="Renamed enactment"' in page
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).title == "Chip Security Act enacted"


def test_the_deadline_form_saves_a_latest_rule_with_a_roll(client):
    _, enacted = _act()
    team = make_team()
    login(client, make_user(role="editor", teams=[team]))
    response = client.post("/obligations/new", data={
        "key": "later-of", "title": "Later of", "team_id": team.id, "rule": "latest", "rule_roll": "following",
        "parts-0-kind": "fixed", "parts-0-date": "2027-06-05",
        "parts-1-kind": "relative", "parts-1-anchor_event_id": enacted.id, "parts-1-offset": "30",
        "parts-1-unit": "days"})
    assert response.status_code == 302, response.get_data(as_text=True)
    ob = db.session.scalar(db.select(Obligation).filter_by(key="later-of"))
    # 2027-06-05 is a Saturday: rolled to Monday 2027-06-07.
    assert (ob.due_date, ob.due_state, ob.rule_combination) == (date(2027, 6, 7), "projected", "latest")
    page = client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert "The later of 2027-06-05 and 30 days after Chip Security Act enacted" in page
    assert "rolled to Monday 2027-06-07" in page
    edit = client.get(f"/obligations/{ob.id}/edit").get_data(as_text=True)
    assert 'value="2027-06-05"' in edit and '<option selected value="latest">' in edit


def test_a_bad_part_is_shown_at_its_field_and_nothing_is_stored(client):
    team = make_team()
    login(client, make_user(role="editor", teams=[team]))
    response = client.post("/obligations/new", data={
        "key": "bad", "title": "Keep me", "team_id": team.id, "rule": "earliest",
        "parts-0-kind": "fixed", "parts-0-date": "2027-13-01", "parts-1-kind": "fixed", "parts-1-date": "2027-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="parts-0-date-error"' in page and 'value="2027-13-01"' in page and 'value="Keep me"' in page
    assert db.session.scalar(db.select(Obligation).filter_by(key="bad")) is None


def test_the_live_explanation_endpoint_explains_the_rule_being_built(client):
    _, enacted = _act()
    login(client, make_user(role="viewer"))
    body = client.get("/obligations/explain", query_string={
        "rule": "latest", "parts-0-kind": "fixed", "parts-0-date": "2027-01-01", "parts-1-kind": "relative",
        "parts-1-anchor_event_id": enacted.id, "parts-1-offset": "180", "parts-1-unit": "days"}).get_json()
    assert body["ok"] and body["due_date"] == "2027-06-30"
    assert body["explanation"].startswith("The later of 2027-01-01 and 180 days after Chip Security Act enacted")
    bad = client.get("/obligations/explain", query_string={"rule": "fixed", "rule_date": "2026-07-05",
                                                           "rule_roll": "sideways"}).get_json()
    assert not bad["ok"] and "rule_roll" in bad["errors"]
    rolled = client.get("/obligations/explain", query_string={"rule": "fixed", "rule_date": "2026-07-05",
                                                              "rule_roll": "following"}).get_json()
    assert "2026-07-05 is a Sunday: rolled to Monday 2026-07-06" in rolled["explanation"]
