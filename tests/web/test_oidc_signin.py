"""Sign-in with a real OpenID provider (oidc-provider on loopback): the whole flow, accounts,
groups to roles and teams, refusals, sign-out, passwords off."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from tests.factories import make_team, make_user
from tests.oidc_support import oidc_config, oidc_provider, path_of, sign_in_at_provider, signin_log
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, OidcIdentity, User
from tracker.signin import operations as mappings

BASE = "https://tracker.example.test"  # the app fixture's TRACKER_BASE_URL


@pytest.fixture(scope="module")
def issuer():
    with oidc_provider(BASE) as url:
        yield url


@pytest.fixture
def sso(app, issuer):
    """The app signing in with the provider; grc-editors -> editor of GRC, procurement-viewers -> viewer."""
    app.config.update(oidc_config(issuer))
    grc, procurement = make_team(key="grc", name="GRC"), make_team(key="procurement", name="Procurement")
    mappings.save_group_mapping("grc-editors", "editor", ["grc"], SYSTEM)
    mappings.save_group_mapping("procurement-viewers", "viewer", ["procurement"], SYSTEM)
    make_user("admin@example.com", role="admin")
    return app


def start(client, next_url: str | None = None) -> str:
    response = client.get("/login/oidc/start" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(client, login: str, next_url: str | None = None):
    """The whole flow as `login`; returns our callback's response."""
    callback = sign_in_at_provider(start(client, next_url), login, BASE)
    return client.get(path_of(callback))


def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def reference_of(response) -> str:
    return re.search(r"Reference <code>([0-9a-f]+)</code>", response.get_data(as_text=True)).group(1)


def test_login_page_offers_the_provider_button(sso, client):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test IdP" in page and "/login/oidc/start" in page


def test_first_sign_in_creates_the_user_with_the_role_and_team_of_their_group(sso, client):
    response = sign_in(client, "alice", next_url="/account")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    alice = user("alice@example.com")
    assert (alice.name, alice.role, [t.key for t in alice.teams]) == ("Alice Compliance", "editor", ["grc"])
    assert alice.password_hash is None
    assert client.get("/account").status_code == 200  # signed in
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor == "identity provider")).all()
    assert {(e.entity, e.action) for e in entries} == {("user", "create"), ("user", "update"), ("team", "update")}
    link = db.session.scalar(select(OidcIdentity))
    assert (link.subject, link.user_id) == ("alice", alice.id)


def test_a_person_in_another_group_gets_that_groups_role_and_team(sso, client):
    assert sign_in(client, "bob").status_code == 303
    bob = user("bob@example.com")
    assert (bob.role, [t.key for t in bob.teams]) == ("viewer", ["procurement"])


def test_the_highest_role_of_the_mapped_groups_wins_and_teams_add_up(sso, client):
    mappings.save_group_mapping("everyone", "viewer", ["procurement"], SYSTEM)
    assert sign_in(client, "alice").status_code == 303
    alice = user("alice@example.com")
    assert (alice.role, sorted(t.key for t in alice.teams)) == ("editor", ["grc", "procurement"])


def test_each_sign_in_applies_the_mapping_as_it_is_then(sso, client):
    sign_in(client, "alice")
    client.post("/logout")
    mappings.save_group_mapping("grc-editors", "admin", ["procurement"], SYSTEM)
    assert sign_in(client, "alice").status_code == 303
    alice = user("alice@example.com")
    assert (alice.role, [t.key for t in alice.teams]) == ("admin", ["procurement"])  # left GRC
    assert db.session.scalar(select(User.id).where(User.email == "alice@example.com")) == alice.id
    assert len(db.session.scalars(select(OidcIdentity)).all()) == 1


def test_a_sign_in_whose_groups_map_to_nothing_is_refused_and_says_whom_to_ask(sso, client):
    with signin_log() as log:
        response = sign_in(client, "dave")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "None of your groups" in page and "admin@example.com" in page
    assert reference_of(response) in log.getvalue() and "no_mapped_group" in log.getvalue()
    assert user("dave@example.com") is None and db.session.scalar(select(OidcIdentity)) is None
    assert client.get("/account").status_code == 302  # not signed in


def test_an_unverified_email_is_refused_and_nothing_is_created(sso, client):
    response = sign_in(client, "carol")
    assert response.status_code == 403
    assert "did not confirm your email" in response.get_data(as_text=True)
    assert user("carol@example.com") is None and db.session.scalar(select(OidcIdentity)) is None


def test_an_existing_local_user_is_linked_once_by_verified_email(sso, client):
    local = make_user("alice@example.com", role="viewer", password="password-123", name="Alice Local")
    assert sign_in(client, "alice").status_code == 303
    alice = user("alice@example.com")
    assert alice.id == local.id and alice.role == "editor" and alice.name == "Alice Local"
    links = db.session.scalars(select(OidcIdentity)).all()
    assert [(link.user_id, link.subject) for link in links] == [(local.id, "alice")]
    linked = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.entity_id == local.id,
                                                        AuditEntry.actor == "identity provider")).all()
    assert [e.changes for e in linked if "identity_provider" in e.changes]
    assert any(e.changes.get("role") == ["viewer", "editor"] for e in linked)
    client.post("/logout")
    assert sign_in(client, "alice").status_code == 303
    assert len(db.session.scalars(select(OidcIdentity)).all()) == 1


def test_a_replayed_callback_is_refused(sso, client):
    callback = path_of(sign_in_at_provider(start(client), "alice", BASE))
    assert client.get(callback).status_code == 303
    client.post("/logout")
    with signin_log() as log:
        replay = client.get(callback)
    assert replay.status_code == 400 and "Start again" in replay.get_data(as_text=True)
    assert "state_missing" in log.getvalue()


def test_a_replayed_code_under_a_fresh_state_is_refused_by_the_provider(sso, client):
    old = httpx.URL(sign_in_at_provider(start(client), "alice", BASE))
    assert client.get(path_of(str(old))).status_code == 303
    client.post("/logout")
    fresh = httpx.URL(start(client))  # a new sign-in under way in this browser: a good state
    code = old.params["code"]
    with signin_log() as log:
        response = client.get("/login/oidc/callback", query_string={"code": code, "state": fresh.params["state"],
                                                                     "iss": old.params["iss"]})
    assert response.status_code == 400
    assert "code_refused" in log.getvalue() and code not in log.getvalue()
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("state", [None, "", "forged-state"])
def test_a_wrong_or_missing_state_is_refused(sso, client, state):
    callback = httpx.URL(sign_in_at_provider(start(client), "alice", BASE))
    query = {"code": callback.params["code"]}
    if state is not None:
        query["state"] = state
    response = client.get("/login/oidc/callback", query_string=query)
    assert response.status_code == 400 and "Reference" in response.get_data(as_text=True)
    assert user("alice@example.com") is None


def test_a_callback_without_any_sign_in_started_is_refused(sso, client):
    response = client.get("/login/oidc/callback?code=abc&state=def")
    assert response.status_code == 400


def test_a_person_who_cancels_at_the_provider_gets_a_refusal_page(sso, client):
    state = httpx.URL(start(client)).params["state"]
    response = client.get("/login/oidc/callback", query_string={"error": "access_denied", "state": state})
    assert response.status_code == 403 and "did not sign you in" in response.get_data(as_text=True)


def test_a_deactivated_user_is_refused(sso, client):
    sign_in(client, "alice")
    client.post("/logout")
    from tracker.people import operations as people

    people.update_user(user("alice@example.com"), SYSTEM, active=False)
    response = sign_in(client, "alice")
    assert response.status_code == 403 and "deactivated" in response.get_data(as_text=True)


def test_sign_out_ends_our_session_and_sends_the_browser_to_the_providers_sign_out(sso, client, issuer):
    sign_in(client, "alice")
    response = client.post("/logout")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    target = re.search(r'content="0; url=([^"]+)"', page).group(1).replace("&amp;", "&")
    assert target.startswith(issuer + "/session/end?") and "client_id=tracker-test" in target
    assert "post_logout_redirect_uri=https%3A%2F%2Ftracker.example.test%2Flogin" in target
    assert client.get("/account").status_code == 302
    assert httpx.get(target, timeout=10).status_code == 200  # the provider accepts it (asks to confirm)


def test_a_password_user_signs_out_as_before(sso, client):
    make_user("local@example.com", role="viewer")
    client.post("/login", data={"email": "local@example.com", "password": "password-123"})
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_passwords_off_except_for_break_glass_admins(sso, client):
    sso.config.update(TRACKER_PASSWORD_SIGNIN=False, TRACKER_BREAK_GLASS_ADMINS=["admin@example.com"])
    make_user("local@example.com", role="editor")
    page = client.get("/login").get_data(as_text=True)
    assert "Password sign-in is turned off" in page
    refused = client.post("/login", data={"email": "local@example.com", "password": "password-123"})
    assert refused.status_code == 200 and "not right" in refused.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    allowed = client.post("/login", data={"email": "Admin@example.com", "password": "password-123"})
    assert allowed.status_code == 302
    assert "Password sign-in is turned off" not in client.get("/account").get_data(as_text=True)


def test_the_account_page_says_when_passwords_are_off(sso, client):
    sso.config.update(TRACKER_PASSWORD_SIGNIN=False, TRACKER_BREAK_GLASS_ADMINS=[])
    sign_in(client, "alice")
    assert "Password sign-in is turned off" in client.get("/account").get_data(as_text=True)


def test_api_tokens_of_a_user_from_the_provider_work_and_end_with_deactivation(sso, client):
    sign_in(client, "alice")
    alice = user("alice@example.com")
    _, secret = create_token(alice, "script", SYSTEM)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/teams", headers=headers).status_code == 200
    from tracker.people import operations as people

    people.update_user(user("alice@example.com"), SYSTEM, active=False)
    assert client.get("/api/v1/teams", headers=headers).status_code == 401


def test_a_provider_that_is_down_gets_a_refusal_page_not_a_500(app, client):
    app.config.update(oidc_config("http://127.0.0.1:9"))  # discard port: nothing listens
    response = client.get("/login/oidc/start")
    assert response.status_code == 502 and "could not be reached" in response.get_data(as_text=True)


def test_a_plain_http_issuer_off_loopback_is_refused(app, client):
    app.config.update(oidc_config("http://idp.example.test"))
    response = client.get("/login/oidc/start")
    assert response.status_code == 503 and "https://" in response.get_data(as_text=True)


def test_without_settings_there_is_no_button_and_no_flow(app, client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc/start").status_code == 404
