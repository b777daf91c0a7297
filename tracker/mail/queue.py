"""Queueing finished messages in the outbox: the row with its MIME bytes, inserted at most once per key."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from tracker.db import db
from tracker.mail.message import build_message, mime_bytes
from tracker.mail.render import Rendered
from tracker.models import OutboxMessage, User
from tracker.txn import in_chunks, insert_ignoring


def outbox_row(key: str, kind: str, rendered: Rendered, recipient: User, now: datetime, *,
               obligation_id=None, team_id=None, revision=None, lead=None, build: bool = True) -> dict:
    """An outbox row with the complete message built now (see OutboxMessage.mime).

    With `build=False` the MIME bytes are left empty: dispatch builds the
    message when it sends it (a grouped email of many deadlines).
    """
    row = {
        "dedupe_key": key, "kind": kind, "obligation_id": obligation_id, "team_id": team_id,
        "recipient_id": recipient.id, "revision": revision, "lead_days": lead,
        "recipient": recipient.email, "recipient_name": recipient.name or "",
        "subject": rendered.subject, "body_text": rendered.body_text, "body_html": rendered.body_html,
        "ics": rendered.ics, "message_id": rendered.message_id, "unsubscribe_url": rendered.unsubscribe_url,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_expires_at": None,
        "claimed_by": None, "last_error": "", "created_at": now, "sent_at": None,
    }
    if build:
        row["mime"] = mime_bytes(build_message(SimpleNamespace(**row), current_app.config["TRACKER_MAIL_FROM"], now))
    else:
        row["mime"] = b""
    return row


def existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(keys):
        found.update(db.session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_(chunk))))
    return found


def insert_new(rows: list[dict]) -> int:
    """Insert outbox rows, silently skipping keys that exist; returns how many went in."""
    if not rows:
        return 0
    table = OutboxMessage.__table__
    statement = insert_ignoring(table, ["dedupe_key"])
    return len(db.session.execute(statement.returning(table.c.id), rows).all())


