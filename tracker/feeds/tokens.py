"""Feed tokens: create, look up without timing leaks, revoke, regenerate.

A token is 43 URL-safe characters from `secrets` (256 bits). The database
never holds it in the clear:

* `digest` is HMAC-SHA256 of the token under a key derived from the app's
  SECRET_KEY. A request's token is found by its digest (an indexed, unique
  column) and the digests are then compared with `hmac.compare_digest`. A
  guesser cannot choose digest prefixes, so lookup timing tells nothing.
* `sealed` is the token encrypted, so `feed-url` and the calendar page can show
  the same URL again: the token XOR a keystream of HMAC-SHA256 blocks keyed by
  a second derived key over the digest (a synthetic-IV construction: the digest
  is both the IV and, after decryption, the integrity check).

Someone who reads the database but not SECRET_KEY learns neither the tokens
nor how to compute one. Every change is written to the audit log, never with
the secret in it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.models import AuditEntry, FeedToken, Team, User
from tracker.sealing import TOKEN_BYTES, digest_of, find_by_secret, seal, unseal  # noqa: F401  (re-exported)


def _new_secret() -> str:
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        # The digest must be unique; a clash among 256-bit tokens is
        # practically impossible but cheap to rule out.
        if db.session.scalar(select(FeedToken.id).where(FeedToken.digest == digest_of(token))) is None:
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
    digest, sealed = seal(token)
    row = FeedToken(digest=digest, sealed=sealed, created_at=now)
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
    row = find_by_secret(FeedToken, token)
    return row if row is not None and row.revoked_at is None else None


def feed_url(row: FeedToken) -> str:
    """The https (or configured) URL of a feed, from TRACKER_BASE_URL."""
    return f"{current_app.config['TRACKER_BASE_URL']}/feeds/{row.token}.ics"


# -- Members who leave -------------------------------------------------------
#
# A team feed URL is shared by the whole team; whoever leaves keeps it. Each
# departure is noted in the audit log against the team's active token (who,
# and why, never the secret), so the team page can list everyone who still
# holds the current URL without being a member, until the feed is rotated.

DEPARTURE = "left"
DEPARTURE_REASONS = {"removed": "removed from the team", "deactivated": "deactivated"}


def note_departure(user: User, teams, reason: str, actor: Actor, now: datetime | None = None) -> None:
    """Record that `user` stopped being a reader of each team's current feed.

    Called (without committing) by membership removal and user deactivation;
    the caller's transaction writes it with the change itself.
    """
    now = now or utcnow()
    for team in teams:
        row = active_token(team)
        if row is None:
            continue
        db.session.add(AuditEntry(
            at=now, actor_id=actor.user_id, actor=actor.label, action=DEPARTURE, entity="feed_token",
            entity_id=row.id, entity_key=f"team:{team.key}",
            changes={"reader": [user.email, None], "reason": [None, reason]},
        ))


def departures(team: Team) -> list[dict]:
    """Who left the team (or was deactivated) since its feed URL was last issued, oldest first.

    One entry per person: {"email", "name", "reason" (words), "at"}.
    """
    row = active_token(team)
    if row is None:
        return []
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "feed_token", AuditEntry.action == DEPARTURE,
                                 AuditEntry.entity_id == row.id).order_by(AuditEntry.at, AuditEntry.id)).all()
    seen: dict[str, dict] = {}
    for entry in entries:
        email = (entry.changes.get("reader") or [None])[0]
        reason = (entry.changes.get("reason") or [None, None])[1]
        if not email or email in seen:
            continue
        seen[email] = {"email": email, "reason": DEPARTURE_REASONS.get(reason, reason or "left"), "at": entry.at}
    if seen:
        names = dict(db.session.execute(select(User.email, User.name).where(User.email.in_(seen))).all())
        for email, item in seen.items():
            item["name"] = names.get(email) or email
    return list(seen.values())
