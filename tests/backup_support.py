"""A register holding every kind of data, second databases for restores, and comparisons between two."""

from __future__ import annotations

import hashlib
import io
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from tests.conftest import TEST_CONFIG, IsolatedCliRunner, IsolatedClient, _migrate
from tests.vendor_files import pdf_bytes, png_bytes
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.models import Event, Team, User, VendorContact, VendorEvidence, VendorEvidenceChunk, VendorRequest
from tracker.operations import rows
from tracker.operations.backup import all_tables
from tracker.register.events import EventDate, record_event_change
from tracker.vendors import contact_feeds, links

APP_CONFIG = {
    "WTF_CSRF_ENABLED": False,
    "TRACKER_SCHEDULER": "off",
    "TRACKER_BASE_URL": "https://tracker.example.test",
    "TRACKER_DEMO_PASSWORD": "tracker-demo-2026",
    "TRACKER_WEBHOOK_ALLOW_PRIVATE": True,
}


def make_app(url: str, **config):
    """A second app (another database) configured as the test app is."""
    application = create_app({**TEST_CONFIG, **APP_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **config})
    application.test_client_class = IsolatedClient
    application.test_cli_runner_class = IsolatedCliRunner
    return application


@contextmanager
def fresh_database(kind: str, tmp_path: Path, server_url: str = "") -> Iterator[str]:
    """A new, migrated, empty database: a SQLite file, or a uniquely named database on `server_url`."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.db'}"
        _migrate(url)
        yield url
        return
    server = sa.make_url(server_url)
    name = f"tracker_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def build_register(app) -> dict:
    """The demo register plus a recorded event, feeds of every kind, a vendor's answer with files,
    a webhook channel, an API token and a reminder pass; returns the URL paths to fetch again."""
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True  # the webhook below is on loopback
    runner, client = app.test_cli_runner(), app.test_client()
    _ok(runner.invoke(args=["seed-demo"]))
    enactment = db.session.scalar(sa.select(Event).where(Event.key == "csa-enacted"))
    record_event_change(enactment, EventDate("occurred", date(2026, 11, 20)), SYSTEM)
    team_url = _ok(runner.invoke(args=["feed-url", "procurement"])).strip()
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
    personal_url = tokens.feed_url(tokens.ensure_token(admin, SYSTEM))
    contact = db.session.scalar(sa.select(VendorContact).order_by(VendorContact.id).limit(1))
    contact_url = contact_feeds.contact_feed_url(contact_feeds.ensure_contact_token(contact))
    request = db.session.scalar(sa.select(VendorRequest).order_by(VendorRequest.id).limit(1))
    token = links.ensure_link(request, SYSTEM)
    answered = client.post(f"/respond/{token}", content_type="multipart/form-data", data={
        "name": "Ana Lee", "title": "Head of Compliance", "confirm": "yes",
        "files": [(io.BytesIO(pdf_bytes("Certified 2026")), "cert.pdf"), (io.BytesIO(png_bytes(40, 30)), "site.png")]})
    assert answered.status_code == 303, answered.get_data(as_text=True)
    other = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.id != request.id)
                              .order_by(VendorRequest.id).limit(1))
    open_token = links.ensure_link(other, SYSTEM)
    _ok(runner.invoke(args=["add-channel", "procurement", "webhook", "http://127.0.0.1:9/hook"]))
    _ok(runner.invoke(args=["create-token", "admin@example.com", "backup drill"]))
    _ok(runner.invoke(args=["send-reminders"]))
    db.session.expire_all()
    paths = [url.split("tracker.example.test", 1)[1] for url in (team_url, personal_url, contact_url)]
    return {"feeds": paths, "respond": [f"/respond/{token}", f"/respond/{open_token}"]}


def table_contents(app) -> dict[str, list]:
    """Every row of every table, encoded as a backup writes it, in key order."""
    with app.app_context():
        contents = {}
        with db.engine.connect() as conn:
            for table in all_tables():
                order = list(table.primary_key.columns) or list(table.columns)
                contents[table.name] = [[rows.encode(v) for v in row]
                                        for row in conn.execute(sa.select(table).order_by(*order))]
        return contents


def file_sums(app) -> dict[int, str]:
    """SHA-256 of each evidence file, from its chunks."""
    with app.app_context():
        sums = {}
        for evidence in db.session.scalars(sa.select(VendorEvidence).order_by(VendorEvidence.id)):
            digest = hashlib.sha256()
            for chunk in db.session.scalars(sa.select(VendorEvidenceChunk.data).where(
                    VendorEvidenceChunk.evidence_id == evidence.id).order_by(VendorEvidenceChunk.seq)):
                digest.update(chunk)
            assert digest.hexdigest() == evidence.sha256
            sums[evidence.id] = digest.hexdigest()
        db.session.remove()
        return sums


def answers(app, paths: dict) -> dict[str, tuple[int, bytes]]:
    """Status and body of every feed and response URL, and the register as a pack."""
    client = app.test_client()
    found = {}
    for path in paths["feeds"] + paths["respond"]:
        response = client.get(path)
        found[path] = (response.status_code, response.get_data())
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["export-pack"])
        assert result.exit_code == 0, result.output
        found["export-pack"] = (0, result.output.encode())
        db.session.remove()
    return found


def team_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Team))
        db.session.remove()
        return count
