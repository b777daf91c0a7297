"""Contract: every endpoint answers each role as documented (and refuses anonymous calls)."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.factories import make_event, make_obligation, make_source, make_team
from tests.integration.api_helpers import auth, small_register, token_for

_n = itertools.count(1)


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


def _pack() -> dict:
    key = _key("pk")
    return {"pack": key, "teams": [{"key": key, "name": key, "timezone": "UTC"}], "sources": [],
            "events": [], "obligations": []}


# (name, minimum role, success status, prepare() -> (method, url, body))
CASES = [
    ("list obligations", "viewer", 200, lambda ctx: ("GET", "/api/v1/obligations", None)),
    ("obligations csv", "viewer", 200, lambda ctx: ("GET", "/api/v1/obligations.csv", None)),
    ("read obligation", "viewer", 200, lambda ctx: ("GET", f"/api/v1/obligations/{ctx['ob'].id}", None)),
    ("obligation history", "viewer", 200,
     lambda ctx: ("GET", f"/api/v1/obligations/{ctx['ob'].id}/history", None)),
    ("create obligation", "editor", 201, lambda ctx: ("POST", "/api/v1/obligations", {
        "key": _key("ob"), "title": "New", "team_id": ctx["team"].id,
        "deadline": {"rule": "fixed", "date": "2027-03"}})),
    ("edit obligation", "editor", 200,
     lambda ctx: ("PATCH", f"/api/v1/obligations/{make_obligation(team=ctx['team']).id}", {"title": "Edited"})),
    ("change status", "editor", 200, lambda ctx: (
        "POST", f"/api/v1/obligations/{make_obligation(team=ctx['team']).id}/status", {"status": "in_progress"})),
    ("delete obligation", "editor", 204,
     lambda ctx: ("DELETE", f"/api/v1/obligations/{make_obligation(team=ctx['team']).id}", None)),
    ("list sources", "viewer", 200, lambda ctx: ("GET", "/api/v1/sources", None)),
    ("read source", "viewer", 200, lambda ctx: ("GET", f"/api/v1/sources/{ctx['source'].id}", None)),
    ("create source", "editor", 201,
     lambda ctx: ("POST", "/api/v1/sources", {"key": _key("src"), "title": "Bill", "kind": "bill"})),
    ("edit source", "editor", 200, lambda ctx: ("PATCH", f"/api/v1/sources/{make_source().id}", {"title": "X"})),
    ("delete source", "editor", 204, lambda ctx: ("DELETE", f"/api/v1/sources/{make_source().id}", None)),
    ("list events", "viewer", 200, lambda ctx: ("GET", "/api/v1/events", None)),
    ("read event", "viewer", 200, lambda ctx: ("GET", f"/api/v1/events/{ctx['event'].id}", None)),
    ("create event", "editor", 201, lambda ctx: ("POST", "/api/v1/events", {
        "key": _key("ev"), "source_id": ctx["source"].id, "title": "Signed", "status": "expected",
        "date": "2026-Q4"})),
    ("edit event", "editor", 200,
     lambda ctx: ("PATCH", f"/api/v1/events/{make_event(source=ctx['source']).id}", {"title": "Renamed"})),
    ("delete event", "editor", 204,
     lambda ctx: ("DELETE", f"/api/v1/events/{make_event(source=ctx['source']).id}", None)),
    ("record occurrence", "editor", 200, lambda ctx: (
        "POST", f"/api/v1/events/{make_event(source=ctx['source']).id}/occurred", {"date": "2026-08-06"})),
    ("list teams", "viewer", 200, lambda ctx: ("GET", "/api/v1/teams", None)),
    ("read team", "viewer", 200, lambda ctx: ("GET", f"/api/v1/teams/{ctx['team'].id}", None)),
    ("create team", "admin", 201,
     lambda ctx: ("POST", "/api/v1/teams", {"key": _key("tm"), "name": "Legal", "timezone": "Europe/Berlin"})),
    ("edit team", "admin", 200, lambda ctx: ("PATCH", f"/api/v1/teams/{make_team().id}", {"name": "Renamed"})),
    ("delete team", "admin", 204, lambda ctx: ("DELETE", f"/api/v1/teams/{make_team().id}", None)),
    ("import pack", "admin", 200, lambda ctx: ("POST", "/api/v1/packs", _pack())),
]
RANK = {"viewer": 0, "editor": 1, "admin": 2}


@pytest.mark.parametrize("name,minimum,success,prepare", CASES, ids=[case[0] for case in CASES])
def test_each_role_gets_what_the_document_promises(app, client, name, minimum, success, prepare):
    team, source, event, ob = small_register()
    ctx = {"team": team, "source": source, "event": event, "ob": ob}
    tokens = {role: token_for(role, teams=[team]) for role in RANK}  # roles per team: members of the team

    method, url, body = prepare(ctx)
    anonymous = client.open(url, method=method, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.content_type == "application/problem+json"

    for role, token in tokens.items():
        method, url, body = prepare(ctx)
        response = client.open(url, method=method, headers=auth(token),
                               data=json.dumps(body) if body is not None else None,
                               content_type="application/json" if body is not None else None)
        if RANK[role] >= RANK[minimum]:
            assert response.status_code == success, (role, response.get_json())
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.get_json()["title"] == "Forbidden"


# Roles per team (issue 23): each case acts on team B's objects. (name, success status, prepare(ctx)).
# An editor (and a viewer) of team A gets 403; an editor of team B and an admin get the success status.
def _vendor_world(team):
    from sqlalchemy import select

    from tests.vendor_support import make_vendor, scope
    from tracker.db import db
    from tracker.models import VendorRequest, Watch

    vendor = make_vendor(team, key=_key("v"))
    source = make_source()
    ob = make_obligation(team=team, rule="relative", anchor=make_event(source=source), rule_offset=30)
    scope(ob, keys=[vendor.key])
    request = db.session.scalar(select(VendorRequest).where(VendorRequest.vendor_id == vendor.id))
    watch = Watch(source_id=source.id, provider="congress", item_kind="bill", item=_key("119-hr"), stages={})
    db.session.add(watch)
    db.session.commit()
    return {"vendor": vendor, "ob": ob, "request": request, "watch": watch, "source": source}


TEAM_CASES = [
    ("edit vendor", 200, lambda w: ("PATCH", f"/api/v1/vendors/{w['vendor'].id}", {"notes": "x"})),
    ("create vendor", 201, lambda w: ("POST", "/api/v1/vendors", {"key": _key("nv"), "name": "N",
                                                                  "team_id": w["team"].id})),
    ("set vendor scope", 200, lambda w: ("PUT", f"/api/v1/obligations/{w['ob'].id}/vendor-scope",
                                         {"keys": [w["vendor"].key]})),
    ("clear vendor scope", 204, lambda w: ("DELETE", f"/api/v1/obligations/{w['ob'].id}/vendor-scope", None)),
    ("reject request", 422, lambda w: ("POST", f"/api/v1/vendor-requests/{w['request'].id}/reject",
                                       {"reason": "no"})),  # owed, not submitted: 422 for those who may
    ("edit watch", 200, lambda w: ("PATCH", f"/api/v1/watches/{w['watch'].id}", {"auto_apply": True})),
    ("delete watch", 204, lambda w: ("DELETE", f"/api/v1/watches/{w['watch'].id}", None)),
    ("add watch", 201, lambda w: ("POST", f"/api/v1/sources/{w['source'].id}/watches",
                                  {"provider": "congress", "bill": f"119-hr-{next(_n)}"})),
]


@pytest.mark.parametrize("name,success,prepare", TEAM_CASES, ids=[case[0] for case in TEAM_CASES])
def test_an_editor_of_another_team_is_refused_on_this_teams_objects(app, client, name, success, prepare):
    team_a, team_b = make_team(), make_team()
    tokens = {"editor of A": token_for("editor", teams=[team_a]), "viewer of B": token_for("viewer", teams=[team_b]),
              "editor of B": token_for("editor", teams=[team_b]), "admin": token_for("admin")}
    for who, token in tokens.items():
        world = {**_vendor_world(team_b), "team": team_b}
        method, url, body = prepare(world)
        response = client.open(url, method=method, headers=auth(token, **{"If-Match": "*"}),
                               data=json.dumps(body) if body is not None else None,
                               content_type="application/json" if body is not None else None)
        expected = success if who in ("editor of B", "admin") else 403
        assert response.status_code == expected, (who, response.get_json())
        if expected == 403:
            assert response.get_json()["title"] == "Forbidden"
