"""Shared fixtures: a database built by the real migrations, the app, a clock.

Requests made with the test client, the CLI runner or over HTTP to the live
server each run in an app context (so a database session) of their own, as
in production: a view that forgets to commit fails its tests. Test code keeps
the fixture's context and session; re-read (db.session.expire_all()) what a
request changed.

The suite runs on SQLite by default. With TRACKER_TEST_DATABASE_URL set to a
PostgreSQL URL, each test session creates a database of its own on that
server (so parallel runs never collide), migrates it, and drops it at the end.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import configuration as hypothesis_configuration

from tests.server_support import served
from tracker import create_app
from tracker.db import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")

# Settings every test app gets: a configured key (nothing written under instance/)
# and a cheap password hash (scrypt costs ~100 ms a user; production keeps it).
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


# Nothing is written into the checkout: every app (and every `flask` subprocess) has a key,
# so none generates instance/secret_key; Hypothesis keeps its caches out of ./.hypothesis.
os.environ.setdefault("TRACKER_SECRET_KEY", "test-secret")
_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="tracker-hypothesis-")
hypothesis_configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs as in a fresh thread: no app context of the
    test is visible, so the request pushes its own, with its own database session."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    """Each command runs in an app context (and database session) of its own."""

    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()



def _reuse_url_builders() -> None:
    """Build each URL rule's builder once per test process, not once per app.

    Every test makes its own app (create_app), and Werkzeug compiles two URL
    builders for each of the ~190 rules by generating and compiling Python code:
    about 50 of the 68 ms an app takes, some three minutes of CPU over both
    passes. The builder is a pure function of the rule's parts, its defaults and
    its converters (the converter objects are read from the rule when a URL is
    built), so the same rule in the next app gets the same code. Tests only: a
    server makes one app.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict = {}

    def reused(self, append_unknown: bool = True):
        key = (tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
               tuple(sorted((name, type(converter).__name__) for name, converter in self._converters.items())))
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = reused


_reuse_url_builders()

@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database: a SQLite file to copy, or a PostgreSQL database URL."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("db") / "template.db"
        _migrate(f"sqlite:///{path}")
        yield path
        return
    server = sa.make_url(PG_URL)
    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    """A fresh, migrated, empty database for one test."""
    if isinstance(database_template, Path):
        path = tmp_path / "tracker.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"
        return
    yield database_template
    _empty_postgresql(database_template)


_EMPTYING: dict[str, str] = {}


def _empty_postgresql(url: str) -> None:
    """Every table emptied and every id sequence restarted, as a fresh migrated database.

    DELETE, not TRUNCATE: a test leaves a few rows in a few of ~50 tables, and TRUNCATE makes new
    files for every table and index (about a third of a second a test). As the replication role
    no trigger fires: neither the foreign keys (any order will do) nor the audit log's append-only
    trigger. One statement text per database, built once.
    """
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if url not in _EMPTYING:
            tables = [row[0] for row in conn.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"))]
            sequences = [row[0] for row in conn.execute(sa.text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))]
            _EMPTYING[url] = "; ".join(["SET LOCAL session_replication_role = replica",
                                        *(f'DELETE FROM "{t}"' for t in tables),
                                        *(f'ALTER SEQUENCE "{s}" RESTART' for s in sequences)])
        conn.exec_driver_sql(_EMPTYING[url])
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """The application on a fresh database, inside an app context."""
    application = create_app({
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "TRACKER_SCHEDULER": "off",
        "TRACKER_BASE_URL": "https://tracker.example.test",
        "TRACKER_DEMO_PASSWORD": "tracker-demo-2026",  # seed-demo: a known login, no forced change
    })
    application.test_client_class = IsolatedClient
    application.test_cli_runner_class = IsolatedCliRunner
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served by werkzeug on a loopback port, one thread per request (each with its own
    app context and database session); yields its base URL."""
    with served(app, threaded=True) as base:
        yield base


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """Move time: `clock.move_to("2026-11-29T09:00:00Z")`; starts at 2026-11-29 12:00 UTC."""
    traveller = time_machine.travel(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc), tick=False)
    frozen = traveller.start()
    yield frozen
    traveller.stop()


def is_postgresql() -> bool:
    return bool(PG_URL)


def pytest_report_header(config):
    """Name the page fuzz seed at the top of every run, so a failure can be replayed."""
    from tests.fuzz_support import header

    return header()


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback (aiosmtpd), started; the app is not pointed at it yet."""
    from tests.mail_support import SmtpServer

    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(app, smtp_server):
    """The loopback SMTP server, with the app sending to it."""
    smtp_server.configure(app)
    return smtp_server
