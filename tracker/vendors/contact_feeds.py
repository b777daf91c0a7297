"""Each vendor contact's own calendar feed of what their company owes us.

Same conventions as the team feeds: a 256-bit token stored as a keyed digest
and sealed (tracker.sealing), found in constant time, revocable; one all-day
VEVENT per request with a UID that never changes, SEQUENCE = revision,
TENTATIVE while projected, CONFIRMED when firm, CANCELLED once nothing is
owed any more (waived, not applicable); serialized by tracker.feeds.ical.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import due_wording
from tracker.feeds.ical import VEventSpec, calendar_bytes, calendar_header, vevent_bytes
from tracker.feeds.uids import vendor_request_uid
from tracker.models import Obligation, VendorContact, VendorContactFeedToken, VendorRequest
from tracker.sealing import TOKEN_BYTES, find_by_secret, seal

STATUS_OF_STATE = {"projected": "TENTATIVE", "firm": "CONFIRMED"}
STATE_WORDS = {"projected": "projected (it waits for an expected event)", "firm": "firm"}


def ensure_contact_token(contact: VendorContact, now: datetime | None = None) -> str:
    """The contact's feed token, made (and committed) when there is none."""
    row = db.session.scalar(select(VendorContactFeedToken).where(
        VendorContactFeedToken.contact_id == contact.id, VendorContactFeedToken.revoked_at.is_(None))
        .order_by(VendorContactFeedToken.id.desc()).limit(1))
    token = row.token if row is not None else None
    if token is None:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest, sealed = seal(token)
        db.session.add(VendorContactFeedToken(contact_id=contact.id, digest=digest, sealed=sealed,
                                              created_at=now or utcnow()))
        db.session.commit()
    return token


def contact_feed_url(token: str) -> str:
    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/feeds/v/{token}.ics"


def find_contact(token: str) -> VendorContact | None:
    """The contact whose live feed token this is (constant-time digest compare), else None."""
    row = find_by_secret(VendorContactFeedToken, token)
    return row.contact if row is not None and row.revoked_at is None else None


def _spec(request: VendorRequest) -> VEventSpec | None:
    if request.due_date is None or request.due_state not in STATUS_OF_STATE:
        return None
    obligation = request.obligation
    owed = request.status in ("open", "rejected")
    status = STATUS_OF_STATE[request.due_state] if request.status not in ("waived", "not_applicable") else "CANCELLED"
    where = {"submitted": "answered, being reviewed", "accepted": "answered and accepted"}.get(request.status, "")
    summary = f"{'Due' if owed else 'Was due'}: {obligation.title} (to {obligation.team.name})"
    description = (f"{request.vendor.name} owes {obligation.team.name}: {obligation.title}.\n"
                   f"Due {due_wording(request.due_date, request.due_precision)}, "
                   f"{STATE_WORDS[request.due_state]}.\n" + (f"Status: {where}.\n" if where else "")
                   + "Answer through the link in the request email.")
    return VEventSpec(uid=vendor_request_uid(request.id), day=request.due_date, summary=summary,
                      description=description, status=status, sequence=request.revision,
                      stamp=max(request.updated_at, request.due_changed_at), created=request.created_at)


def contact_feed(contact: VendorContact) -> tuple[bytes, str]:
    """The feed body and its strong ETag."""
    requests = db.session.scalars(
        select(VendorRequest).join(Obligation, Obligation.id == VendorRequest.obligation_id)
        .where(VendorRequest.vendor_id == contact.vendor_id, Obligation.deleted_at.is_(None))
        .options(joinedload(VendorRequest.obligation).joinedload(Obligation.team), joinedload(VendorRequest.vendor))
        .order_by(VendorRequest.id))
    fragments = [vevent_bytes(spec) for spec in map(_spec, requests) if spec is not None]
    vendor = contact.vendor
    body = calendar_bytes(calendar_header(f"What {vendor.name} owes", f"Requests to {vendor.name}"), fragments)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def revoke_vendor_feeds(vendor_id: int, actor, reason: str, now: datetime | None = None) -> int:
    """Revoke every live feed token of the vendor's contacts (the caller owns the transaction); returns how many.

    Called when the vendor's response links are revoked or replaced, when it is offboarded, and by the
    "revoke calendar feeds" action: a mis-forwarded link or email stops showing what the vendor owes.
    The next request email to a contact carries a new feed link of their own.
    """
    from sqlalchemy import update

    from tracker import audit
    from tracker.models import Vendor

    now = now or utcnow()
    contacts = select(VendorContact.id).where(VendorContact.vendor_id == vendor_id)
    result = db.session.execute(
        update(VendorContactFeedToken)
        .where(VendorContactFeedToken.contact_id.in_(contacts), VendorContactFeedToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    count = result.rowcount or 0
    vendor = db.session.get(Vendor, vendor_id)
    if count and vendor is not None:
        audit.log(actor, "update", vendor, {"contact_feeds": [None, f"{count} revoked ({reason})"]}, at=now)
    return count

