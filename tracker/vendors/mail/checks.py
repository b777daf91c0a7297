"""Checks the dispatcher makes on a queued vendor email just before sending it.

Planning may have happened long before (SMTP down, not configured): by now
the contact may be gone, may have opted out of reminders, or every request a
reminder was about may have been answered. Returns the reason not to send,
or None.
"""

from __future__ import annotations

from sqlalchemy import select

from tracker.db import db
from tracker.mail.dispatch import KindCheck
from tracker.models import User, VendorContact, VendorRequest
from tracker.models.vendors import REQUEST_OWED_STATUSES
from tracker.vendors.mail.queue import request_ids_of
from tracker.vendors.mail.render import REMINDER_KINDS, VENDOR_KINDS


def vendor_unwanted_reason(row) -> str | None:
    """Why a queued vendor email must not go out any more, or None."""
    if row.kind == "vendor_progress":
        user = db.session.get(User, row.recipient_id) if row.recipient_id is not None else None
        if user is None or not user.active:
            return "not sent: the recipient's account was deleted or deactivated"
        return None
    contact = db.session.get(VendorContact, row.vendor_contact_id) if row.vendor_contact_id else None
    if contact is None:
        return "not sent: the vendor contact was removed"
    if row.kind in REMINDER_KINDS:
        if contact.reminders_opt_out:
            return "not sent: the contact turned off reminders"
        ids = request_ids_of(row.id)
        owed = db.session.scalar(select(VendorRequest.id).where(
            VendorRequest.id.in_(ids), VendorRequest.status.in_(REQUEST_OWED_STATUSES)).limit(1)) if ids else None
        if owed is None:
            return "not sent: every request it reminds of was answered meanwhile"
    return None


def mime_with_links(row) -> bytes:
    """The bytes to send for a queued vendor email: the stored message, or, when it holds response-link
    placeholders, the same message (same Message-ID and Date) rebuilt with the URLs filled in.

    The filled-in bytes exist only in this process, on their way to SMTP: the outbox keeps the placeholders.
    """
    from types import SimpleNamespace

    from flask import current_app

    from tracker.mail.message import build_message, mime_bytes
    from tracker.models import OutboxMessage
    from tracker.vendors.links import FEED_PLACEHOLDER, PLACEHOLDER, fill_placeholders

    # Looked up in the stored bodies, not the MIME bytes: quoted-printable may have wrapped a long line.
    stored = db.session.get(OutboxMessage, row.id)
    if stored is None or not (PLACEHOLDER.search(stored.body_text + stored.body_html)
                              or FEED_PLACEHOLDER.search(stored.body_text)):
        return row.mime
    filled = SimpleNamespace(recipient=stored.recipient, recipient_name=stored.recipient_name,
                             subject=stored.subject, message_id=stored.message_id,
                             unsubscribe_url=stored.unsubscribe_url, ics=stored.ics,
                             body_text=fill_placeholders(stored.body_text),
                             body_html=fill_placeholders(stored.body_html))
    message = build_message(filled, current_app.config["TRACKER_MAIL_FROM"], stored.created_at)
    # The headers the planner added to the stored message (the organization's Reply-To) go along.
    from email.parser import BytesHeaderParser

    reply_to = BytesHeaderParser().parsebytes(row.mime or b"").get("Reply-To")
    if reply_to:
        message["Reply-To"] = str(reply_to)
    return mime_bytes(message)


# What the reminder pass hands the dispatcher for vendor mail (tracker.jobs.reminder_pass):
# contacts' mail carries the organization's Reply-To.
VENDOR_MAIL_CHECK = KindCheck(VENDOR_KINDS, vendor_unwanted_reason, mime_with_links, allow_reply_to=True)
