"""Server-side sessions, the sign-in throttle under parallel load, and start-up secrets.

The session tests talk real HTTP to a live server and replay a copied cookie,
as someone who stole it would.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import stat
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from tests.factories import login, make_user
from tracker.db import db
from tracker.models import LoginAttempt, User, UserSession


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Browser:
    """A cookie jar of one: the tracker's session cookie, which a test may copy."""

    def __init__(self, base: str, cookie: str | None = None):
        self.base, self.cookie = base, cookie

    def copy(self) -> Browser:
        return Browser(self.base, self.cookie)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, Location header, body)."""
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = _opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                match = re.match(r"session=([^;]*)", header)
                if match:
                    self.cookie = match.group(1) or None
            return response.status, response.headers.get("Location") or "", response.read().decode()

    def sign_in(self, email: str, password: str = "password-123", csrf: bool = False) -> int:
        data = {"email": email, "password": password}
        if csrf:
            data["csrf_token"] = self.csrf_token("/login")
        return self.request("/login", data)[0]

    def csrf_token(self, path: str) -> str:
        page = self.request(path)[2]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def signed_in(self) -> bool:
        status, location, _ = self.request("/")
        if status == 302 and "/login" in location:
            return False
        assert status == 200, (status, location)
        return True


def test_a_cookie_copied_before_sign_out_no_longer_works(live_server):
    user = make_user()
    browser = Browser(live_server)
    assert browser.sign_in(user.email) == 302
    stolen = browser.copy()
    assert stolen.signed_in()
    status, location, _ = browser.request("/logout", {})
    assert status == 302 and location.endswith("/login")
    assert not browser.signed_in()
    assert not stolen.signed_in()  # the copy is refused by the server, not just forgotten by the browser
    assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0


def test_sign_out_everywhere_ends_every_browser_and_needs_the_csrf_token(app, live_server):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(role="viewer")
    laptop, phone = Browser(live_server), Browser(live_server)
    assert laptop.sign_in(user.email, csrf=True) == 302
    assert phone.sign_in(user.email, csrf=True) == 302
    stolen = phone.copy()
    page = laptop.request("/account")[2]
    assert "Sign out everywhere" in page and "idle for 8 hours" in page and "7 days old" in page
    status, _, _ = laptop.request("/account/sessions/end", {})  # no CSRF token: refused
    assert status == 400
    assert phone.signed_in()
    status, location, _ = laptop.request("/account/sessions/end", {"csrf_token": laptop.csrf_token("/account")})
    assert status == 302 and location.endswith("/login")
    assert "You are signed out everywhere (2 sessions ended)." in laptop.request("/login")[2]
    assert not laptop.signed_in() and not phone.signed_in() and not stolen.signed_in()


def test_a_password_change_or_deactivation_ends_copied_sessions(live_server):
    user = make_user(role="admin")
    other = make_user(role="editor")
    browser = Browser(live_server)
    assert browser.sign_in(user.email) == 302
    stolen = browser.copy()
    status, _, _ = browser.request("/account/password", {"current": "password-123", "new": "another-password",
                                                         "confirm": "another-password"})
    assert status == 302
    assert browser.signed_in()  # the browser that changed it gets a new session
    assert not stolen.signed_in()

    victim = Browser(live_server)
    assert victim.sign_in(other.email) == 302
    copy = victim.copy()
    db.session.get(User, other.id).active = False
    db.session.commit()
    assert not copy.signed_in()
    db.session.get(User, other.id).active = True  # reactivated: the old sessions stay ended
    db.session.commit()
    assert not copy.signed_in() and not victim.signed_in()

    from tracker.audit import CLI
    from tracker.people import operations as people

    assert victim.sign_in(other.email) == 302
    people.set_password(db.session.get(User, other.id), "set-by-an-admin", CLI)  # e.g. on /users/<id>/password
    assert not victim.signed_in()


def test_sessions_end_after_the_idle_timeout_and_after_the_absolute_lifetime(app, live_server, clock):
    user = make_user()
    idle = Browser(live_server)
    assert idle.sign_in(user.email) == 302
    clock.shift(timedelta(hours=7, minutes=50))
    assert idle.signed_in()  # each request moves the idle clock on
    clock.shift(timedelta(hours=7, minutes=50))
    assert idle.signed_in()
    clock.shift(timedelta(hours=8, minutes=1))
    assert not idle.signed_in()

    busy = Browser(live_server)
    assert busy.sign_in(user.email) == 302
    for _ in range(23):  # in use every 7 hours: never idle, but 7 days is the most a session lives
        clock.shift(timedelta(hours=7))
        assert busy.signed_in()
    clock.shift(timedelta(hours=7))
    assert not busy.signed_in()


def test_the_idle_timeout_is_configurable(app, live_server, clock):
    app.config["TRACKER_SESSION_IDLE"] = timedelta(minutes=30)
    user = make_user()
    browser = Browser(live_server)
    assert browser.sign_in(user.email) == 302
    clock.shift(timedelta(minutes=31))
    assert not browser.signed_in()


def test_parallel_wrong_passwords_never_get_more_checks_than_the_limit(live_server):
    """40 simultaneous guesses from one address: at most 5 are checked, the rest get 429."""
    email = make_user(role="admin").email
    barrier = threading.Barrier(40)
    statuses: list[int] = []

    def guess(index: int) -> None:
        barrier.wait()
        statuses.append(Browser(live_server).sign_in(email, f"wrong-guess-{index}"))

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(statuses) == 40
    assert set(statuses) <= {200, 429}
    assert 1 <= statuses.count(200) <= 5, statuses
    failures = db.session.scalar(db.select(db.func.count(LoginAttempt.id)).where(LoginAttempt.email == email))
    assert failures == statuses.count(200)


def _secret_in_child(instance: str, barrier, results) -> None:
    from pathlib import Path

    from tracker.config import _secret_key

    barrier.wait()
    try:
        results.put(_secret_key(Path(instance)))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        results.put(repr(exc))


def test_workers_starting_together_share_one_secret_key(tmp_path, monkeypatch):
    """Eight processes at once, ten times over (the race is short): one key for all, every time."""
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    context = multiprocessing.get_context("fork")
    for round_number in range(10):
        instance = tmp_path / f"round{round_number}" / "instance"
        barrier, results = context.Barrier(8), context.Queue()
        workers = [context.Process(target=_secret_in_child, args=(str(instance), barrier, results))
                   for _ in range(8)]
        for worker in workers:
            worker.start()
        keys = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        key_file = instance / "secret_key"
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert key_file.read_text() == keys[0]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no temporary files left


def test_smtp_credentials_without_starttls_log_a_warning(database_url, caplog, monkeypatch):
    from tracker import create_app
    from tracker.config import log

    # Running the migrations (fileConfig in migrations/env.py) disables loggers
    # that existed before; a web worker never runs them in-process.
    monkeypatch.setattr(log, "disabled", False)

    base = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "TRACKER_SCHEDULER": "off",
            "SECRET_KEY": "x", "TRACKER_SMTP_HOST": "mail.example.test", "TRACKER_SMTP_USER": "tracker",
            "TRACKER_SMTP_PASSWORD": "smtp-secret-value"}
    with caplog.at_level(logging.WARNING, logger="tracker.config"):
        create_app(base)
    warnings = [r.getMessage() for r in caplog.records if r.name == "tracker.config"]
    assert len(warnings) == 1 and "TRACKER_SMTP_STARTTLS" in warnings[0]
    assert "smtp-secret-value" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tracker.config"):
        create_app({**base, "TRACKER_SMTP_STARTTLS": True})
        create_app({**base, "TRACKER_SMTP_USER": None, "TRACKER_SMTP_PASSWORD": None})
    assert not [r for r in caplog.records if r.name == "tracker.config"]


def test_seed_demo_prints_a_random_password_that_must_be_changed_at_first_sign_in(app, client, runner, tmp_path):
    app.config["TRACKER_DEMO_PASSWORD"] = None
    app.instance_path = str(tmp_path / "instance")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    password_file = tmp_path / "instance" / "demo_password"
    password = password_file.read_text().strip()
    assert len(password) >= 16 and password != "tracker-demo-2026"
    assert f"admin@example.com / password: {password}" in result.output
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    again = runner.invoke(args=["seed-demo", "--if-empty"])  # the next `make run` shows it again
    assert f"password: {password}" in again.output

    response = client.post("/login", data={"email": "admin@example.com", "password": password})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    for url in ("/", "/obligations", "/users"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"] == "/account", url
    page = client.get("/account").get_data(as_text=True)
    assert "Choose a new one below" in page
    response = client.post("/account/password", data={"current": password, "new": "my-own-password-1",
                                                       "confirm": "my-own-password-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert db.session.scalar(db.select(User.must_change_password).where(User.email == "admin@example.com")) is False
    assert "password:" not in runner.invoke(args=["seed-demo", "--if-empty"]).output  # no longer its password


def test_seed_demo_with_a_chosen_password_and_create_user_sign_in_as_before(app, client, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # the fixture sets TRACKER_DEMO_PASSWORD
    response = client.post("/login", data={"email": "admin@example.com", "password": "tracker-demo-2026"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout")
    result = runner.invoke(args=["create-user", "ed@example.com", "--role", "editor", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    response = client.post("/login", data={"email": "ed@example.com", "password": "long-enough-1"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/obligations").status_code == 200


@pytest.mark.parametrize("value", ["0", "-3", "eight", "²"])
def test_a_bad_session_setting_stops_start_up_with_a_clear_message(monkeypatch, tmp_path, value):
    from tracker.config import from_environment

    monkeypatch.setenv("TRACKER_SESSION_IDLE_HOURS", value)
    monkeypatch.setenv("TRACKER_SECRET_KEY", "x")
    with pytest.raises(ValueError, match="TRACKER_SESSION_IDLE_HOURS must be a whole number above 0"):
        from_environment(tmp_path)


def test_login_helper_still_works_for_other_tests(client):
    """tests.factories.login goes through the real form and gets a server-side session."""
    user = make_user()
    assert login(client, user).status_code == 302
    assert db.session.scalar(db.select(db.func.count(UserSession.id)).where(UserSession.user_id == user.id)) == 1
