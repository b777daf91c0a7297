"""Packs and teams through the API (admins)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.api_helpers import auth, token_for
from tracker.db import db
from tracker.models import Obligation, Team

DEMO = Path(__file__).resolve().parents[2] / "tracker" / "packs" / "data" / "demo.json"


def test_a_pack_imports_and_reimports_idempotently(app, client):
    token = token_for("admin")
    first = client.post("/api/v1/packs", headers=auth(token), data=DEMO.read_bytes(),
                        content_type="application/json")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["created"]["obligations"] > 0
    again = client.post("/api/v1/packs", headers=auth(token), data=DEMO.read_bytes(),
                        content_type="application/json")
    assert again.get_json()["created"] == {} or sum(again.get_json()["created"].values()) == 0


def test_an_invalid_pack_is_refused_whole_with_every_problem_by_path(app, client):
    pack = {"pack": "p", "teams": [{"key": "t", "name": "T", "timezone": "Mars/Base"}],
            "obligations": [{"key": "o", "title": "O", "team": "t",
                             "deadline": {"rule": "relative", "anchor": "missing", "offset": 1}}]}
    response = client.post("/api/v1/packs", headers=auth(token_for("admin")), json=pack)
    assert response.status_code == 422
    paths = {item["path"] for item in response.get_json()["errors"]}
    assert "teams[0].timezone" in paths
    assert any(path.startswith("obligations[0].deadline") for path in paths)
    assert db.session.scalar(db.select(db.func.count(Team.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Obligation.id))) == 0


def test_admins_manage_teams_and_their_reminder_policy(app, client):
    token = token_for("admin")
    created = client.post("/api/v1/teams", headers=auth(token), json={
        "key": "legal", "name": "Legal", "timezone": "Europe/Berlin", "reminder_lead_days": [14, 1],
        "digest_weekday": None})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["reminder_lead_days"], body["digest_weekday"], body["timezone"]) == ([14, 1], None, "Europe/Berlin")
    edited = client.patch(body["links"]["self"], headers=auth(token, **{"If-Match": created.headers["ETag"]}),
                          json={"digest_weekday": 4, "timezone": "Nowhere/City"})
    assert edited.status_code == 422
    edited = client.patch(body["links"]["self"], headers=auth(token), json={"digest_weekday": 4})
    assert edited.get_json()["digest_weekday"] == 4
    duplicate = client.post("/api/v1/teams", headers=auth(token), json={"key": "legal", "name": "Again"})
    assert duplicate.status_code == 409
