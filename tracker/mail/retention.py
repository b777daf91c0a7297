"""What the outbox keeps, and for how long.

Response links never rest in the outbox: vendor mail is queued with a
placeholder per link (tracker.vendors.links) and filled in on its way to
SMTP. Mail queued before that (a real `/respond/<token>` in its body) is
rewritten to placeholders by `purge_outbox`, whatever its status. Bodies
and MIME of messages that are finished (sent, cancelled, failed) are emptied
after the retention period; the row (who, what subject, when, the outcome)
stays for the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select, update

from tracker.db import db
from tracker.mail.message import build_message, mime_bytes
from tracker.models import OutboxMessage, VendorLink

DEFAULT_RETENTION_DAYS = 30
FINISHED = ("sent", "cancelled", "failed")
_TOKEN_IN_MAIL = re.compile(r"/respond/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
BATCH = 500


@dataclass(frozen=True)
class PurgeReport:
    links_removed: int  # messages whose response links were replaced by placeholders
    bodies_emptied: int  # finished messages older than the retention period


def retention_days(config) -> int:
    return int(config.get("TRACKER_OUTBOX_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)


def _placeholders(text: str) -> str:
    def swap(match: re.Match) -> str:
        link_id = db.session.scalar(select(VendorLink.id).where(VendorLink.selector == match.group(1)[:12]))
        return f"/respond/[link-{link_id}]" if link_id is not None else "/respond/[link-removed]"

    return _TOKEN_IN_MAIL.sub(swap, text)


def _remove_links() -> int:
    changed = 0
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("vendor%"),
                                                          OutboxMessage.body_text.like("%/respond/%"))).all()
    for row in rows:
        text, html = _placeholders(row.body_text), _placeholders(row.body_html)
        if (text, html) == (row.body_text, row.body_html):
            continue
        row.body_text, row.body_html = text, html
        if row.mime:
            built = SimpleNamespace(recipient=row.recipient, recipient_name=row.recipient_name, subject=row.subject,
                                    message_id=row.message_id, unsubscribe_url=row.unsubscribe_url, ics=row.ics,
                                    body_text=text, body_html=html)
            row.mime = mime_bytes(build_message(built, current_app.config["TRACKER_MAIL_FROM"], row.created_at))
        changed += 1
    return changed


def purge_outbox(now: datetime, days: int | None = None) -> PurgeReport:
    """Replace stored response links by placeholders; empty finished messages older than `days`. Commits."""
    days = retention_days(current_app.config) if days is None else days
    removed = _remove_links()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(FINISHED), OutboxMessage.created_at < now - timedelta(days=days),
               OutboxMessage.body_text != "")
        .values(body_text="", body_html="", mime=b"", ics=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return PurgeReport(removed, result.rowcount or 0)
