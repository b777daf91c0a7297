"""API tokens expire, may be read-only, die with a password change or a deactivation,
and admins list and revoke any user's tokens through /api/v1/tokens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.factories import login, make_team, make_user
from tests.integration.api_helpers import auth, expect_problem, http_request
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens as feed_tokens
from tracker.models import ApiToken, AuditEntry
from tracker.people.operations import set_password, update_user


def _token(role: str = "editor", **options) -> tuple[ApiToken, str]:
    return create_token(make_user(role=role, password=None), f"{role} token", SYSTEM, **options)


def test_an_expired_token_gets_401_saying_it_expired(app, client, clock):
    _, secret = _token(expires_days=1)
    clock.move_to("2026-11-30T11:59:00Z")
    assert client.get("/api/v1/teams", headers=auth(secret)).status_code == 200
    clock.move_to("2026-11-30T12:00:00Z")
    body = expect_problem(client.get("/api/v1/teams", headers=auth(secret)), 401)
    assert "expired on 2026-11-30 12:00 UTC" in body["detail"]


def test_tokens_made_without_a_lifetime_last_90_days(app, client, clock):
    token, secret = _token()
    assert token.expires_at == datetime(2026, 11, 29, 12, tzinfo=timezone.utc) + timedelta(days=90)
    clock.move_to("2027-02-27T11:00:00Z")
    assert client.get("/api/v1/teams", headers=auth(secret)).status_code == 200
    clock.move_to("2027-02-27T12:00:01Z")
    assert "expired" in expect_problem(client.get("/api/v1/teams", headers=auth(secret)), 401)["detail"]


def test_a_read_only_token_of_an_admin_reads_but_every_write_is_403(app, client):
    team = make_team(key="procurement")
    _, secret = _token("admin", read_only=True)
    assert client.get("/api/v1/teams", headers=auth(secret)).status_code == 200
    assert client.get(f"/api/v1/teams/{team.id}", headers=auth(secret)).status_code == 200
    writes = [client.post("/api/v1/teams", headers=auth(secret), json={"key": "x", "name": "X", "timezone": "UTC"}),
              client.patch(f"/api/v1/teams/{team.id}", headers=auth(secret), json={"name": "Renamed"}),
              client.delete(f"/api/v1/teams/{team.id}", headers=auth(secret)),
              client.delete("/api/v1/tokens/1", headers=auth(secret))]
    for response in writes:
        body = expect_problem(response, 403)
        assert "read-only" in body["detail"] and "whatever its user's role" in body["detail"]
    db.session.expire_all()
    assert [t.key for t in db.session.scalars(sa.select(type(team)))] == ["procurement"]
    assert db.session.get(type(team), team.id).name != "Renamed"


def test_a_read_only_token_over_real_http(app, live_server):
    _, read_only = _token("editor", read_only=True)
    _, full = _token("editor")
    body = {"key": "s-1", "title": "S", "kind": "bill", "jurisdiction": "US"}
    status, _, problem = http_request(f"{live_server}/api/v1/sources", "POST", read_only, body)
    assert status == 403 and "read-only" in problem["detail"]
    status, _, _ = http_request(f"{live_server}/api/v1/sources", "POST", full, body)
    assert status == 201


def test_a_password_change_revokes_every_token_of_the_user(app, client):
    user = make_user(role="editor")
    _, first = create_token(user, "one", SYSTEM)
    _, second = create_token(user, "two", SYSTEM, read_only=True)
    other_user_token = _token()[1]
    set_password(user, "another-password", SYSTEM)
    for secret in (first, second):
        body = expect_problem(client.get("/api/v1/teams", headers=auth(secret)), 401)
        assert "revoked (password changed)" in body["detail"]
    assert client.get("/api/v1/teams", headers=auth(other_user_token)).status_code == 200
    changes = [e.changes for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_id == user.id))]
    assert {"api_tokens": ["-one, -two", "revoked: password changed"]} in changes
    # a token made after the change works
    _, fresh = create_token(user, "three", SYSTEM)
    assert client.get("/api/v1/teams", headers=auth(fresh)).status_code == 200


def test_deactivation_revokes_api_and_feed_tokens_and_reactivation_brings_none_back(app, client):
    team = make_team()
    user = make_user(role="editor", teams=[team])
    _, secret = create_token(user, "ci", SYSTEM)
    feed = feed_tokens.ensure_token(user, SYSTEM)
    feed_path = f"/feeds/{feed.token}.ics"
    assert client.get(feed_path).status_code == 200

    update_user(user, SYSTEM, active=False)
    body = expect_problem(client.get("/api/v1/teams", headers=auth(secret)), 401)
    assert "revoked (user deactivated)" in body["detail"]
    assert client.get(feed_path).status_code == 404

    update_user(user, SYSTEM, active=True)
    body = expect_problem(client.get("/api/v1/teams", headers=auth(secret)), 401)
    assert "revoked (user deactivated)" in body["detail"]
    assert client.get(feed_path).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken)).revoked_reason == "user deactivated"
    assert feed_tokens.active_token(user) is None


def test_deactivation_from_the_users_page_revokes_tokens(app, client):
    admin = make_user(role="admin")
    user = make_user(role="editor")
    _, secret = create_token(user, "ci", SYSTEM)
    login(client, admin)
    response = client.post(f"/users/{user.id}", data={"name": "Leaver", "role": "editor"})  # active unticked
    assert response.status_code == 302
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.revoked_at is not None and token.revoked_reason == "user deactivated"


def test_admins_list_every_users_tokens_through_the_api(app, client, clock):
    _, admin_secret = _token("admin")
    viewer = make_user(role="viewer", email="viewer@example.com", password=None)
    create_token(viewer, "dashboard", SYSTEM, read_only=True, expires_days=30)
    revoked, _ = create_token(viewer, "old", SYSTEM)
    revoked.revoked_at = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    db.session.commit()
    response = client.get("/api/v1/tokens", headers=auth(admin_secret))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [t["name"] for t in items] == ["admin token", "dashboard", "old"]
    dashboard = items[1]
    assert dashboard["owner"]["email"] == "viewer@example.com"
    assert dashboard["scope"] == "read_only" and dashboard["status"] == "active"
    assert dashboard["expires_at"].startswith("2026-12-29T12:00")
    assert "token_hash" not in dashboard and dashboard["prefix"].startswith("trk_")
    only_viewer = client.get("/api/v1/tokens?user=viewer@example.com&status=revoked", headers=auth(admin_secret))
    assert [t["name"] for t in only_viewer.get_json()["items"]] == ["old"]
    page = client.get("/api/v1/tokens?limit=2", headers=auth(admin_secret)).get_json()
    assert len(page["items"]) == 2 and page["next"]
    rest = client.get(page["next"], headers=auth(admin_secret)).get_json()
    assert [t["name"] for t in rest["items"]] == ["old"] and rest["next"] is None
    expect_problem(client.get("/api/v1/tokens?status=lost", headers=auth(admin_secret)), 422)


def test_an_admin_revokes_another_users_token_through_the_api(app, client):
    _, admin_secret = _token("admin")
    victim, victim_secret = _token("editor")
    response = client.delete(f"/api/v1/tokens/{victim.id}", headers=auth(admin_secret))
    assert response.status_code == 204
    body = expect_problem(client.get("/api/v1/teams", headers=auth(victim_secret)), 401)
    assert "revoked (revoked by an admin)" in body["detail"]
    assert client.delete(f"/api/v1/tokens/{victim.id}", headers=auth(admin_secret)).status_code == 204
    expect_problem(client.delete("/api/v1/tokens/987654", headers=auth(admin_secret)), 404)


def test_non_admins_get_403_on_the_token_endpoints(app, client):
    victim, _ = _token("viewer")
    for role in ("viewer", "editor"):
        _, secret = _token(role)
        expect_problem(client.get("/api/v1/tokens", headers=auth(secret)), 403)
        expect_problem(client.delete(f"/api/v1/tokens/{victim.id}", headers=auth(secret)), 403)
    db.session.expire_all()
    assert db.session.get(ApiToken, victim.id).revoked_at is None


def test_the_migration_gives_old_tokens_90_days_and_revokes_those_of_deactivated_users(app):
    downgrade(revision="0007")
    try:
        with db.engine.begin() as conn:
            for user_id, active in ((901, True), (902, False)):
                conn.execute(sa.text(
                    "INSERT INTO users (id, email, name, role, active, email_reminders, email_overdue, "
                    "email_changes, email_digest, created_at, updated_at) VALUES (:id, :email, 'U', 'editor', "
                    ":active, true, true, true, true, :at, :at)"),
                    {"id": user_id, "email": f"u{user_id}@example.com", "active": active,
                     "at": datetime(2026, 1, 1)})
                conn.execute(sa.text(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                    "VALUES (:id, 'old', :hash, 'trk_x', :at)"),
                    {"id": user_id, "hash": f"{user_id:064d}", "at": datetime(2026, 1, 1)})
    finally:
        upgrade()
    db.session.expire_all()
    rows = {t.user_id: t for t in db.session.scalars(sa.select(ApiToken))}
    soon = datetime.now(timezone.utc) + timedelta(days=90)
    assert abs(rows[901].expires_at - soon) < timedelta(minutes=5) and rows[901].revoked_at is None
    assert rows[902].revoked_at is not None and rows[902].revoked_reason == "user deactivated"
    assert not rows[901].read_only
