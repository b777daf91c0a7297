"""Failed sign-in attempts, kept in the database so every web worker sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime


class LoginAttempt(Base):
    """One failed sign-in: which account was tried, from which address, when."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
