"""Optimistic concurrency (ETag / If-Match) on every writable single resource, and 405s on their URLs.

docs/api.md, "ETags and If-Match": every single resource has a strong ETag (the
first 32 hex digits of the SHA-256 of its JSON representation); PATCH, DELETE,
POST .../status and POST .../occurred honour If-Match (a list of ETags or `*`);
without If-Match a write is unconditional (last writer wins: no 428); a
mismatch is 412 with the current ETag; the comparison and the write are one
atomic step. "Errors": 405 carries an `Allow` header; everything that is not a
success is a problem document.

test_api_obligations.py checks a stale PATCH/DELETE on obligations. This file
covers sources, events and teams the same way, races two real writers on each
of the four resources, and checks the header forms (`*`, lists, weak or
malformed tags) on all four.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from tests.factories import make_event, make_obligation, make_source, make_team
from tests.integration.api_helpers import auth, expect_problem, http_request, small_register, token_for
from tracker.db import db
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation, Team

STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')
NEVER_AN_ETAG = '"00000000000000000000000000000000"'


@dataclass(frozen=True)
class Kind:
    """One writable resource: its URL segment, who may write it, a text field a PATCH can change."""

    name: str
    table: str
    role: str
    field: str
    make: Callable[[], int]  # a fresh row that PATCH and DELETE both accept; returns its id


KINDS = {
    "sources": Kind("sources", "sources", "editor", "title", lambda: make_source().id),
    "events": Kind("events", "events", "editor", "title", lambda: make_event().id),
    "teams": Kind("teams", "teams", "admin", "name", lambda: make_team().id),
    "obligations": Kind("obligations", "obligations", "editor", "title", lambda: make_obligation().id),
}


@dataclass
class Resource:
    kind: Kind
    url: str
    token: str

    def headers(self, if_match: str | None = None) -> dict[str, str]:
        return auth(self.token, **({"If-Match": if_match} if if_match is not None else {}))

    def get(self, client):
        response = client.get(self.url, headers=self.headers())
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def etag(self, client) -> str:
        return self.get(client).headers["ETag"]

    def patch(self, client, value: str, if_match: str | None = None):
        return client.patch(self.url, headers=self.headers(if_match), json={self.kind.field: value})

    def delete(self, client, if_match: str | None = None):
        return client.delete(self.url, headers=self.headers(if_match))


@pytest.fixture(params=list(KINDS))
def resource(request, app) -> Resource:
    kind = KINDS[request.param]
    row_id = kind.make()
    # Roles per team: an obligation is written by an editor of its team.
    teams = [db.session.get(Obligation, row_id).team] if kind.name == "obligations" else []
    return Resource(kind, f"/api/v1/{kind.name}/{row_id}", token_for(kind.role, teams=teams))


def _precondition_failed(response, current_etag: str) -> dict:
    """A 412 problem that hands back the version the client should re-read."""
    body = expect_problem(response, 412)
    assert body["title"] == "Precondition Failed"
    assert body["type"] == "/api/docs#problem-precondition-failed"
    assert body["errors"] == []
    assert response.headers["ETag"] == current_etag
    return body


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


# ---- ETags on reads ----

def test_get_and_head_answer_a_strong_etag_of_the_representation(resource, client):
    response = resource.get(client)
    etag = response.headers["ETag"]
    assert STRONG_ETAG.match(etag), etag
    # docs/api.md: the first 32 hex digits of the SHA-256 of its JSON representation.
    assert etag == '"' + hashlib.sha256(response.get_data()).hexdigest()[:32] + '"'
    assert resource.etag(client) == etag  # stable while nothing changes
    head = client.head(resource.url, headers=resource.headers())
    assert head.status_code == 200 and head.headers["ETag"] == etag


# ---- conditional writes ----

def test_a_patch_with_the_current_etag_succeeds_and_the_etag_changes(clock, resource, client):
    # The clock stands still (frozen before the row is made): updated_at cannot move, so the
    # new ETag has to come from the content, whatever the clock's resolution.
    original = resource.get(client)
    first = original.headers["ETag"]
    response = resource.patch(client, "Renamed with the current ETag", if_match=first)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()[resource.kind.field] == "Renamed with the current ETag"
    second = response.headers["ETag"]
    assert STRONG_ETAG.match(second) and second != first
    reread = resource.get(client)
    assert reread.headers["ETag"] == second
    assert reread.get_json()[resource.kind.field] == "Renamed with the current ETag"
    assert reread.get_json()["updated_at"] == original.get_json()["updated_at"]


def test_a_patch_with_a_stale_etag_is_412_and_changes_nothing(resource, client):
    stale = resource.etag(client)
    current = resource.patch(client, "First writer", if_match=stale).headers["ETag"]
    before = resource.get(client).get_json()
    audits = _audit_count()

    response = resource.patch(client, "Second writer", if_match=stale)
    body = _precondition_failed(response, current)
    assert "changed since you read it" in body["detail"]

    db.session.expire_all()
    after = resource.get(client)
    assert after.get_json() == before
    assert after.get_json()[resource.kind.field] == "First writer"
    assert after.headers["ETag"] == current
    assert _audit_count() == audits
    # The ETag of the 412 is the one to retry with.
    retry = resource.patch(client, "Second writer", if_match=response.headers["ETag"])
    assert retry.status_code == 200 and retry.get_json()[resource.kind.field] == "Second writer"


def test_a_delete_with_a_stale_etag_is_412_and_the_resource_stays(resource, client):
    stale = resource.etag(client)
    current = resource.patch(client, "Edited by someone else").headers["ETag"]
    audits = _audit_count()

    _precondition_failed(resource.delete(client, if_match=stale), current)
    db.session.expire_all()
    assert resource.etag(client) == current
    assert resource.get(client).get_json()[resource.kind.field] == "Edited by someone else"
    assert _audit_count() == audits

    deleted = resource.delete(client, if_match=current)
    assert deleted.status_code == 204, deleted.get_data(as_text=True)
    expect_problem(client.get(resource.url, headers=resource.headers()), 404)


def test_if_match_star_matches_whatever_version_is_current(resource, client):
    resource.patch(client, "Changed before the star")
    edited = resource.patch(client, "Written with a star", if_match="*")
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert resource.get(client).get_json()[resource.kind.field] == "Written with a star"
    assert resource.delete(client, if_match="*").status_code == 204
    expect_problem(client.get(resource.url, headers=resource.headers()), 404)


def test_a_list_of_etags_matches_when_one_of_them_is_current(resource, client):
    current = resource.etag(client)
    edited = resource.patch(client, "Listed", if_match=f"{NEVER_AN_ETAG}, {current}")
    assert edited.status_code == 200, edited.get_data(as_text=True)
    stale_list = f"{NEVER_AN_ETAG}, {current}"  # `current` is now the previous version
    _precondition_failed(resource.patch(client, "Overwritten", if_match=stale_list), edited.headers["ETag"])


@pytest.mark.parametrize("form", ["unquoted", "weak", "quoted-star", "garbage", "empty"])
def test_weak_or_malformed_if_match_never_matches(resource, client, form):
    # If-Match uses the strong comparison (RFC 9110 13.1.1): W/"x" does not match "x";
    # a bare tag, a quoted "*" (an ordinary tag, not the wildcard) and junk name no version.
    current = resource.etag(client)
    header = {"unquoted": current.strip('"'), "weak": f"W/{current}", "quoted-star": '"*"',
              "garbage": "not an etag", "empty": ""}[form]
    before = resource.get(client).get_json()
    audits = _audit_count()

    refused = _precondition_failed(resource.patch(client, "Should not be written", if_match=header), current)
    _precondition_failed(resource.delete(client, if_match=header), current)
    # A malformed header gets a reason that says so, not "someone else changed it".
    if form in ("unquoted", "weak", "garbage", "empty"):
        assert "is not a strong ETag" in refused["detail"] and "changed since" not in refused["detail"]

    db.session.expire_all()
    assert resource.get(client).get_json() == before
    assert resource.etag(client) == current
    assert _audit_count() == audits


def test_without_if_match_the_write_is_unconditional(resource, client):
    # docs/api.md: no If-Match, last writer wins (as for a UI form); If-Match is never required (no 428).
    resource.patch(client, "Someone else's edit")
    edited = resource.patch(client, "Last writer")
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert resource.get(client).get_json()[resource.kind.field] == "Last writer"
    assert resource.delete(client).status_code == 204


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_if_match_on_an_unknown_id_is_404_not_412(app, client, method):
    # The resource does not exist: 404 (docs/api.md), and RFC 9110 13.2.1 has the
    # server ignore preconditions when the answer would not be 2xx/412 without them.
    token = token_for("admin")
    for kind in KINDS.values():
        for if_match in ("*", NEVER_AN_ETAG):
            response = client.open(f"/api/v1/{kind.name}/99999", method=method,
                                   headers=auth(token, **{"If-Match": if_match}),
                                   json={kind.field: "x"} if method == "PATCH" else None)
            expect_problem(response, 404)


def test_the_document_declares_if_match_optional_and_412_on_every_conditional_write(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    conditional = {
        ("/api/v1/sources/{source_id}", "patch"), ("/api/v1/sources/{source_id}", "delete"),
        ("/api/v1/events/{event_id}", "patch"), ("/api/v1/events/{event_id}", "delete"),
        ("/api/v1/events/{event_id}/occurred", "post"),
        ("/api/v1/teams/{team_id}", "patch"), ("/api/v1/teams/{team_id}", "delete"),
        ("/api/v1/obligations/{obligation_id}", "patch"), ("/api/v1/obligations/{obligation_id}", "delete"),
        ("/api/v1/obligations/{obligation_id}/status", "post"),
    }
    for path, method in sorted(conditional):
        op = document["paths"][path][method]
        (if_match,) = [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
        assert if_match["required"] is False, (path, method)
        assert "412" in op["responses"] and "428" not in op["responses"], (path, method)
    for path in {path for path, _ in conditional if not path.endswith(("occurred", "status"))}:
        assert "ETag" in document["paths"][path]["get"]["responses"]["200"]["headers"], path


# ---- events: a date change goes through the same check ----

def test_a_stale_event_date_change_moves_no_deadline(app, client):
    team, _, enacted, ob = small_register()
    token = token_for("editor", teams=[team])
    url = f"/api/v1/events/{enacted.id}"
    stale = client.get(url, headers=auth(token)).headers["ETag"]
    current = client.patch(url, headers=auth(token), json={"title": "Enactment (renamed)"}).headers["ETag"]

    response = client.patch(url, headers=auth(token, **{"If-Match": stale}),
                            json={"date": "2026-Q4", "precision": "quarter"})
    _precondition_failed(response, current)
    db.session.expire_all()
    body = client.get(url, headers=auth(token)).get_json()
    assert (body["date"], body["precision"], body["status"]) == ("2026-09", "month", "expected")
    assert db.session.get(Obligation, ob.id).revision == 0
    assert db.session.scalar(select(func.count(DeadlineHistory.id))) == 0

    moved = client.patch(url, headers=auth(token, **{"If-Match": current}),
                         json={"date": "2026-Q4", "precision": "quarter"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["date"] == "2026-Q4" and moved.headers["ETag"] != current
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).revision == 1


def test_recording_an_occurrence_honours_if_match(app, client):
    team, _, enacted, ob = small_register()
    token = token_for("editor", teams=[team])
    url = f"/api/v1/events/{enacted.id}"
    stale = client.get(url, headers=auth(token)).headers["ETag"]
    current = client.patch(url, headers=auth(token), json={"description": "Signed into law, we expect"}).headers["ETag"]
    audits = _audit_count()

    refused = client.post(f"{url}/occurred", headers=auth(token, **{"If-Match": stale}), json={"date": "2026-08-06"})
    _precondition_failed(refused, current)
    db.session.expire_all()
    assert client.get(url, headers=auth(token)).headers["ETag"] == current
    assert db.session.get(Event, enacted.id).status == "expected"
    assert db.session.get(Obligation, ob.id).revision == 0
    assert db.session.scalar(select(func.count(DeadlineHistory.id))) == 0
    assert _audit_count() == audits

    recorded = client.post(f"{url}/occurred", headers=auth(token, **{"If-Match": current}),
                           json={"date": "2026-08-06"})
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    assert recorded.get_json()["event"]["status"] == "occurred"
    assert client.get(url, headers=auth(token)).headers["ETag"] != current
    # And the version just read is now stale for the same call.
    _precondition_failed(client.post(f"{url}/occurred", headers=auth(token, **{"If-Match": current}),
                                     json={"date": "2026-08-07"}),
                         client.get(url, headers=auth(token)).headers["ETag"])


def test_recording_an_occurrence_accepts_a_star(app, client):
    team, _, enacted, _ = small_register()
    response = client.post(f"/api/v1/events/{enacted.id}/occurred",
                           headers=auth(token_for("editor", teams=[team]), **{"If-Match": "*"}), json={"date": "2026-08"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["event"]["date"] == "2026-08"


def test_a_dry_run_with_a_stale_etag_is_412(app, client):
    team, _, enacted, _ = small_register()
    token = token_for("editor", teams=[team])
    url = f"/api/v1/events/{enacted.id}"
    stale = client.get(url, headers=auth(token)).headers["ETag"]
    current = client.patch(url, headers=auth(token), json={"date": "2026-Q4", "precision": "quarter"}).headers["ETag"]
    response = client.post(f"{url}/occurred?dry_run=1", headers=auth(token, **{"If-Match": stale}),
                           json={"date": "2026-08-06"})
    _precondition_failed(response, current)


def test_writes_elsewhere_that_change_a_representation_make_its_etag_stale(app, client):
    # "Any visible change changes it": an obligation shows its due date and its team's name,
    # so recording its anchor event or renaming its team outdates the ETag a client holds.
    team, _, enacted, ob = small_register()
    editor, admin = token_for("editor", teams=[team]), token_for("admin")
    url = f"/api/v1/obligations/{ob.id}"

    held = client.get(url, headers=auth(editor)).headers["ETag"]
    client.post(f"/api/v1/events/{enacted.id}/occurred", headers=auth(editor), json={"date": "2026-08-06"})
    after_event = client.get(url, headers=auth(editor)).headers["ETag"]
    assert after_event != held
    _precondition_failed(client.patch(url, headers=auth(editor, **{"If-Match": held}), json={"title": "x"}),
                         after_event)

    renamed = client.patch(f"/api/v1/teams/{team.id}", headers=auth(admin), json={"name": "Purchasing"})
    assert renamed.status_code == 200
    after_team = client.get(url, headers=auth(editor)).headers["ETag"]
    assert after_team != after_event
    _precondition_failed(client.delete(url, headers=auth(editor, **{"If-Match": after_event})), after_team)
    assert client.get(url, headers=auth(editor)).get_json()["title"] == "Location verification"


# ---- the race: comparison and write are one step, for every resource ----

@pytest.mark.parametrize("name", ["obligations", "sources", "events", "teams"])
def test_two_clients_with_the_same_etag_get_one_200_and_one_412(app, live_server, name):
    kind = KINDS[name]
    url = f"{live_server}/api/v1/{name}/{kind.make()}"
    # Writers of every team, so the race is about the ETag whatever team owns the row.
    teams = list(db.session.scalars(select(Team)))
    token_a, token_b = token_for(kind.role, teams=teams), token_for(kind.role, teams=teams)
    # Both tokens read first: a token's first use records last_used_at, a write that would
    # otherwise queue the two PATCHes on SQLite's database lock by accident.
    (status_a, headers, _), (status_b, _, _) = http_request(url, "GET", token_a), http_request(url, "GET", token_b)
    assert status_a == status_b == 200
    etag = headers["ETag"]

    # Hold each writer a moment after it reads the row it will compare, so both requests are in
    # flight together: only the lock taken before that read keeps them from both passing the check.
    def linger(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(f"SELECT {kind.table}.id, "):
            time.sleep(0.3)

    sa_event.listen(db.engine, "after_cursor_execute", linger)
    results: dict[str, tuple] = {}
    start = threading.Barrier(2)

    def client(who: str, token: str) -> None:
        start.wait()
        results[who] = http_request(url, "PATCH", token, {kind.field: f"From {who}"}, if_match=etag)

    threads = [threading.Thread(target=client, args=args) for args in (("a", token_a), ("b", token_b))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", linger)

    assert sorted(result[0] for result in results.values()) == [200, 412]
    winner = next(who for who, result in results.items() if result[0] == 200)
    loser = next(who for who, result in results.items() if result[0] == 412)
    assert results[loser][1]["Content-Type"] == "application/problem+json"
    assert results[loser][2]["status"] == 412
    assert results[loser][1]["ETag"] == results[winner][1]["ETag"]
    status, _, body = http_request(url, "GET", token_a)
    assert status == 200 and body[kind.field] == f"From {winner}"
    db.session.expire_all()
    updates = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.entity_id == body["id"], AuditEntry.action == "update", AuditEntry.entity == name[:-1]))
    assert updates == 1
    # Nothing lost for the loser either: it retries with the ETag its 412 carried.
    loser_token = token_a if loser == "a" else token_b
    status, _, body = http_request(url, "PATCH", loser_token, {kind.field: f"From {loser}"},
                                   if_match=results[loser][1]["ETag"])
    assert status == 200 and body[kind.field] == f"From {loser}"


# ---- 405 on the resource URLs ----

RESOURCE_URLS = {
    "/api/v1/sources/{id}": lambda: make_source().id,
    "/api/v1/events/{id}": lambda: make_event().id,
    "/api/v1/teams/{id}": lambda: make_team().id,
    "/api/v1/obligations/{id}": lambda: make_obligation().id,
    "/api/v1/events/{id}/occurred": lambda: make_event().id,
    "/api/v1/obligations/{id}/status": lambda: make_obligation().id,
}


def _param_name(template: str) -> str:
    return "{" + {"sources": "source_id", "events": "event_id", "teams": "team_id",
                  "obligations": "obligation_id"}[template.split("/")[3]] + "}"


@pytest.mark.parametrize("template", list(RESOURCE_URLS))
def test_an_unsupported_method_is_405_with_allow_and_aproblem(app, client, template):
    url = template.format(id=RESOURCE_URLS[template]())
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {m.upper() for m in document["paths"][template.replace("{id}", _param_name(template))]}
    token = token_for("admin")
    before = client.get(url, headers=auth(token)).get_data() if "GET" in documented else None

    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - documented):
        for headers in (auth(token), {}):  # routing answers before authentication
            response = client.open(url, method=method, headers=headers, json={"title": "x"})
            body = expect_problem(response, 405)
            assert body["title"] == "Method Not Allowed"
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            # Exactly what the URL serves: the documented methods, plus HEAD for a GET, and OPTIONS.
            assert allowed == documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
            assert method not in allowed
    options = client.options(url)
    assert options.status_code == 200
    assert {m.strip() for m in options.headers["Allow"].split(",")} == allowed
    if before is not None:
        assert client.get(url, headers=auth(token)).get_data() == before  # nothing written by the 405s



def test_the_document_declares_503_with_retry_after_on_every_operation(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    busy = document["components"]["responses"]["Problem503"]
    assert "Retry-After" in busy["headers"] and "nothing was changed" in busy["description"]
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert op["responses"]["503"] == {"$ref": "#/components/responses/Problem503"}, (path, method)
