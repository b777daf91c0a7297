"""Sign-in, sign-out, rate limiting, CSRF, roles and one's own password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from tests.factories import login, make_obligation, make_team, make_user
from tracker.db import db
from tracker.models import LoginAttempt, Obligation, User


def test_every_page_but_sign_in_needs_sign_in(client):
    for url in ("/", "/obligations", "/sources", "/events", "/timeline", "/teams", "/users", "/account",
                "/import", "/obligations.csv", "/obligations/1", "/events/1", "/sources/1", "/teams/1"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
    page = client.get("/login").get_data(as_text=True)
    assert ">Email<" in page and ">Password<" in page and 'value="Sign in"' in page


def test_sign_in_starts_a_fresh_session_and_sign_out_ends_it(client):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    assert login(client, user).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # sign-out is a POST
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_parameter_never_leaves_the_site(client):
    user = make_user()
    response = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": "password-123"})
    assert response.headers["Location"] == "/"
    response = client.post("/logout")
    response = client.post("/login?next=/obligations", data={"email": user.email, "password": "password-123"})
    assert response.headers["Location"] == "/obligations"


def test_deactivated_user_cannot_sign_in(client):
    user = make_user()
    user.active = False
    db.session.commit()
    response = login(client, user)
    assert response.status_code == 200
    assert "Email or password is not right." in response.get_data(as_text=True)


def test_repeated_failures_on_one_account_from_one_address_are_refused_with_429(client, clock):
    user = make_user()
    for _ in range(5):
        assert login(client, user, password="wrong-guess").status_code == 200
    response = login(client, user)  # this address waits now, even with the right password
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    clock.shift(timedelta(minutes=16))
    assert login(client, user).status_code == 302
    assert db.session.scalar(db.select(db.func.count(LoginAttempt.id)).where(
        LoginAttempt.email == user.email, LoginAttempt.succeeded.is_(False))) == 0


def _from(client, address: str, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(client, clock):
    owner = make_user(role="admin")
    for _ in range(30):
        _from(client, "203.0.113.66", owner.email, "guess-guess")
    assert _from(client, "203.0.113.66", owner.email, "password-123").status_code == 429  # the attacker waits
    response = _from(client.application.test_client(), "192.0.2.10", owner.email, "password-123")
    assert response.status_code == 302 and response.headers["Location"] == "/"  # the owner gets in


def test_guessing_from_many_addresses_pauses_only_addresses_the_account_never_used(client, clock):
    owner = make_user(role="admin")
    assert _from(client, "192.0.2.10", owner.email, "password-123").status_code == 302  # the usual office
    client.post("/logout")
    clock.shift(timedelta(hours=1))
    for index in range(40):  # a botnet: one guess from each of many addresses
        _from(client.application.test_client(), f"198.51.100.{index}", owner.email, "guess-guess")
    response = _from(client.application.test_client(), "198.51.100.200", owner.email, "password-123")
    assert response.status_code == 429
    assert "can only be signed in to from a place it was used from before" in response.get_data(as_text=True)
    assert _from(client.application.test_client(), "192.0.2.10", owner.email, "password-123").status_code == 302


def test_the_current_password_on_the_account_page_is_rate_limited_too(client, clock):
    user = make_user(role="viewer")
    login(client, user)
    for _ in range(5):
        response = client.post("/account/password", data={"current": "a-guess-1", "new": "brand-new-pass",
                                                           "confirm": "brand-new-pass"})
        assert response.status_code == 400
    response = client.post("/account/password", data={"current": "password-123", "new": "brand-new-pass",
                                                       "confirm": "brand-new-pass"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, user.id).password_hash, "password-123")  # not changed


def test_one_address_guessing_many_accounts_is_slowed_down(client, clock):
    for index in range(20):
        client.post("/login", data={"email": f"guess{index}@example.com", "password": "nope-nope"})
    user = make_user()
    response = login(client, user)
    assert response.status_code == 429
    other = client.application.test_client()
    response = other.post("/login", data={"email": user.email, "password": "password-123"},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_failed_attempts_are_shared_through_the_database(client, app, clock):
    """Several gunicorn workers: a second app on the same database sees the failures."""
    from tracker import create_app

    user = make_user()
    for _ in range(5):
        login(client, user, password="wrong-guess")
    second = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")},
                         "TESTING": True, "WTF_CSRF_ENABLED": False, "TRACKER_SCHEDULER": "off"})
    with second.app_context():
        response = second.test_client().post("/login", data={"email": user.email, "password": "password-123"})
        assert response.status_code == 429
        db.session.remove()
        db.engine.dispose()


def test_a_post_without_csrf_token_is_refused(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(role="editor")
    team = make_team()
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"email": user.email, "password": "password-123",
                                       "csrf_token": token}).status_code == 302
    response = client.post("/obligations/new", data={"key": "k1", "title": "T", "team_id": team.id,
                                                      "rule": "fixed", "rule_date": "2027-01-01"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Obligation.id)) is None
    response = client.post("/logout")
    assert response.status_code == 400


VIEWER_POSTS = [
    "/obligations/new", "/obligations/{ob}/edit", "/obligations/{ob}/status", "/obligations/{ob}/delete",
    "/sources/new", "/sources/1/edit", "/sources/1/delete", "/events/new", "/events/1/edit",
    "/events/1/delete", "/events/1/preview", "/events/1/record", "/teams/new", "/teams/{team}/edit",
    "/teams/{team}/members", "/teams/{team}/members/1/remove", "/users/new", "/users/1", "/users/1/password",
    "/import",
]


@pytest.mark.parametrize("role", ["viewer"])
def test_a_viewer_can_post_nothing_but_their_own_account(client, role):
    team = make_team()
    ob = make_obligation(team=team)
    viewer = make_user(role=role, teams=[team])
    login(client, viewer)
    for url in VIEWER_POSTS:
        url = url.format(ob=ob.id, team=team.id)
        assert client.post(url, data={"status": "done", "title": "x"}).status_code == 403, url
    assert db.session.get(Obligation, ob.id).status == "open"
    response = client.post("/account", data={"name": "New Name"})
    assert response.status_code == 302
    db.session.expire_all()  # the request ran in a session of its own
    assert db.session.get(User, viewer.id).name == "New Name"


def test_editors_cannot_reach_admin_pages(client):
    login(client, make_user(role="editor"))
    for url in ("/users", "/users/new", "/teams/new", "/import"):
        assert client.get(url).status_code == 403, url
    page = client.get("/").get_data(as_text=True)
    assert "Users" not in page.split("</nav>")[0]


def test_password_change_needs_the_current_password_and_rotates_the_session(client):
    user = make_user(role="viewer")
    login(client, user)
    response = client.post("/account/password", data={"current": "wrong-one", "new": "brand-new-pass",
                                                       "confirm": "brand-new-pass"})
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current": "password-123", "new": "brand-new-pass",
                                                       "confirm": "different-pass"})
    assert "The two new passwords differ." in response.get_data(as_text=True)
    with client.session_transaction() as session:
        session["marker"] = "old session"
    response = client.post("/account/password", data={"current": "password-123", "new": "brand-new-pass",
                                                       "confirm": "brand-new-pass"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "marker" not in session
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert login(client, user).status_code == 200  # old password refused
    assert login(client, user, password="brand-new-pass").status_code == 302


def test_password_change_signs_out_other_browsers(app):
    from flask import g

    from tests.factories import login, make_user

    def get_home(browser):
        # The fixture keeps one app context for the whole test, so Flask-Login's
        # per-request user cache (on g) must be dropped to act like a new request.
        g.pop("_login_user", None)
        return browser.get("/")

    user = make_user(role="viewer")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    assert get_home(phone).status_code == 200
    g.pop("_login_user", None)
    response = laptop.post("/account/password", data={
        "current": "password-123", "new": "a-brand-new-password", "confirm": "a-brand-new-password"})
    assert response.status_code == 302
    assert get_home(laptop).status_code == 200          # the browser that changed it stays in
    signed_out = get_home(phone)                        # the other one must sign in again
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]



def test_a_control_character_in_the_sign_in_email_is_refused_in_the_one_line_rule_s_words(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email[:3] + "\x07" + user.email[3:],
                                           "password": "password-123"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Sign out" not in page
    assert "Character U+0007 is not allowed in" in page  # the words of tracker.fields.check_line
    assert login(client, user).status_code == 302
