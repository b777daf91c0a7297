"""Feed tokens: create, look up without timing leaks, revoke, regenerate.

A token is 43 URL-safe characters from `secrets` (256 bits). Its first
SELECTOR_LENGTH characters find the row through an index; the whole token is
then compared with `hmac.compare_digest`, so how long a lookup takes never
tells a guesser how much of the secret they got right. Every change is
written to the audit log, never with the secret in it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.models import AuditEntry, FeedToken, Team, User

TOKEN_BYTES = 32
SELECTOR_LENGTH = 16
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _new_secret() -> str:
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        # The selector must be unique; a clash among 96-bit selectors is
        # practically impossible but cheap to rule out.
        if db.session.scalar(select(FeedToken.id).where(FeedToken.selector == token[:SELECTOR_LENGTH])) is None:
            return token


def _owner_filter(owner: Team | User):
    if isinstance(owner, Team):
        return FeedToken.team_id == owner.id
    return FeedToken.user_id == owner.id


def active_token(owner: Team | User) -> FeedToken | None:
    """The owner's current (not revoked) feed token, if any."""
    query = select(FeedToken).where(_owner_filter(owner), FeedToken.revoked_at.is_(None))
    return db.session.scalar(query.order_by(FeedToken.id.desc()))


def _audit(actor: Actor, action: str, row: FeedToken, owner: Team | User, now: datetime) -> None:
    label = f"team:{owner.key}" if isinstance(owner, Team) else f"user:{owner.email}"
    db.session.add(AuditEntry(
        at=now, actor_id=actor.user_id, actor=actor.label, action=action, entity="feed_token",
        entity_id=row.id, entity_key=label, changes={"feed": [None, label] if action == "create" else [label, None]},
    ))


def _create(owner: Team | User, actor: Actor, now: datetime) -> FeedToken:
    token = _new_secret()
    row = FeedToken(selector=token[:SELECTOR_LENGTH], token=token, created_at=now)
    if isinstance(owner, Team):
        row.team_id = owner.id
    else:
        row.user_id = owner.id
    db.session.add(row)
    db.session.flush()
    _audit(actor, "create", row, owner, now)
    return row


def ensure_token(owner: Team | User, actor: Actor, now: datetime | None = None) -> FeedToken:
    """The owner's active token, created (and audited) when there is none."""
    row = active_token(owner)
    if row is not None:
        return row
    row = _create(owner, actor, now or utcnow())
    db.session.commit()
    return row


def revoke(owner: Team | User, actor: Actor, now: datetime | None = None) -> bool:
    """Revoke the owner's active token; its URL answers 404 from now on."""
    now = now or utcnow()
    rows = db.session.scalars(select(FeedToken).where(_owner_filter(owner), FeedToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
        _audit(actor, "revoke", row, owner, now)
    db.session.commit()
    return bool(rows)


def regenerate(owner: Team | User, actor: Actor, now: datetime | None = None) -> FeedToken:
    """Revoke the current token and issue a new one, in one transaction."""
    now = now or utcnow()
    for row in db.session.scalars(select(FeedToken).where(_owner_filter(owner), FeedToken.revoked_at.is_(None))):
        row.revoked_at = now
        _audit(actor, "revoke", row, owner, now)
    row = _create(owner, actor, now)
    db.session.commit()
    return row


def find_active(token: str) -> FeedToken | None:
    """The active token row matching `token` exactly, else None (constant-time compare)."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    row = db.session.scalar(select(FeedToken).where(FeedToken.selector == token[:SELECTOR_LENGTH]))
    # Compare even when no row matched, so both paths do the same work.
    stored = row.token if row is not None else "x" * len(token)
    if not hmac.compare_digest(stored.encode(), token.encode()):
        return None
    if row is None or row.revoked_at is not None:
        return None
    return row


def feed_url(row: FeedToken) -> str:
    """The https (or configured) URL of a feed, from TRACKER_BASE_URL."""
    return f"{current_app.config['TRACKER_BASE_URL']}/feeds/{row.token}.ics"
