"""Who may do what in the API (/api/v1), for every endpoint of the URL map, with a bearer token of
each role: none, a viewer, an editor of another team, an editor of the team, an admin. The endpoints
are read from the app, so a new one must be placed in one of the sets below (or its test fails).

The world (the demo, a row of every kind, one person of each role) is the pages' matrix's."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from tests.vendor_files import pdf_bytes
from tests.web.test_permission_matrix import _ids, url_for_rule, world  # noqa: F401 (the fixture)
from tracker import models
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.people.api_tokens import create_token

# Answered without a token.
API_PUBLIC = {"api.openapi_document"}
# Reads any token may make.
API_READS = {
    "api.list_events", "api.get_event", "api.list_obligations", "api.obligations_as_csv", "api.get_obligation",
    "api.obligation_comments", "api.list_evidence", "api.obligation_history", "api.get_vendor_scope",
    "api.list_proposals", "api.get_proposal", "api.report_pdf", "api.report_xlsx", "api.list_sources",
    "api.get_source", "api.list_watches", "api.list_teams", "api.get_team", "api.list_vendor_requests",
    "api.get_vendor_request", "api.request_comments", "api.list_vendors", "api.get_vendor", "api.list_views",
    "api.get_watch",
}
# Files only the team's members (and admins) may read.
API_TEAM_READS = {"api.download_evidence", "api.download_vendor_evidence"}
# Writes every token may make: its user's own saved views.
API_PERSONAL_WRITES = {"api.create_view", "api.remove_view"}
# Writes on one team's things: an editor of another team is refused as a viewer is.
API_TEAM_WRITES = {
    "api.create_vendor_view", "api.update_vendor_view", "api.delete_vendor_view", "api.put_vendor_scope",
    "api.delete_vendor_scope", "api.accept_vendor_request", "api.reject_vendor_request", "api.comment_on_request",
    "api.accept_proposal_view", "api.reject_proposal_view", "api.create_watch_view", "api.update_watch_view",
    "api.delete_watch_view", "api.add_file_view", "api.add_link_view", "api.remove_evidence_view",
    "api.assign_owner", "api.comment_on_obligation", "api.remove_comment",
}
# A comment's text is its author's: anyone else (an admin too) is refused with a 422 naming the body.
API_AUTHOR_ONLY = {"api.update_comment"}
# An obligation's and an event's writes: editors of the obligation's team, and of every team whose
# deadlines an event change moves (a new obligation's team and an event's change are in the body:
# tests/integration/test_api_team_obligations.py tries them filled in).
API_OBLIGATION_WRITES = {"api.create_obligation_view", "api.update_obligation_view", "api.delete_obligation_view",
                         "api.change_status"}
API_EVENT_WRITES = {"api.create_event_view", "api.update_event_view", "api.delete_event_view",
                    "api.record_occurrence"}
# Writes any editor may make: sources (no team owns them), and bulk changes (checked per obligation).
API_EDITOR_WRITES = {"api.create_source_view", "api.update_source_view", "api.delete_source_view", "api.bulk"}
# Admins only: teams, everyone's tokens, packs.
API_ADMIN_ONLY = {"api.create_team_view", "api.update_team_view", "api.delete_team_view", "api.list_tokens",
                  "api.revoke_token_view", "api.import_pack_view"}
API_SETS = {"API_PUBLIC": API_PUBLIC, "API_READS": API_READS, "API_TEAM_READS": API_TEAM_READS,
            "API_PERSONAL_WRITES": API_PERSONAL_WRITES, "API_TEAM_WRITES": API_TEAM_WRITES,
            "API_OBLIGATION_WRITES": API_OBLIGATION_WRITES, "API_EVENT_WRITES": API_EVENT_WRITES,
            "API_EDITOR_WRITES": API_EDITOR_WRITES, "API_ADMIN_ONLY": API_ADMIN_ONLY,
            "API_AUTHOR_ONLY": API_AUTHOR_ONLY}
API_OUTSIDER_REFUSED = API_TEAM_READS | API_TEAM_WRITES | API_ADMIN_ONLY | (API_OBLIGATION_WRITES - {"api.create_obligation_view"})
API_VIEWER_ALLOWED = API_PUBLIC | API_READS | API_TEAM_READS | API_PERSONAL_WRITES


def _bodies(ids) -> dict[str, dict]:
    """The smallest valid body of each write, so a refusal is never hidden behind a 422."""
    pdf = base64.b64encode(pdf_bytes()).decode()
    return {
        "api.create_view": {"name": "Matrix view"},
        "api.create_vendor_view": {"key": "matrix-vendor", "name": "Matrix vendor", "team_id": ids["team_id"]},
        "api.put_vendor_scope": {"categories": []},
        "api.reject_vendor_request": {"reason": "Not signed"},
        "api.comment_on_request": {"body": "Matrix comment"},
        "api.comment_on_obligation": {"body": "Matrix comment"},
        "api.update_comment": {"body": "Matrix comment, edited"},
        "api.create_watch_view": {"provider": "congress", "bill": "119-hr-9999"},
        "api.add_file_view": {"filename": "matrix.pdf", "content_base64": pdf},
        "api.add_link_view": {"url": "https://docs.example.com/matrix"},
        "api.assign_owner": {"owner": "e@example.com"},
        "api.create_obligation_view": {"key": "matrix-obligation", "title": "Matrix", "team_id": ids["team_id"],
                                       "deadline": {"rule": "fixed", "date": "2027-03"}},
        "api.change_status": {"status": "in_progress"},
        "api.create_event_view": {"key": "matrix-event", "source_id": ids["source_id"], "title": "Matrix event"},
        "api.record_occurrence": {"date": "2026-12-01"},
        "api.create_source_view": {"key": "matrix-source", "title": "Matrix source"},
        "api.create_team_view": {"key": "matrix-team", "name": "Matrix team"},
    }


def _api_calls(app):
    """Every (method, rule) of the API: reads, then writes, then removals, whole objects deleted last."""
    calls = [(method, rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(calls, key=lambda call: (call[0] != "GET", call[0] == "DELETE",
                                           call[1].endpoint.startswith("api.delete_")
                                           and call[1].endpoint.endswith("_view")))


def _call(client, method, rule, ids, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(url_for_rule(rule, ids), method=method, headers=headers,
                       json=_bodies(ids).get(rule.endpoint, {}))


def _token(person) -> str:
    return create_token(person, "matrix", SYSTEM)[1]


def _ids_with_a_scope(team, person) -> dict[str, object]:
    """The pages' ids, with the team's obligation that is collected from vendors (it has a vendor scope)."""
    ids = _ids(team, person)
    ids["obligation_id"] = db.session.scalar(
        select(models.ObligationVendorScope.obligation_id).join(models.Obligation)
        .where(models.Obligation.team_id == team.id).order_by(models.ObligationVendorScope.obligation_id))
    return ids


def test_without_a_token_every_endpoint_but_the_document_is_401(app, client, world):
    team, people = world
    ids = _ids_with_a_scope(team, people["spare"])
    for method, rule in _api_calls(app):
        if rule.endpoint in API_PUBLIC:
            continue
        response = _call(client, method, rule, ids, None)
        assert response.status_code == 401, (method, rule.endpoint, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_viewer_and_other_teams_editor_tokens_are_refused(app, client, world, who):
    """A viewer's token: 403 on every write but its own views. Another team's editor: 403 on this
    team's things and admins' endpoints."""
    team, people = world
    ids = _ids_with_a_scope(team, people[who])
    token = _token(people[who])
    answered = []
    for method, rule in _api_calls(app):
        if who == "viewer":
            refused = rule.endpoint not in API_VIEWER_ALLOWED or rule.endpoint in API_ADMIN_ONLY
        else:
            refused = rule.endpoint in API_OUTSIDER_REFUSED
        if not refused:
            continue
        response = _call(client, method, rule, ids, token)
        if response.status_code != 403:
            answered.append((method, rule.endpoint, response.status_code, response.get_json()))
    assert not answered, f"{who} was not refused: {answered}"


@pytest.mark.parametrize("who", ["editor", "admin"])
def test_team_editor_and_admin_tokens_are_never_refused_and_never_get_a_500(app, client, world, who):
    """Every endpoint with the team's editor's token and an admin's: never a 403 (but the admins'
    endpoints for the editor), never a 500, and each found its row (no 404 hiding a refusal)."""
    team, people = world
    ids = _ids_with_a_scope(team, people[who])
    token = _token(people[who])
    not_found = []
    for method, rule in _api_calls(app):
        response = _call(client, method, rule, ids, token)
        expected_403 = who == "editor" and rule.endpoint in API_ADMIN_ONLY
        assert (response.status_code == 403) == expected_403, \
            (who, method, rule.endpoint, response.status_code, response.get_json())
        assert response.status_code < 500, (who, method, rule.endpoint, response.status_code)
        if response.status_code == 404:
            not_found.append((method, rule.endpoint, response.get_json()["detail"]))
    assert not not_found


def test_every_api_endpoint_is_placed_in_exactly_one_set(app):
    """A new API endpoint must be decided: public, a read, personal, team-scoped, an obligation's or
    an event's, any editor's, or admins' only."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    placed = [endpoint for members in API_SETS.values() for endpoint in members]
    assert len(placed) == len(set(placed)), sorted({e for e in placed if placed.count(e) > 1})
    assert not endpoints - set(placed), f"place these endpoints in a set: {sorted(endpoints - set(placed))}"
    assert not set(placed) - endpoints, f"no such endpoints any more: {sorted(set(placed) - endpoints)}"
