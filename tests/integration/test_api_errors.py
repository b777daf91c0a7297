"""Every error under /api/v1 is RFC 9457 problem details, never a traceback or a 500."""

from __future__ import annotations

import json

from tests.factories import login, make_user
from tests.integration.api_helpers import auth, expect_problem, small_register, token_for
from tracker.people.api_tokens import revoke_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import ApiToken, Obligation
from tracker.people.operations import update_user



def test_missing_wrong_and_revoked_tokens_get_401_with_a_bearer_challenge(app, client):
    token = token_for("editor")
    for headers in ({}, {"Authorization": "Bearer trk_wrong"}, {"Authorization": f"Basic {token}"}):
        response = client.get("/api/v1/obligations", headers=headers)
        expect_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tracker"'
    revoke_token(db.session.scalar(db.select(ApiToken)), SYSTEM)
    expect_problem(client.get("/api/v1/obligations", headers=auth(token)), 401)


def test_a_deactivated_users_token_stops_working(app, client):
    token = token_for("editor")
    user = db.session.scalar(db.select(ApiToken)).user
    assert client.get("/api/v1/teams", headers=auth(token)).status_code == 200
    update_user(user, SYSTEM, active=False)
    expect_problem(client.get("/api/v1/teams", headers=auth(token)), 401)


def test_a_signed_in_browser_session_is_not_an_api_credential(app, client):
    user = make_user(role="admin")
    login(client, user)
    expect_problem(client.get("/api/v1/obligations"), 401)


def test_token_use_is_recorded(app, client, clock):
    token = token_for("viewer")
    assert db.session.scalar(db.select(ApiToken)).last_used_at is None
    client.get("/api/v1/teams", headers=auth(token))
    db.session.expire_all()
    assert db.session.scalar(db.select(ApiToken)).last_used_at is not None


def test_unknown_urls_and_methods_are_problems(app, client):
    token = token_for("editor")
    expect_problem(client.get("/api/v1/no-such-thing", headers=auth(token)), 404)
    expect_problem(client.get("/api/v1/obligations/999", headers=auth(token)), 404)
    response = client.put("/api/v1/obligations", headers=auth(token), json={})
    expect_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_and_non_json_is_415(app, client):
    token = token_for("editor")
    expect_problem(client.post("/api/v1/sources", headers=auth(token), data="{not json",
                               content_type="application/json"), 400)
    expect_problem(client.post("/api/v1/sources", headers=auth(token), data="key=x",
                               content_type="application/x-www-form-urlencoded"), 415)


def test_oversized_bodies_are_413(app, client):
    token = token_for("admin")
    big = json.dumps({"key": "x", "title": "x", "summary": "a" * (1024 * 1024 + 10)})
    expect_problem(client.post("/api/v1/sources", headers=auth(token), data=big, content_type="application/json"), 413)


def test_invalid_values_are_422_with_a_path_per_field(app, client):
    team, *_ = small_register()
    token = token_for("editor")
    body = {"key": "bad key!", "title": "Line\nbreak", "team_id": str(team.id), "surprise": 1,
            "deadline": {"rule": "fixed", "date": "2026-13"}}
    problem = expect_problem(client.post("/api/v1/obligations", headers=auth(token), json=body), 422)
    paths = {item["path"] for item in problem["errors"]}
    assert {"/key", "/title", "/team_id", "/surprise", "/deadline/fixed/date"} <= paths
    assert db.session.scalar(db.select(db.func.count(Obligation.id))) == 1  # nothing written


def test_service_refusals_name_the_field_the_client_sent(app, client):
    team, _, enacted, _ = small_register()
    token = token_for("editor", teams=[team])
    body = {"key": "new-one", "title": "New", "team_id": team.id,
            "deadline": {"rule": "relative", "anchor_event_id": 99999, "offset": 10}}
    problem = expect_problem(client.post("/api/v1/obligations", headers=auth(token), json=body), 422)
    assert problem["errors"][0]["path"] == "/deadline/anchor_event_id"
    problem = expect_problem(client.post("/api/v1/obligations/1/status", headers=auth(token),
                                         json={"status": "waived"}), 422)
    assert problem["errors"] == [{"path": "/note", "message": "say why this obligation is waived"}]


def test_conflicts_with_the_register_are_409(app, client):
    _, source, enacted, _ = small_register()
    token = token_for("editor")
    problem = expect_problem(client.post("/api/v1/sources", headers=auth(token),
                                         json={"key": source.key, "title": "Again"}), 409)
    assert problem["errors"][0]["path"] == "/key"
    problem = expect_problem(client.delete(f"/api/v1/events/{enacted.id}", headers=auth(token)), 409)
    assert "count their deadline from this event" in problem["detail"]
    expect_problem(client.delete(f"/api/v1/sources/{source.id}", headers=auth(token)), 409)


def test_strings_are_not_silently_turned_into_numbers(app, client):
    token = token_for("admin")
    problem = expect_problem(client.post("/api/v1/teams", headers=auth(token),
                                         json={"key": "legal", "name": "Legal", "overdue_every_days": "7"}), 422)
    assert problem["errors"][0]["path"] == "/overdue_every_days"


def test_bad_query_values_and_cursors_are_422(app, client):
    token = token_for("viewer")
    problem = expect_problem(client.get("/api/v1/obligations?limit=500", headers=auth(token)), 422)
    assert problem["errors"][0]["path"] == "/query/limit"
    expect_problem(client.get("/api/v1/obligations?cursor=garbage", headers=auth(token)), 422)
    expect_problem(client.get("/api/v1/obligations?colour=red", headers=auth(token)), 422)


def test_unknown_api_urls_answer_404_even_for_writes_with_csrf_on(database_url):
    from tracker import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TRACKER_SCHEDULER": "off",
                      "SECRET_KEY": "test-secret"})
    client = app.test_client()
    expect_problem(client.post("/api/v1/nothing-here", json={}), 404)
    expect_problem(client.post("/api/v1/obligations/1/history", json={}), 405)
    expect_problem(client.post("/api/v1/sources", json={}), 401)


def test_api_errors_stay_problems_whatever_html_error_pages_the_app_adds(app, client):
    # The web UI registers friendly HTML pages for every HTTP error; the API must not inherit them.
    app.register_error_handler(404, lambda exc: ("<h1>Not found</h1>", 404))
    app.register_error_handler(Exception, lambda exc: ("<h1>Oops</h1>", 500))
    expect_problem(client.get("/api/v1/no-such-thing"), 404)
    expect_problem(client.get("/api/v1/obligations/77", headers=auth(token_for("viewer"))), 404)
    assert client.get("/no-such-page").get_data(as_text=True) == "<h1>Not found</h1>"


def test_control_characters_in_query_text_are_refused_not_sent_to_the_database(app, client):
    token = token_for("viewer")
    for url, message in (("/api/v1/obligations?q=%00", "character U+0000 is not allowed in '\\x00'"),
                         ("/api/v1/obligations.csv?team=a%00b", "character U+0000 is not allowed in 'a\\x00b'"),
                         ("/api/v1/sources?jurisdiction=%0A", "character U+000A is not allowed in '\\n'")):
        problem = expect_problem(client.get(url, headers=auth(token)), 422)
        assert problem["errors"][0]["message"] == message  # the words of the forms and packs


def test_a_viewers_browser_session_does_not_block_an_editor_token(app, client):
    login(client, make_user(role="viewer"))
    response = client.post("/api/v1/sources", headers=auth(token_for("editor")),
                           json={"key": "eo-n-5-26", "title": "California Executive Order N-5-26",
                                 "kind": "executive_order", "jurisdiction": "US-CA"})
    assert response.status_code == 201, response.get_data(as_text=True)
