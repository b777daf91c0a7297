"""The account token page, the API reference page and `flask create-token`."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.factories import login, make_user
from tracker.db import db
from tracker.models import ApiToken


def _new_token(page: str) -> str:
    match = re.search(r'<code id="new-token"[^>]*>(trk_[A-Za-z0-9_-]+)</code>', page)
    assert match, "the new token is shown"
    return match.group(1)


def test_a_viewer_creates_a_token_sees_it_once_and_can_revoke_it(app, client):
    viewer = make_user(role="viewer")
    login(client, viewer)
    page = client.post("/account/tokens", data={"name": "contract system"}).get_data(as_text=True)
    secret = _new_token(page)
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
    page = client.post("/account/tokens", data={"name": "  "}).get_data(as_text=True)
    assert "this field is required" in page
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_nobody_revokes_someone_elses_token(app, client):
    owner = make_user(role="editor")
    login(client, owner)
    client.post("/account/tokens", data={"name": "mine"})
    token_id = db.session.scalar(db.select(ApiToken.id))
    client.post("/logout")
    login(client, make_user(role="admin"))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token_id).revoked_at is None


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


def test_create_token_command_prints_a_working_token(app, client, runner):
    make_user(email="buyer@example.com", role="editor")
    result = runner.invoke(args=["create-token", "buyer@example.com", "ticketing"])
    assert result.exit_code == 0
    secret = result.output.strip()
    assert client.get("/api/v1/obligations", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    missing = runner.invoke(args=["create-token", "nobody@example.com", "x"])
    assert missing.exit_code == 1
    assert "no user with email 'nobody@example.com'" in missing.output
