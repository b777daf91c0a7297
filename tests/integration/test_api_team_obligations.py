"""Roles per team over bearer tokens (issue 23): a token writes a team's obligations, and records or
moves an event whose deadlines belong to a team, only when its user is editor of that team (or admin).
An editor (or a viewer) of another team gets a 403 problem that names the team, and nothing changes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.factories import make_event, make_obligation, make_source, make_team
from tests.integration.api_helpers import auth, expect_problem, token_for
from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation


def _world(team) -> dict:
    source = make_source()
    event = make_event(source=source, status="expected", on=date(2027, 3, 1))
    relative = make_obligation(team=team, rule="relative", anchor=event, rule_offset=30)
    fixed = make_obligation(team=team, rule_date=date(2027, 4, 1))
    return {"team": team, "event": event, "relative": relative, "fixed": fixed}


# (name, success status, prepare(world) -> (method, url, body))
CASES = [
    ("create obligation", 201, lambda w: ("POST", "/api/v1/obligations", {
        "key": f"new-{w['fixed'].id}", "title": "New", "team_id": w["team"].id,
        "deadline": {"rule": "fixed", "date": "2027-05"}})),
    ("edit obligation", 200, lambda w: ("PATCH", f"/api/v1/obligations/{w['fixed'].id}", {"title": "Edited"})),
    ("change status", 200, lambda w: ("POST", f"/api/v1/obligations/{w['fixed'].id}/status",
                                      {"status": "in_progress"})),
    ("delete obligation", 204, lambda w: ("DELETE", f"/api/v1/obligations/{w['fixed'].id}", None)),
    ("record an occurrence", 200, lambda w: ("POST", f"/api/v1/events/{w['event'].id}/occurred",
                                             {"date": "2027-02-01"})),
    ("move an estimate", 200, lambda w: ("PATCH", f"/api/v1/events/{w['event'].id}",
                                         {"date": "2027-Q2", "precision": "quarter"})),
]


def _state(w) -> tuple:
    db.session.expire_all()
    fixed, relative = db.session.get(Obligation, w["fixed"].id), db.session.get(Obligation, w["relative"].id)
    return (fixed.title, fixed.status, fixed.deleted_at, relative.due_date, relative.revision,
            db.session.get(Event, w["event"].id).status, db.session.scalar(db.select(db.func.count(Obligation.id))),
            db.session.scalar(db.select(db.func.count(DeadlineHistory.id))))


@pytest.mark.parametrize("name,success,prepare", CASES, ids=[case[0] for case in CASES])
def test_only_editors_of_the_team_write_its_obligations_and_move_its_deadlines(app, client, name, success,
                                                                               prepare):
    team_a, team_b = make_team(name="Export Compliance"), make_team(name="Procurement")
    tokens = {"editor of A": token_for("editor", teams=[team_a]), "viewer of B": token_for("viewer", teams=[team_b]),
              "editor of B": token_for("editor", teams=[team_b]), "admin": token_for("admin")}
    for who, token in tokens.items():
        world = _world(team_b)
        method, url, body = prepare(world)
        before = _state(world)
        response = client.open(url, method=method, headers=auth(token, **{"If-Match": "*"}),
                               data=json.dumps(body) if body is not None else None,
                               content_type="application/json" if body is not None else None)
        if who in ("editor of B", "admin"):
            assert response.status_code == success, (who, response.get_json())
            assert _state(world) != before, who
            continue
        problem = expect_problem(response, 403)
        if who == "editor of A":  # the viewer is refused by its role before any team is looked at
            assert "Procurement" in problem["detail"] and "editor role" in problem["detail"], problem
        assert _state(world) == before, who  # nothing written


def test_an_editor_of_both_teams_may_move_an_obligation_between_them(app, client):
    team_a, team_b = make_team(name="Export Compliance"), make_team(name="Procurement")
    ob = make_obligation(team=team_b)
    only_b, both = token_for("editor", teams=[team_b]), token_for("editor", teams=[team_a, team_b])
    url = f"/api/v1/obligations/{ob.id}"
    refused = expect_problem(client.patch(url, headers=auth(only_b), json={"team_id": team_a.id}), 403)
    assert "Export Compliance" in refused["detail"]
    moved = client.patch(url, headers=auth(both), json={"team_id": team_a.id})
    assert moved.status_code == 200 and moved.get_json()["team"]["id"] == team_a.id, moved.get_json()


def test_an_event_that_moves_no_deadline_is_recorded_by_any_editor(app, client):
    make_team()
    lone = make_event(status="expected", on=date(2027, 3, 1))
    token = token_for("editor", teams=[make_team()])
    response = client.post(f"/api/v1/events/{lone.id}/occurred", headers=auth(token), json={"date": "2027-02-01"})
    assert response.status_code == 200 and response.get_json()["changes"] == []


def test_a_dry_run_shows_the_moves_to_an_editor_of_another_team(app, client):
    """Reading what would move is open to every signed-in user; only writing it is refused."""
    team_a, team_b = make_team(), make_team()
    w = _world(team_b)
    token = token_for("editor", teams=[team_a])
    dry = client.post(f"/api/v1/events/{w['event'].id}/occurred?dry_run=1", headers=auth(token),
                      json={"date": "2027-02-01"})
    assert dry.status_code == 200 and len(dry.get_json()["changes"]) == 1
