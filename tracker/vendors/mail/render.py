"""Rendering vendor mail: one message per recipient per cause, listing its items.

Built from the team mail's blocks (tracker.mail.render for dates, the due-state
sentence and the base URL; tracker.mail.message for the MIME message and its
checked headers). Contacts' one-click unsubscribe stops reminders and overdue
notices only; the request itself, change notices, receipts and rejections
still go.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tracker.deadlines import due_wording
from tracker.mail.message import build_message, mime_bytes, one_line
from tracker.mail.render import base_url, long_date, state_sentence, unsubscribe_token
from tracker.organization import organization
from tracker.register.explanation import deadline_explanation

CONTACT_UNSUBSCRIBE_SALT = "tracker-vendor-unsubscribe"
CONTACT_UNSUBSCRIBE_MAX_AGE = 2 * 365 * 24 * 3600
REMINDER_KINDS = ("vendor_reminder", "vendor_overdue")
# Every kind of vendor mail, the one list: the dispatcher hands these rows to
# tracker.vendors.mail.checks (injected by the reminder pass), and outbox_values refuses any other.
VENDOR_KINDS = frozenset({"vendor_request", "vendor_reminder", "vendor_overdue", "vendor_change", "vendor_receipt",
                          "vendor_rejected", "vendor_reopened", "vendor_progress"})


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONTACT_UNSUBSCRIBE_SALT)


def contact_unsubscribe_url(contact_id: int) -> str:
    """The one-click link that stops reminders and overdue notices to one contact."""
    return f"{base_url()}/unsubscribe/vendor/{_serializer().dumps(contact_id)}"


def read_contact_token(token: str) -> int | None:
    """The contact id of a genuine, recent unsubscribe token, else None."""
    try:
        value = _serializer().loads(token, max_age=CONTACT_UNSUBSCRIBE_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Line:
    """One request in a message: what is asked, by when, and what to do."""

    title: str
    vendor: str
    due: str
    state: str
    explanation: str
    link: str = ""
    notes: list[str] = field(default_factory=list)


def request_line(request, link: str = "", notes: list[str] | None = None) -> Line:
    obligation = request.obligation
    return Line(title=one_line(obligation.title), vendor=one_line(request.vendor.name),
                due=due_wording(request.due_date, request.due_precision, long_date),
                state=state_sentence(SimpleNamespace(due_state=request.due_state,
                                                     anchor_event=obligation.anchor_event)),
                explanation=deadline_explanation(obligation), link=link,
                notes=notes or [])


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    contact_id: int | None = None
    user_id: int | None = None


def contacts_of(vendor) -> list[Recipient]:
    """Every contact of the vendor as a recipient (the vendor's mail goes to each)."""
    return [Recipient(c.email, c.name, contact_id=c.id) for c in vendor.contacts]


def team_name_of(request) -> str:
    """The team that collects the request: who the vendor's mail says is asking."""
    return request.vendor.team.name


def asking_party(team_name: str) -> str:
    """Who asks, as vendors read it: 'Procurement at Acme Robotics' (the same words on the page)."""
    return f"{team_name} at {organization().name}"


def _message_id(kind: str) -> str:
    """'<v.<32 hex>@host>': short, so the Message-ID header is never folded onto a second line."""
    host = urlsplit(base_url()).hostname or "localhost"
    return f"<v.{uuid.uuid4().hex}@{host}>"


def outbox_values(kind: str, recipient: Recipient, subject: str, heading: str, intro: str, lines: list[Line],
                  now: datetime, *, team_name: str, request_id: int | None = None,
                  obligation_id: int | None = None, team_id: int | None = None) -> dict:
    """A complete outbox row (message built now) for one vendor email."""
    if kind not in VENDOR_KINDS:
        raise ValueError(f"not a kind of vendor mail: {kind!r}")
    org = organization()
    reply_to = ""
    if recipient.contact_id is not None:
        unsubscribe = contact_unsubscribe_url(recipient.contact_id) if kind in REMINDER_KINDS else ""
        reply_to = org.reply_to
        footer = (f"You get this as a contact of {lines[0].vendor if lines else 'a vendor'} for "
                  f"{asking_party(team_name)}. These requests need no account: the links above are yours."
                  + (f" Questions? Reply to this email or write to {reply_to}." if reply_to else ""))
    else:
        unsubscribe = f"{base_url()}/unsubscribe/{unsubscribe_token(recipient.user_id, 'digest')}"
        footer = f"You get vendor progress summaries (with the weekly digest) as a member of {team_name}."
    # A contact's own calendar feed: a placeholder, filled in (and the token made) when the mail is sent.
    feed = f"{base_url()}/feeds/v/[contact-{recipient.contact_id}].ics" if recipient.contact_id is not None else ""
    context = {"heading": heading, "intro": intro, "lines": lines, "footer": footer,
               "unsubscribe_url": unsubscribe, "recipient": recipient, "feed_url": feed}
    row = {
        "dedupe_key": "", "kind": kind, "obligation_id": obligation_id, "team_id": team_id,
        "recipient_id": recipient.user_id, "revision": None, "lead_days": None,
        "recipient": recipient.email, "recipient_name": recipient.name or "",
        "subject": one_line(subject)[:500],
        "body_text": render_template("emails/vendor.txt", **context),
        "body_html": render_template("emails/vendor.html", **context),
        "ics": None, "message_id": _message_id(kind), "unsubscribe_url": unsubscribe,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_expires_at": None,
        "claimed_by": None, "last_error": "", "created_at": now, "sent_at": None,
        "vendor_contact_id": recipient.contact_id, "vendor_request_id": request_id,
    }
    message = build_message(SimpleNamespace(**row), current_app.config["TRACKER_MAIL_FROM"], now)
    if reply_to:
        message["Reply-To"] = reply_to
    row["mime"] = mime_bytes(message)
    return row
