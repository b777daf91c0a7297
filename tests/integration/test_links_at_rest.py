"""Response links never at rest in the outbox: placeholders filled in on the way to SMTP, old mail
rewritten, finished bodies purged after the retention period (review 2026-12, item 3)."""

import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tests.factories import make_obligation, make_team
from tests.vendor_support import make_vendor, scope
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.mail.retention import purge_outbox
from tracker.models import OutboxMessage

TOKEN = re.compile(r"/respond/([A-Za-z0-9_-]{43})")


@pytest.fixture
def world(app, clock):
    clock.move_to(datetime(2026, 11, 2, 12, tzinfo=timezone.utc))
    team = make_team(key="procurement", name="Procurement")
    make_vendor(team, key="acme", contacts=[{"name": "Ana", "email": "ana@acme.example", "role": "primary"}])
    obligation = make_obligation(team, key="audit", title="Supply-chain audit", rule_date=date(2027, 2, 1))
    scope(obligation, keys=["acme"])
    return team


def _stored_tokens() -> list[str]:
    rows = db.session.execute(sa.select(OutboxMessage.body_text, OutboxMessage.body_html, OutboxMessage.mime)).all()
    return [t for text, html, mime in rows for t in TOKEN.findall(text + html + bytes(mime).decode("latin-1"))]


def test_the_outbox_holds_no_working_link_but_the_sent_mail_does(app, client, smtp, world):
    run_pass(datetime(2026, 11, 2, 14, tzinfo=timezone.utc))
    sent = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "ana@acme.example"]
    assert len(sent) == 1
    body = sent[0].get_body(preferencelist=("plain",)).get_content()
    html = sent[0].get_body(preferencelist=("html",)).get_content()
    (token,) = TOKEN.findall(body)
    assert token in html and client.get(f"/respond/{token}").status_code == 200
    # The review's query: every stored vendor message, none with a token in it (before: one per message).
    assert _stored_tokens() == []
    stored = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "ana@acme.example"))
    assert stored.status == "sent" and "/respond/[link-" in stored.body_text


def test_mail_queued_with_a_real_link_is_rewritten_and_old_bodies_are_emptied(app, client, world):
    run_pass(datetime(2026, 11, 2, 14, tzinfo=timezone.utc))  # no SMTP host: kept in the outbox
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "ana@acme.example"))
    from tracker.vendors.links import fill_placeholders

    # As mail queued before placeholders existed: the token in the bodies and the MIME.
    row.body_text = fill_placeholders(row.body_text)
    row.body_html = fill_placeholders(row.body_html)
    row.mime = bytes(row.mime) + row.body_text.encode()
    db.session.commit()
    assert len(_stored_tokens()) >= 2
    report = purge_outbox(datetime(2026, 11, 3, tzinfo=timezone.utc))
    assert report.links_removed == 1 and report.bodies_emptied == 0
    assert _stored_tokens() == []
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert row.status == "pending" and "/respond/[link-" in row.body_text  # still sendable
    row.status = "sent"
    db.session.commit()
    assert purge_outbox(datetime(2026, 11, 20, tzinfo=timezone.utc)).bodies_emptied == 0  # within 30 days
    assert purge_outbox(datetime(2026, 12, 3, tzinfo=timezone.utc)).bodies_emptied == 1
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert (row.body_text, row.body_html, bytes(row.mime)) == ("", "", b"")
    assert row.subject and row.recipient == "ana@acme.example"  # the record stays


def test_purge_outbox_command_reports_what_it_did(app, runner, world):
    result = runner.invoke(args=["purge-outbox", "--now", "2026-12-01T00:00:00Z", "--days", "5"])
    assert result.exit_code == 0 and "emptied" in result.output
    bad = runner.invoke(args=["purge-outbox", "--days", "-1"])
    assert bad.exit_code != 0
