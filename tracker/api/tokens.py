"""API token use cases: create (the secret is shown once), revoke, authenticate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import ApiToken, User
from tracker.fields import check_line

TOKEN_PREFIX = "trk_"
# Recording every use would make every read a write; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    """The stored form of a token (hex SHA-256; the secret has 256 random bits)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str, actor: Actor, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Make a named token for `user`; returns the row and the secret (never stored)."""
    name = (name or "").strip()
    problem = check_line(name, 100, required=True)
    if problem:
        raise ValidationFailed({"name": problem})
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:10], created_at=now)
    db.session.add(token)
    audit.log(actor, "update", user, {"api_tokens": [None, f"+{name}"]}, at=now)
    db.session.commit()
    return token, secret


def revoke_token(token: ApiToken, actor: Actor, now: datetime | None = None) -> None:
    """Revoke a token for good (kept, so the account page can show it was revoked)."""
    if token.revoked_at is not None:
        return
    now = now or utcnow()
    token.revoked_at = now
    audit.log(actor, "update", token.user, {"api_tokens": [f"-{token.name}", None]}, at=now)
    db.session.commit()


def user_tokens(user: User) -> list[ApiToken]:
    """A user's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def authenticate_token(secret: str, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to, else None; records the use."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.is_live:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        # Committed at once so the request's own writes start a transaction of their own.
        db.session.commit()
    return token.user
