"""API token use cases: create (the secret is shown once), revoke, authenticate.

A token lives at most MAX_EXPIRY_DAYS and may be read-only. It is revoked
for good when its owner or an admin revokes it, when the owner's password
changes and when the owner is deactivated; reactivating a user does not
bring old tokens back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_line, whole_number
from tracker.models import ApiToken, User
from tracker.models.api_tokens import REVOKED_BY_ADMIN, REVOKED_BY_OWNER

TOKEN_PREFIX = "trk_"
DEFAULT_EXPIRY_DAYS = 90
MIN_EXPIRY_DAYS = 1
MAX_EXPIRY_DAYS = 365
# Recording every use would make every read a write; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(Exception):
    """A bearer secret that does not (or no longer) authenticate; `detail` says why."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def hash_token(secret: str) -> str:
    """The stored form of a token (hex SHA-256; the secret has 256 random bits)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def expiry_days(value: int | str | None) -> int:
    """A lifetime in whole days within the allowed range; ValidationFailed otherwise."""
    if value is None or value == "":
        return DEFAULT_EXPIRY_DAYS
    number = value if isinstance(value, int) and not isinstance(value, bool) else \
        whole_number(str(value).strip(), MAX_EXPIRY_DAYS * 1000)
    if number is None or not MIN_EXPIRY_DAYS <= number <= MAX_EXPIRY_DAYS:
        raise ValidationFailed({"expires_days": f"a whole number of days from {MIN_EXPIRY_DAYS} "
                                                f"to {MAX_EXPIRY_DAYS}"})
    return number


def check_token_fields(name: str, expires_days: int | str | None) -> tuple[str, int]:
    """The token's name and lifetime in days, checked; ValidationFailed lists every problem."""
    name = (name or "").strip()
    errors = {}
    problem = check_line(name, 100, required=True)
    if problem:
        errors["name"] = problem
    days = DEFAULT_EXPIRY_DAYS
    try:
        days = expiry_days(expires_days)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return name, days


def create_token(user: User, name: str, actor: Actor, now: datetime | None = None,
                 expires_days: int | str | None = DEFAULT_EXPIRY_DAYS,
                 read_only: bool = False) -> tuple[ApiToken, str]:
    """Make a named token for `user`; returns the row and the secret (never stored)."""
    name, days = check_token_fields(name, expires_days)
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10],
                     read_only=bool(read_only), created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    label = f"+{name} ({'read-only' if read_only else 'full'}, expires {token.expires_at:%Y-%m-%d})"
    audit.log(actor, "update", user, {"api_tokens": [None, label]}, at=now)
    db.session.commit()
    return token, secret


def _mark_revoked(token: ApiToken, reason: str, now: datetime) -> None:
    token.revoked_at = now
    token.revoked_reason = reason


def revoke_token(token: ApiToken, actor: Actor, now: datetime | None = None) -> None:
    """Revoke a token for good (kept, so the token pages can show it was revoked)."""
    if token.revoked_at is not None:
        return
    now = now or utcnow()
    by_owner = actor.user_id == token.user_id
    _mark_revoked(token, REVOKED_BY_OWNER if by_owner else REVOKED_BY_ADMIN, now)
    audit.log(actor, "update", token.user, {"api_tokens": [f"-{token.name}", None]}, at=now)
    db.session.commit()


def revoke_user_tokens(user: User, actor: Actor, reason: str, now: datetime | None = None) -> int:
    """Revoke every token of `user` that is not revoked yet, in the caller's transaction.

    Used when the password changes and when the user is deactivated; returns
    how many were revoked (and logs them, by name, on the user).
    """
    now = now or utcnow()
    live = list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)))
    for token in live:
        _mark_revoked(token, reason, now)
    if live:
        audit.log(actor, "update", user,
                  {"api_tokens": [", ".join(f"-{t.name}" for t in live), f"revoked: {reason}"]}, at=now)
    return len(live)


def user_tokens(user: User) -> list[ApiToken]:
    """A user's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def all_tokens_query():
    """Every user's tokens with their owners loaded (for admins); callers add order and limits."""
    return select(ApiToken).options(selectinload(ApiToken.user))


def authenticate_token(secret: str, now: datetime | None = None) -> ApiToken:
    """The live token `secret` names, its use recorded; TokenRefused says why not."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise TokenRefused("send a valid API token: 'Authorization: Bearer <token>'")
    digest = hash_token(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenRefused("send a valid API token: 'Authorization: Bearer <token>'")
    now = now or utcnow()
    if token.revoked_at is not None:
        raise TokenRefused(f"this API token was revoked ({token.revoked_reason or REVOKED_BY_OWNER}) "
                           f"on {token.revoked_at:%Y-%m-%d}; create a new one at /account/tokens")
    if not token.user.active:
        raise TokenRefused("this API token's user is deactivated")
    if now >= token.expires_at:
        raise TokenRefused(f"this API token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; "
                           "create a new one at /account/tokens")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        # Committed at once so the request's own writes start a transaction of their own.
        db.session.commit()
    return token


def where_status(stmt, status: str, now: datetime | None = None):
    """Narrow a select of ApiToken to tokens that are `active`, `expired` or `revoked` at `now`."""
    now = now or utcnow()
    stmt = stmt.join(User, User.id == ApiToken.user_id)
    if status == "revoked":
        return stmt.where((ApiToken.revoked_at.is_not(None)) | User.active.is_(False))
    stmt = stmt.where(ApiToken.revoked_at.is_(None), User.active.is_(True))
    if status == "expired":
        return stmt.where(ApiToken.expires_at <= now)
    return stmt.where(ApiToken.expires_at > now)
