"""API tokens: named, expiring, revocable bearer secrets of a user, stored only as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import User

# Why a token was revoked, as shown on the token pages.
REVOKED_BY_OWNER = "revoked"
REVOKED_BY_ADMIN = "revoked by an admin"
REVOKED_PASSWORD_CHANGED = "password changed"
REVOKED_USER_DEACTIVATED = "user deactivated"


class ApiToken(Base):
    """One token: the user sees the secret once; we keep its SHA-256 and a short prefix."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of the whole token, hex; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so a user can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # A read-only token may only GET, whatever its user's role.
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()

    @property
    def scope(self) -> str:
        """`read_only` or `full` (everything the user's role allows)."""
        return "read_only" if self.read_only else "full"

    def status_at(self, now: datetime) -> str:
        """`active`, `expired` or `revoked` at `now` (a deactivated user's tokens are revoked)."""
        if self.revoked_at is not None or not self.user.active:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"

    @property
    def status(self) -> str:
        return self.status_at(utcnow())

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"
