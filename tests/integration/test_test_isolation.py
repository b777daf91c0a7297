"""The suite's own guarantees: a test can fail when the code is wrong, and the run leaves
the checkout as it found it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import tracker
from tests.factories import make_team
from tests.mail_support import match_snapshot
from tracker import create_app
from tracker.db import db
from tracker.models import Team
from tracker.people.auth import authenticate, hash_password

ROOT = Path(__file__).resolve().parents[2]


def _rename_routes(app):
    """Test-only views: rename a team (one view commits, one forgets to), and show its name."""

    def rename(team_id: int, commit: bool):
        db.session.get(Team, team_id).name = "Renamed"
        if commit:
            db.session.commit()
        return "renamed"

    app.add_url_rule("/test-only/rename/<int:team_id>", "rename_committed", methods=["POST"],
                     view_func=lambda team_id: rename(team_id, True))
    app.add_url_rule("/test-only/forgetful-rename/<int:team_id>", "rename_forgotten", methods=["POST"],
                     view_func=lambda team_id: rename(team_id, False))
    app.add_url_rule("/test-only/team/<int:team_id>", "show_team",
                     view_func=lambda team_id: db.session.get(Team, team_id).name)


def _the_rename_works(client, path: str, team_id: int) -> None:
    """What a test of a rename view asserts: the next page shows the new name."""
    assert client.post(path).status_code == 200
    assert client.get(f"/test-only/team/{team_id}").get_data(as_text=True) == "Renamed"


def test_a_view_that_forgets_to_commit_fails_its_test(app, client):
    _rename_routes(app)
    team = make_team(name="Procurement")
    with pytest.raises(AssertionError):
        _the_rename_works(client, f"/test-only/forgetful-rename/{team.id}", team.id)
    assert _stored_name(team.id) == "Procurement"
    _the_rename_works(client, f"/test-only/rename/{team.id}", team.id)
    assert _stored_name(team.id) == "Renamed"


def _stored_name(team_id: int) -> str:
    db.session.expire_all()  # re-read: requests write through sessions of their own
    return db.session.get(Team, team_id).name


def test_a_client_sharing_the_tests_session_would_have_let_it_pass(app):
    """What the suite did before: the request reused the test's app context and session."""
    _rename_routes(app)
    team = make_team(name="Procurement")
    shared = FlaskClient(app, app.response_class, use_cookies=True)
    _the_rename_works(shared, f"/test-only/forgetful-rename/{team.id}", team.id)  # passes, nothing committed
    db.session.rollback()
    assert db.session.get(Team, team.id).name == "Procurement"


def test_a_missing_snapshot_fails_instead_of_being_written(tmp_path, monkeypatch):
    monkeypatch.delenv("UPDATE_MAIL_SNAPSHOTS", raising=False)
    missing = tmp_path / "new_kind.txt"
    with pytest.raises(pytest.fail.Exception, match="no snapshot new_kind.txt"):
        match_snapshot(missing, "Hello")
    assert not missing.exists()
    monkeypatch.setenv("UPDATE_MAIL_SNAPSHOTS", "1")
    match_snapshot(missing, "Hello")
    assert missing.read_text() == "Hello"


def test_a_configured_secret_key_writes_nothing_under_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(tracker, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("TRACKER_SECRET_KEY")
    settings = {"TESTING": True, "TRACKER_SCHEDULER": "off",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    assert create_app({**settings, "SECRET_KEY": "given"}).config["SECRET_KEY"] == "given"
    assert not (tmp_path / "instance").exists()
    generated = create_app(settings).config["SECRET_KEY"]  # no key at all: generated once, kept
    assert (tmp_path / "instance" / "secret_key").read_text() == generated


def test_passwords_are_cheap_to_hash_only_in_testing(app, tmp_path):
    assert hash_password("password-123").startswith("pbkdf2:sha256:1000$")
    production = create_app({"TRACKER_SCHEDULER": "off", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SECRET_KEY": "x"})
    with production.app_context():
        assert hash_password("password-123").startswith("scrypt:")
        assert authenticate("nobody@example.com", "password-123") is None
    db.session.remove()


def test_importing_the_sign_in_module_hashes_nothing():
    probe = ("import werkzeug.security as w\n"
             "calls = []\n"
             "real = w.generate_password_hash\n"
             "w.generate_password_hash = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
             "import tracker.people.auth\n"
             "print(len(calls))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
