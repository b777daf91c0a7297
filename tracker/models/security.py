"""Sign-in attempts and server-side sessions, kept in the database so every web worker sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime


class LoginAttempt(Base):
    """One sign-in attempt: which account was tried, from which address, when.

    A row is written before the password is checked (succeeded false) and
    turned into a success afterwards, so a crash or a parallel burst still
    counts. A success is kept a while: it marks the address as one the owner
    signs in from.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_address", "email", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.

    Deleting the row ends the session whatever the cookie says: sign-out,
    "sign out everywhere", a password change and deactivation do that.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
