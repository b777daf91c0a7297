"""Slowing down password guessing: too many failed sign-ins are refused for a while.

Failures are rows in `login_attempts`, so the limit holds across several
gunicorn workers and restarts. Two limits apply: per account (someone guessing
one user's password from many places) and per client address (one place
guessing many accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from tracker.clock import utcnow
from tracker.db import db
from tracker.models import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20


@dataclass(frozen=True)
class Refusal:
    """Why sign-in is refused right now, and for how long."""

    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))

    def message(self) -> str:
        return (f"Too many failed sign-ins. Please wait {self.minutes} minute"
                f"{'s' if self.minutes != 1 else ''} and try again.")


def _key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def check_allowed(email: str, address: str, now: datetime | None = None) -> Refusal | None:
    """None when a sign-in attempt may go ahead, else a Refusal."""
    now = now or utcnow()
    since = now - WINDOW
    refusals = []
    for column, value, limit in ((LoginAttempt.email, _key(email), MAX_PER_ACCOUNT),
                                 (LoginAttempt.address, address[:64], MAX_PER_ADDRESS)):
        count, newest = db.session.execute(
            select(func.count(LoginAttempt.id), func.max(LoginAttempt.at))
            .where(column == value, LoginAttempt.at > since)).one()
        if count >= limit:
            # Wait until the newest failures age out of the window; the newest
            # one is a conservative choice that keeps the message simple.
            refusals.append(Refusal(retry_after=(newest + WINDOW) - now))
    if not refusals:
        return None
    return max(refusals, key=lambda refusal: refusal.retry_after)


def record_failure(email: str, address: str, now: datetime | None = None) -> None:
    """Remember a failed attempt (and forget ones too old to count)."""
    now = now or utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - WINDOW))
    db.session.add(LoginAttempt(at=now, email=_key(email), address=address[:64]))
    db.session.commit()


def clear_account(email: str) -> None:
    """After a successful sign-in the account's failures no longer count."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == _key(email)))
    db.session.commit()
