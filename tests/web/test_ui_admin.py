"""Admin pages: teams and members, users (roles, deactivation, passwords), pack import."""

from __future__ import annotations

import io
import json

from tests.factories import login, make_team, make_user
from tracker.db import db
from tracker.models import Obligation, Team, User


def _admin(client):
    admin = make_user(role="admin", email="boss@example.com")
    login(client, admin)
    return admin


def test_admin_creates_and_edits_a_team_and_its_members(client):
    _admin(client)
    response = client.post("/teams/new", data={"key": "legal", "name": "Legal", "timezone": "Mars/Olympus"})
    assert response.status_code == 400 and "Unknown time zone" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Team.id)) is None
    response = client.post("/teams/new", data={"key": "legal", "name": "Legal", "timezone": "Europe/Berlin"})
    team = db.session.scalar(db.select(Team))
    assert response.status_code == 302 and team.timezone == "Europe/Berlin"
    client.post(f"/teams/{team.id}/edit", data={"key": "legal", "name": "Legal & Policy", "timezone": "UTC"})
    db.session.expire_all()
    assert (team.name, team.timezone) == ("Legal & Policy", "UTC")
    person = make_user(role="viewer", name="Pat")
    client.post(f"/teams/{team.id}/members", data={"user_id": person.id})
    db.session.expire_all()
    assert person in db.session.get(Team, team.id).members
    assert "Pat" in client.get(f"/teams/{team.id}").get_data(as_text=True)
    client.post(f"/teams/{team.id}/members/{person.id}/remove")
    db.session.expire_all()
    assert person not in db.session.get(Team, team.id).members
    assert client.post(f"/teams/{team.id}/members", data={"user_id": "999"}).status_code == 400


def test_admin_creates_users_changes_roles_and_deactivates_never_deletes(client):
    _admin(client)
    team = make_team(name="Buyers")
    response = client.post("/users/new", data={"email": "not-an-email", "name": "X", "role": "viewer"})
    assert response.status_code == 400
    response = client.post("/users/new", data={"email": "New.Buyer@Example.com", "name": "New Buyer", "role": "editor",
                                              "password": "long-enough-1", "team_ids": [team.id]})
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="new.buyer@example.com"))
    assert user.role == "editor" and [t.name for t in user.teams] == ["Buyers"]
    assert client.post("/users/new", data={"email": "new.buyer@example.com", "role": "viewer"}).status_code == 409
    client.post(f"/users/{user.id}", data={"name": "New Buyer", "role": "viewer", "team_ids": []})
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.role, user.active, user.teams) == ("viewer", False, [])
    assert "deactivated" in client.get("/users").get_data(as_text=True)
    response = client.post(f"/users/{user.id}/password", data={"password": "short"})
    assert response.status_code == 400
    client.post(f"/users/{user.id}/password", data={"password": "a-fresh-password"})
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash


def test_the_last_admin_cannot_demote_themselves(client):
    admin = _admin(client)
    response = client.post(f"/users/{admin.id}", data={"name": "Boss", "role": "viewer", "active": "y"})
    assert response.status_code == 409 and "last active admin" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


def _pack(**extra):
    pack = {"pack": "test", "teams": [{"key": "procurement", "name": "Procurement", "timezone": "America/Los_Angeles"}],
            "sources": [{"key": "ca-eo", "title": "California EO", "kind": "executive_order", "jurisdiction": "US-CA"}],
            "events": [{"key": "ca-eo-signed", "source": "ca-eo", "title": "Signed", "status": "occurred", "date": "2026"}],
            "obligations": [{"key": "ca-cert", "title": "Vendor certification", "team": "procurement",
                             "events": ["ca-eo-signed"], "deadline": {"rule": "fixed", "date": "2026-07"}}]}
    pack.update(extra)
    return json.dumps(pack)


def test_import_shows_every_problem_and_imports_nothing_from_a_bad_pack(client):
    _admin(client)
    bad = json.loads(_pack())
    bad["obligations"][0]["deadline"] = {"rule": "relative", "anchor": "nope", "offset": 5}
    bad["teams"][0]["timezone"] = "Nowhere/<b>"
    response = client.post("/import", data={"pack_file": (io.BytesIO(json.dumps(bad).encode()), "pack.json")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "obligations[0].deadline.anchor" in page and "teams[0].timezone" in page
    assert "<b>" not in page.split('id="pack-errors"')[1]
    assert db.session.scalar(db.select(Obligation.id)) is None and db.session.scalar(db.select(Team.id)) is None
    response = client.post("/import", data={"pack_text": "{not json"})
    assert response.status_code == 400
    assert client.post("/import", data={}).status_code == 400


def test_import_of_a_valid_pack_reports_counts(client):
    _admin(client)
    response = client.post("/import", data={"pack_text": _pack()}, follow_redirects=True)
    assert "Pack imported." in response.get_data(as_text=True) and "obligations: 1 created" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Obligation).filter_by(key="ca-cert")).due_state == "firm"
