"""Response links: the secret URL a vendor's contacts answer a request through, without an account.

A token is 43 URL-safe characters (256 bits from `secrets`). Its first 12
characters are the row's `selector` (an indexed, unique lookup column); the
database holds only an HMAC-SHA256 digest of the whole token under a key
derived from SECRET_KEY, compared with hmac.compare_digest, and the token
sealed (tracker.sealing) so `vendor-link` and the request emails can print
the same URL again. A link expires 60 days after the request's due date
(never sooner than 60 days after it was made; while the request has no date,
a year after it was made), can be revoked, and is replaced
when the request is sent again: the old URL then answers 410.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.models import VendorLink, VendorRequest
from tracker.sealing import TOKEN_BYTES, find_by_secret, seal, unseal
from tracker.txn import owns_transaction
from tracker.vendors.mail.queue import queue
from tracker.vendors.mail.render import contacts_of, outbox_values, request_line, team_name_of

SELECTOR_LENGTH = 12
EXPIRES_AFTER_DUE = timedelta(days=60)
UNDATED_LIFETIME = timedelta(days=365)


def expiry_for(request: VendorRequest, now: datetime) -> datetime:
    """When a link made now for `request` stops working: the end of the day 60 days after the due date,
    but never sooner than 60 days after it is made (a link sent for an overdue request must work)."""
    if request.due_date is None:
        return now + UNDATED_LIFETIME
    after_due = datetime.combine(request.due_date + EXPIRES_AFTER_DUE, time(23, 59, 59), tzinfo=timezone.utc)
    return max(after_due, now + EXPIRES_AFTER_DUE)


def effective_expiry(link: VendorLink, request: VendorRequest) -> datetime:
    """The later of the stored expiry and 60 days after the current due date (a moved deadline carries its link)."""
    if request.due_date is None:
        return link.expires_at
    return max(link.expires_at, expiry_for(request, link.created_at))


def _audit(actor: Actor, action: str, link: VendorLink, now: datetime) -> None:
    audit.log(actor, "update", link.request, {"response_link": [None, f"link {link.id} {action}"]}, at=now)


def _create(request: VendorRequest, actor: Actor, now: datetime,
            issued_by_hand: bool = False) -> tuple[VendorLink, str]:
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        selector = token[:SELECTOR_LENGTH]
        if db.session.scalar(select(VendorLink.id).where(VendorLink.selector == selector)) is None:
            break
    digest, sealed = seal(token)
    link = VendorLink(request_id=request.id, selector=selector, digest=digest, sealed=sealed,
                      created_at=now, expires_at=expiry_for(request, now),
                      issued_by_id=actor.user_id if issued_by_hand else None)
    db.session.add(link)
    db.session.flush()
    _audit(actor, "created", link, now)
    return link, token


def current_link(request: VendorRequest) -> VendorLink | None:
    """The request's newest link that is neither revoked nor replaced."""
    return db.session.scalar(select(VendorLink).where(
        VendorLink.request_id == request.id, VendorLink.revoked_at.is_(None), VendorLink.replaced_at.is_(None))
        .order_by(VendorLink.id.desc()).limit(1))


@owns_transaction
def ensure_link(request: VendorRequest, actor: Actor, now: datetime | None = None, commit: bool = True) -> str:
    """The token of the request's current link, made when there is none (or it cannot be opened or expired)."""
    now = now or utcnow()
    link = current_link(request)
    if link is not None and effective_expiry(link, request) > now and link.sealed:
        token = unseal(link.digest, link.sealed)
        if token is not None:
            return token
    if link is not None:
        link.replaced_at = now
    return _create(request, actor, now)[1]


@owns_transaction
def replace_link(request: VendorRequest, actor: Actor, now: datetime | None = None, commit: bool = True) -> str:
    """Resend: every live link of the request is replaced by a new one; returns the new token.

    The new link records who re-issued it (`issued_by_id`), and so does every
    attestation sent through it: a team member could answer through a link
    they re-issued, so such an answer is never taken for the vendor's own.
    """
    now = now or utcnow()
    for link in db.session.scalars(select(VendorLink).where(
            VendorLink.request_id == request.id, VendorLink.revoked_at.is_(None), VendorLink.replaced_at.is_(None))):
        link.replaced_at = now
        _audit(actor, "replaced", link, now)
    _revoke_feeds(request, actor, "its response link was replaced", now)
    return _create(request, actor, now, issued_by_hand=True)[1]


@owns_transaction
def replace_and_resend(request: VendorRequest, actor: Actor, now: datetime | None = None,
                       commit: bool = True) -> tuple[str, int]:
    """"Send again": replace every live link with a new one and mail it to every contact; (token, mails queued).

    One transaction: the old URLs answer 410 only once the new one is on its way.
    The audit log names who re-issued the link (the new link keeps it too, see
    `replace_link`) and how many contacts it went to.
    """
    now = now or utcnow()
    token = replace_link(request, actor, now=now, commit=False)
    link_id = link_id_of(token)
    queued = _queue_resend(request, token, link_id, now)
    audit.log(actor, "update", request, {"response_link": [None, f"link {link_id} sent to {queued} contact(s)"]},
              at=now)
    return token, queued


def _queue_resend(request: VendorRequest, token: str, link_id: int, now: datetime) -> int:
    """The request again, with its new link's placeholder (never the token), to every contact."""
    link = placeholder_url(link_id)
    team = team_name_of(request)
    queued = 0
    for contact in contacts_of(request.vendor):
        values = outbox_values("vendor_request", contact, f"Request from {team}: {request.obligation.title}",
                               "Please answer", f"{team} sends this request again with a new link; "
                               "earlier links no longer work.", [request_line(request, link)], now,
                               team_name=team, request_id=request.id)
        queued += queue(values, [f"vendor_resend:{request.id}:{token[:12]}:{contact.contact_id}"])
    return queued


@owns_transaction
def revoke_links(request: VendorRequest, actor: Actor, now: datetime | None = None, commit: bool = True) -> int:
    """Revoke every live link of the request; their URLs answer 410 from now on."""
    now = now or utcnow()
    count = 0
    for link in db.session.scalars(select(VendorLink).where(
            VendorLink.request_id == request.id, VendorLink.revoked_at.is_(None), VendorLink.replaced_at.is_(None))):
        link.revoked_at = now
        _audit(actor, "revoked", link, now)
        count += 1
    _revoke_feeds(request, actor, "its response link was revoked", now)
    return count


def _revoke_feeds(request: VendorRequest, actor: Actor, reason: str, now: datetime) -> None:
    from tracker.vendors.contact_feeds import revoke_vendor_feeds

    revoke_vendor_feeds(request.vendor_id, actor, reason, now)


@dataclass(frozen=True)
class Lookup:
    """What a token opens: 'ok' (with the link), 'gone' (expired, revoked or replaced) or 'unknown'."""

    state: str
    link: VendorLink | None = None
    why: str = ""


def find(token: str, now: datetime | None = None) -> Lookup:
    """Look a token up by its selector, then compare digests in constant time."""
    link = find_by_secret(VendorLink, token, selector=VendorLink.selector, selector_length=SELECTOR_LENGTH)
    if link is None:
        return Lookup("unknown")
    now = now or utcnow()
    if link.revoked_at is not None:
        return Lookup("gone", link, "revoked")
    if link.replaced_at is not None:
        return Lookup("gone", link, "replaced")
    if link.request.obligation.deleted_at is not None:
        return Lookup("gone", link, "withdrawn")
    if effective_expiry(link, link.request) <= now:
        return Lookup("gone", link, "expired")
    return Lookup("ok", link)


def response_url(token: str) -> str:
    """The public URL of a response link, from TRACKER_BASE_URL."""
    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/respond/{token}"


# Mail holds a placeholder naming the link's row, never the token: the outbox (and every backup of it)
# gives a reader no working link. The URL is filled in from the sealed copy when the message is sent.
PLACEHOLDER = re.compile(r"/respond/\[link-(\d{1,10})\]")
FEED_PLACEHOLDER = re.compile(r"/feeds/v/\[contact-(\d{1,10})\]")


def placeholder_url(link_id: int) -> str:
    """What queued mail holds instead of a response link's URL."""
    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/respond/[link-{link_id}]"


def link_id_of(token: str) -> int:
    """The row id of a token this process just made (found by its selector)."""
    return db.session.scalar(select(VendorLink.id).where(VendorLink.selector == token[:SELECTOR_LENGTH]))


def fill_placeholders(text: str) -> str:
    """`text` with every link placeholder replaced by the link's URL (unsealed now, never stored).

    A link that cannot be unsealed (another SECRET_KEY) becomes the word "unavailable" in the
    URL, which answers 404: the contact asks for a new one.
    """
    def url(match: re.Match) -> str:
        link = db.session.get(VendorLink, int(match.group(1)))
        token = unseal(link.digest, link.sealed) if link is not None and link.sealed else None
        return f"/respond/{token}" if token else "/respond/unavailable"

    def feed(match: re.Match) -> str:
        from tracker.models import VendorContact
        from tracker.vendors.contact_feeds import ensure_contact_token

        contact = db.session.get(VendorContact, int(match.group(1)))
        return f"/feeds/v/{ensure_contact_token(contact)}" if contact is not None else "/feeds/v/unavailable"

    return FEED_PLACEHOLDER.sub(feed, PLACEHOLDER.sub(url, text))
