"""The account token page, the admins' token page, the API reference page and `flask create-token`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from openapi_spec_validator import validate

from tests.factories import login, make_user
from tracker.db import db
from tracker.models import ApiToken

PASSWORD = "password-123"  # the factories' default


def _new_token(page: str) -> str:
    match = re.search(r'<code id="new-token"[^>]*>(trk_[A-Za-z0-9_-]+)</code>', page)
    assert match, "the new token is shown"
    return match.group(1)


def _create(client, name: str = "contract system", **fields) -> object:
    return client.post("/account/tokens", data={"name": name, "password": PASSWORD, **fields})


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(ApiToken.id)))


def test_a_viewer_creates_a_token_sees_it_once_and_can_revoke_it(app, client):
    viewer = make_user(role="viewer")
    login(client, viewer)
    response = _create(client)
    secret = _new_token(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session.scalar(db.select(ApiToken))
    assert stored.name == "contract system" and secret not in stored.token_hash
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and "contract system" in again and "never" in again

    assert client.get("/api/v1/teams", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.post("/api/v1/teams", headers={"Authorization": f"Bearer {secret}"},
                       json={"key": "x", "name": "X"}).status_code == 403

    client.post(f"/account/tokens/{stored.id}/revoke", follow_redirects=True)
    assert client.get("/api/v1/teams", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_a_token_needs_a_name(app, client):
    login(client, make_user(role="editor"))
    response = _create(client, name="  ")
    assert response.status_code == 400
    assert "this field is required" in response.get_data(as_text=True)
    assert _count() == 0


def test_creating_a_token_needs_the_current_password(app, client):
    login(client, make_user(role="editor"))
    wrong = client.post("/account/tokens", data={"name": "ci", "password": "not-my-password"})
    assert wrong.status_code == 400
    assert "This is not your current password." in wrong.get_data(as_text=True)
    assert 'id="new-token"' not in wrong.get_data(as_text=True)
    missing = client.post("/account/tokens", data={"name": "ci"})
    assert missing.status_code == 400
    assert "Enter your current password" in missing.get_data(as_text=True)
    assert _count() == 0
    _new_token(_create(client, name="ci").get_data(as_text=True))
    assert _count() == 1


def test_wrong_passwords_on_the_token_page_count_towards_the_sign_in_limit(app, client):
    user = make_user(role="editor")
    login(client, user)
    for _ in range(5):
        client.post("/account/tokens", data={"name": "ci", "password": "guess"})
    page = _create(client, name="ci").get_data(as_text=True)
    assert "Too many failed sign-ins" in page and 'id="new-token"' not in page
    assert _count() == 0


def test_a_token_expires_after_90_days_unless_another_lifetime_is_chosen(app, client, clock):
    login(client, make_user(role="editor"))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    _create(client, name="default")
    _create(client, name="short", expires_days="7")
    by_name = {t.name: t for t in db.session.scalars(db.select(ApiToken))}
    assert by_name["default"].expires_at == now + timedelta(days=90)
    assert by_name["short"].expires_at == now + timedelta(days=7)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "2027-02-27 12:00 UTC" in page and "2026-12-06 12:00 UTC" in page


def test_a_lifetime_out_of_range_is_a_field_error_and_makes_no_token(app, client):
    login(client, make_user(role="editor"))
    for value in ("0", "366", "abc", "-5", "1.5", "9" * 400):
        response = _create(client, name="ci", expires_days=value)
        assert response.status_code == 400, value
        assert "a whole number of days from 1 to 365" in response.get_data(as_text=True), value
    assert _count() == 0


def test_a_read_only_token_is_made_from_the_form(app, client):
    login(client, make_user(role="admin"))
    secret = _new_token(_create(client, name="reporting", scope="read_only").get_data(as_text=True))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/teams", headers=headers).status_code == 200
    refused = client.post("/api/v1/teams", headers=headers, json={"key": "x", "name": "X", "timezone": "UTC"})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["detail"]
    assert "read-only" in client.get("/account/tokens").get_data(as_text=True)


def test_changing_ones_password_revokes_ones_tokens(app, client):
    user = make_user(role="editor")
    login(client, user)
    secret = _new_token(_create(client).get_data(as_text=True))
    client.post("/account/password", data={"current": PASSWORD, "new": "a-new-password-1",
                                           "confirm": "a-new-password-1"})
    assert client.get("/api/v1/teams", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "password changed" in client.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_someone_elses_token_from_their_own_page(app, client):
    owner = make_user(role="editor")
    login(client, owner)
    _create(client, name="mine")
    token_id = db.session.scalar(db.select(ApiToken.id))
    client.post("/logout")
    login(client, make_user(role="admin"))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_an_admin_sees_every_users_tokens_and_revokes_one(app, client):
    owner = make_user(role="viewer", email="viewer@example.com")
    login(client, owner)
    secret = _new_token(_create(client, name="dashboard", scope="read_only").get_data(as_text=True))
    client.post("/logout")
    login(client, make_user(role="admin", email="boss@example.com"))
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/tokens"' in home
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert "dashboard" in page and "viewer@example.com" in page and "read-only" in page and "active" in page
    token_id = db.session.scalar(db.select(ApiToken.id))
    client.post(f"/admin/tokens/{token_id}/revoke", follow_redirects=True)
    assert client.get("/api/v1/teams", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked by an admin" in client.get("/admin/tokens").get_data(as_text=True)
    client.post("/logout")
    login(client, owner)
    assert "revoked by an admin" in client.get("/account/tokens").get_data(as_text=True)


def test_only_admins_open_the_token_admin_page(app, client):
    for role in ("viewer", "editor"):
        user = make_user(role=role)
        login(client, user)
        _create(client, name="mine")
        assert client.get("/admin/tokens").status_code == 403
        token_id = db.session.scalar(db.select(ApiToken.id).order_by(ApiToken.id.desc()))
        assert client.post(f"/admin/tokens/{token_id}/revoke").status_code == 403
        assert db.session.get(ApiToken, token_id).revoked_at is None
        assert 'href="/admin/tokens"' not in client.get("/").get_data(as_text=True)
        client.post("/logout")


def test_the_reference_page_describes_every_operation_from_the_document(app, client):
    login(client, make_user(role="viewer"))
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    page = client.get("/api/docs").get_data(as_text=True)
    for path, methods in document["paths"].items():
        for method in methods:
            assert f'id="op-{methods[method]["operationId"]}"' in page
    assert "cdn" not in page.lower()
    assert "application/problem+json" in page


def test_the_document_describes_the_token_endpoints(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    listing = document["paths"]["/api/v1/tokens"]["get"]
    revoking = document["paths"]["/api/v1/tokens/{token_id}"]["delete"]
    assert listing["x-role"] == revoking["x-role"] == "admin"
    assert "403" in listing["responses"] and "204" in revoking["responses"]
    # every write may meet a read-only token
    assert "403" in document["paths"]["/api/v1/sources"]["post"]["responses"]
    assert "read-only" in document["components"]["responses"]["Problem403"]["description"]


def test_create_token_command_prints_a_working_token(app, client, runner):
    make_user(email="buyer@example.com", role="editor")
    result = runner.invoke(args=["create-token", "buyer@example.com", "ticketing"])
    assert result.exit_code == 0
    secret = result.output.strip()
    assert client.get("/api/v1/obligations", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    missing = runner.invoke(args=["create-token", "nobody@example.com", "x"])
    assert missing.exit_code == 1
    assert "no user with email 'nobody@example.com'" in missing.output


def test_create_token_command_sets_the_lifetime_and_scope(app, client, runner, clock):
    make_user(email="buyer@example.com", role="editor")
    result = runner.invoke(args=["create-token", "buyer@example.com", "nightly", "--expires-days", "30",
                                 "--read-only"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(db.select(ApiToken))
    assert token.read_only
    assert token.expires_at == datetime(2026, 12, 29, 12, 0, tzinfo=timezone.utc)
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    assert client.get("/api/v1/obligations", headers=headers).status_code == 200
    assert client.post("/api/v1/sources", headers=headers, json={}).status_code == 403


def test_create_token_command_refuses_a_bad_lifetime(app, runner):
    make_user(email="buyer@example.com", role="editor")
    for value in ("0", "366", "ninety", "-1"):
        result = runner.invoke(args=["create-token", "buyer@example.com", "x", f"--expires-days={value}"])
        assert result.exit_code == 1, value
        assert "--expires-days: a whole number of days from 1 to 365" in result.output, value
    assert _count() == 0
