"""The API of managing the work: owner, priority, tags, filters, bulk changes, saved views."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_obligation, make_team, make_user
from tests.integration.api_helpers import auth, expect_problem, token_for
from tracker.db import db
from tracker.models import AuditEntry, Obligation, WorkNotice


def test_create_with_owner_email_priority_and_tags_and_filter_by_them(client):
    team = make_team(key="export")
    dana = make_user(email="dana@example.com", teams=[team])
    token = token_for("editor", teams=[team])
    body = {"key": "screening", "title": "Screening procedure", "team_id": team.id, "owner": "Dana@Example.com",
            "priority": "high", "tags": ["Export-Control", "board"],
            "deadline": {"rule": "fixed", "date": "2027-01-15"}}
    created = client.post("/api/v1/obligations", json=body, headers=auth(token))
    assert created.status_code == 201, created.get_json()
    out = created.get_json()
    assert (out["owner"]["email"], out["priority"], out["tags"]) == ("dana@example.com", "high",
                                                                      ["board", "export-control"])
    make_obligation(team=team, key="other")
    listed = client.get("/api/v1/obligations?tag=board&priority=high&owner=dana@example.com", headers=auth(token))
    assert [item["key"] for item in listed.get_json()["items"]] == ["screening"]
    unassigned = client.get("/api/v1/obligations?owner=none", headers=auth(token))
    assert [item["key"] for item in unassigned.get_json()["items"]] == ["other"]
    # The new owner is told at the next pass.
    assert db.session.scalars(select(WorkNotice.recipient_id)).all() == [dana.id]


def test_an_owner_outside_the_team_is_refused_with_the_field(client):
    team, other = make_team(), make_team()
    make_user(email="outsider@example.com", teams=[other])
    ob = make_obligation(team=team)
    token = token_for("editor", teams=[team])
    read = client.get(f"/api/v1/obligations/{ob.id}", headers=auth(token))
    response = client.put(f"/api/v1/obligations/{ob.id}/owner", json={"owner": "outsider@example.com"},
                          headers=auth(token, **{"If-Match": read.headers["ETag"]}))
    problem = expect_problem(response, 422)
    assert problem["errors"][0]["path"] == "/owner" and "not a member" in problem["errors"][0]["message"]
    bad_tags = client.patch(f"/api/v1/obligations/{ob.id}", json={"tags": ["no spaces allowed"]},
                            headers=auth(token, **{"If-Match": read.headers["ETag"]}))
    expect_problem(bad_tags, 422)
    assert db.session.get(Obligation, ob.id).owner_id is None


def test_bulk_assign_is_all_or_nothing_and_names_the_stale_row(client):
    team = make_team()
    dana = make_user(email="dana@example.com", teams=[team])
    token = token_for("editor", teams=[team])
    rows = [make_obligation(team=team) for _ in range(3)]
    read = [client.get(f"/api/v1/obligations/{ob.id}", headers=auth(token)).get_json() for ob in rows]
    selection = [{"id": r["id"], "updated_at": r["updated_at"]} for r in read]
    # Someone changes the second one meanwhile.
    client.post("/api/v1/obligations/bulk", json={"obligations": [{"id": rows[1].id}], "action": "priority",
                                                   "priority": "low"}, headers=auth(token))
    refused = client.post("/api/v1/obligations/bulk", json={"obligations": selection, "action": "assign",
                                                            "owner": "dana@example.com"}, headers=auth(token))
    problem = expect_problem(refused, 409)
    assert [e["message"].split(" (")[0] for e in problem["errors"]] == [f"obligation {rows[1].id}"]
    db.session.expire_all()
    assert all(db.session.get(Obligation, ob.id).owner_id is None for ob in rows)
    fresh = [{"id": ob.id} for ob in rows]
    done = client.post("/api/v1/obligations/bulk", json={"obligations": fresh, "action": "assign",
                                                         "owner": "dana@example.com"}, headers=auth(token))
    assert done.status_code == 200 and done.get_json()["changed"] == 3
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "obligation",
                                                          AuditEntry.action == "update")).all()
    assert sum(1 for e in entries if "owner_id" in e.changes) == 3
    db.session.expire_all()
    assert {db.session.get(Obligation, ob.id).owner_id for ob in rows} == {dana.id}


def test_viewers_cannot_bulk_change_and_saved_views_are_personal(client):
    team = make_team()
    ob = make_obligation(team=team)
    viewer = token_for("viewer", teams=[team])
    refused = client.post("/api/v1/obligations/bulk", json={"obligations": [{"id": ob.id}], "action": "priority",
                                                            "priority": "high"}, headers=auth(viewer))
    expect_problem(refused, 403)
    saved = client.post("/api/v1/views", json={"name": "Mine", "query": "owner=me&page=4"}, headers=auth(viewer))
    assert saved.status_code == 201 and saved.get_json()["query"] == "owner=me"
    assert "/views/" in saved.get_json()["url"]
    other = token_for("editor")
    assert client.get("/api/v1/views", headers=auth(other)).get_json()["items"] == []
    expect_problem(client.delete(f"/api/v1/views/{saved.get_json()['id']}", headers=auth(other)), 404)
    assert client.delete(f"/api/v1/views/{saved.get_json()['id']}", headers=auth(viewer)).status_code == 204
