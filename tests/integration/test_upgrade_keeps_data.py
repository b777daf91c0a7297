"""Upgrading keeps data: a database at the previous release's schema, filled with rows of that shape
(written with plain SQL against the tables as they were, not today's models), upgraded to head, reads the
same in the register, the feeds and the outbox."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.backup_support import make_app
from tests.conftest import PG_URL
from tests.feed_checks import by_uid, parse_all
from tracker.db import db
from tracker.models import OutboxMessage
from tracker.sealing import seal

# The schema revision of the previous release: vendors, watches and the grouped mail were in, the
# vendor responses (0019) and everything after came with later releases.
PREVIOUS_RELEASE = "0018"
FEED_TOKEN = "u" * 43
CREATED = datetime(2026, 11, 1, 9, 0)


@contextmanager
def empty_database(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'previous-release.db'}"
        return
    server = sa.make_url(PG_URL)
    name = f"tracker_upgrade_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _obligation(id_, key, title, **values) -> dict:
    row = dict(id=id_, key=key, title=title, description="", team_id=1, owner_id=None, rule="fixed",
               rule_date=None, rule_precision="day", anchor_event_id=None, rule_offset=0, rule_unit="days",
               rule_calendar=None, rule_rrule=None, completed_through=None, due_state="firm", due_precision="day",
               revision=1, due_changed_at=CREATED, status="open", status_note="", status_changed_at=CREATED,
               created_at=CREATED, updated_at=CREATED, deleted_at=None, next_reminder_at=datetime(2026, 12, 16, 17),
               rule_roll="none", rule_combination=None, rule_parts=None)
    row.update(values)
    return row


def fill_previous_release(conn) -> None:
    """Rows as the 0018 schema holds them, inserted through the reflected tables."""
    tables = sa.MetaData()
    tables.reflect(bind=conn)
    t = tables.tables
    conn.execute(t["teams"].insert(), [dict(
        id=1, key="procurement", name="Procurement", timezone="America/Los_Angeles", reminder_lead_days="30,7,1,0",
        overdue_every_days=7, remind_projected=True, digest_weekday=None, created_at=CREATED, updated_at=CREATED)])
    conn.execute(t["users"].insert(), [dict(
        id=1, email="ana@example.com", name="Ana", role="editor", password_hash=None, active=True,
        email_reminders=True, email_overdue=True, email_changes=True, email_digest=False, created_at=CREATED,
        updated_at=CREATED, last_login_at=None, must_change_password=False, email_one_per_deadline=False)])
    conn.execute(t["team_members"].insert(), [dict(team_id=1, user_id=1)])
    conn.execute(t["sources"].insert(), [dict(
        id=1, key="chip-security-act", title="Chip Security Act", kind="bill", jurisdiction="US", citation="",
        url="", summary="", created_at=CREATED, updated_at=CREATED)])
    conn.execute(t["events"].insert(), [dict(
        id=1, key="csa-enacted", source_id=1, title="Chip Security Act enacted", description="", status="expected",
        occurred_on=None, expected_on=date(2027, 3, 1), precision="day", created_at=CREATED, updated_at=CREATED)])
    conn.execute(t["obligations"].insert(), [
        _obligation(1, "bis-audit", "BIS supply-chain attestation", rule_date=date(2027, 1, 15),
                    due_date=date(2027, 1, 15)),
        _obligation(2, "csa-location", "Location verification", rule="relative", anchor_event_id=1,
                    rule_offset=180, due_date=date(2027, 8, 28), due_state="projected")])
    conn.execute(t["obligation_events"].insert(), [dict(obligation_id=2, event_id=1)])
    conn.execute(t["deadline_history"].insert(), [
        dict(id=1, obligation_id=1, revision=1, changed_at=CREATED, actor_id=None, old_due_date=None,
             old_due_state=None, new_due_date=date(2027, 1, 15), new_due_state="firm", reason="created"),
        dict(id=2, obligation_id=2, revision=1, changed_at=CREATED, actor_id=None, old_due_date=None,
             old_due_state=None, new_due_date=date(2027, 8, 28), new_due_state="projected", reason="created")])
    conn.execute(t["audit_log"].insert(), [dict(
        id=1, at=CREATED, actor_id=None, actor="system", action="create", entity="obligation", entity_id=1,
        entity_key="bis-audit", changes={"title": [None, "BIS supply-chain attestation"]})])
    digest, sealed = seal(FEED_TOKEN, "test-secret")
    conn.execute(t["feed_tokens"].insert(), [dict(id=1, team_id=1, user_id=None, created_at=CREATED,
                                                  revoked_at=None, digest=digest, sealed=sealed)])
    message = dict(dedupe_key="reminder:1:1:30:1", kind="reminder", obligation_id=1, team_id=1, recipient_id=1,
                   revision=1, lead_days=30, recipient="ana@example.com", recipient_name="Ana",
                   body_text="BIS supply-chain attestation is due Fri 15 Jan 2027.", body_html="<p>Due</p>",
                   ics=None, unsubscribe_url="https://tracker.example.test/unsubscribe/x", mime=b"MIME",
                   attempts=0, next_attempt_at=datetime(2026, 12, 16, 17), lease_expires_at=None, claimed_by=None,
                   last_error="", created_at=CREATED, sent_at=None, vendor_contact_id=None, vendor_request_id=None)
    conn.execute(t["outbox"].insert(), [
        {**message, "id": 1, "subject": "Due in 30 days: BIS supply-chain attestation", "status": "pending",
         "message_id": "<1@tracker>"},
        {**message, "id": 2, "dedupe_key": "reminder:1:1:7:1", "lead_days": 7, "status": "sent",
         "subject": "Due in 7 days: BIS supply-chain attestation", "message_id": "<2@tracker>",
         "sent_at": datetime(2026, 11, 2, 17)}])
    conn.execute(t["outbox_items"].insert(), [dict(
        id=1, message_id=1, obligation_id=1, team_id=1, recipient_id=1, kind="reminder", revision=1, lead_days=30,
        cause_id=None, history_id=None, status="queued", note="", created_at=CREATED)])


def test_a_previous_release_database_upgrades_to_head_and_reads_the_same(clock, tmp_path):
    with empty_database(tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(revision=PREVIOUS_RELEASE)
            with db.engine.begin() as conn:
                fill_previous_release(conn)
            upgrade()
            db.session.remove()
        try:
            _reads_the_same(app)
        finally:
            with app.app_context():
                db.engine.dispose()


def _reads_the_same(app) -> None:
    with app.app_context():
        exported = app.test_cli_runner().invoke(args=["export-pack"])
        assert exported.exit_code == 0, exported.output
        assert exported.output.lstrip().startswith("{"), exported.output[:300]
        obligations = {o["key"]: o for o in json.loads(exported.output)["obligations"]}
        assert (obligations["bis-audit"]["due_date"], obligations["bis-audit"]["due_state"]) == ("2027-01-15", "firm")
        assert (obligations["csa-location"]["due_date"], obligations["csa-location"]["due_state"]) == \
            ("2027-08-28", "projected")
        outbox = {m.id: (m.subject, m.status, m.lead_days)
                  for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))}
        assert outbox == {1: ("Due in 30 days: BIS supply-chain attestation", "pending", 30),
                          2: ("Due in 7 days: BIS supply-chain attestation", "sent", 7)}
        db.session.remove()
    feed = app.test_client().get(f"/feeds/{FEED_TOKEN}.ics")  # the URL subscribed before the upgrade
    assert feed.status_code == 200
    events = parse_all(feed.get_data())
    dates = {event["summary"]: (event["start"], event["status"]) for event in by_uid(events).values()}
    assert any("BIS supply-chain attestation" in s and d == (date(2027, 1, 15), "CONFIRMED")
               for s, d in dates.items()), dates
    assert any("Location verification" in s and d == (date(2027, 8, 28), "TENTATIVE")
               for s, d in dates.items()), dates
