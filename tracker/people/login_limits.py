"""Slowing down password guessing without letting anyone lock the owner out.

Every password check (sign-in and the current password on the account page)
goes through `begin()`, which writes the attempt to `login_attempts` *before*
the password is looked at and then counts. A burst of parallel guesses
therefore cannot get more than the limit checked: each request counts its own
row and every row committed before it. The rows live in the database, so the
limits hold across gunicorn workers and restarts.

Three limits, counted over the last WINDOW:

- one account from one address: MAX_PER_ACCOUNT_AND_ADDRESS failures, then
  that pair waits. Someone guessing from elsewhere never blocks the owner's
  own address.
- one address, any account: MAX_PER_ADDRESS failures (one place trying many
  accounts).
- one account, any address: MAX_PER_ACCOUNT failures (guessing spread over
  many addresses). Past it, only addresses the account signed in from in the
  last KNOWN_FOR may still try, so the owner keeps getting in.

An address the account signed in from recently is not held back by the last
two limits; the first one always applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, text, update

from tracker.clock import utcnow
from tracker.db import db
from tracker.models import LoginAttempt
from tracker.txn import begin_write, is_sqlite

WINDOW = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=30)
MAX_PER_ACCOUNT_AND_ADDRESS = 5
MAX_PER_ADDRESS = 20
MAX_PER_ACCOUNT = 30


@dataclass(frozen=True)
class Refusal:
    """Why the attempt is refused right now (the password was not checked), and for how long."""

    retry_after: timedelta
    elsewhere: bool = False  # refused because of failures from other addresses

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds()) + 1)

    def message(self) -> str:
        wait = f"{self.minutes} minute{'s' if self.minutes != 1 else ''}"
        if self.elsewhere:
            return (f"This account had many failed sign-ins from other places, so for the next {wait} it "
                    "can only be signed in to from a place it was used from before.")
        return f"Too many failed sign-ins. Please wait {wait} and try again."


@dataclass(frozen=True)
class Attempt:
    """A counted attempt that may go ahead: check the password, then call `succeeded` if it was right."""

    id: int
    email: str
    address: str


def _lock_key(kind: str, value: str) -> int:
    """A signed 64-bit advisory lock id for one account or one address."""
    digest = hashlib.blake2b(f"login:{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def _failures(since: datetime, *conditions):
    return (select(func.count(LoginAttempt.id), func.max(LoginAttempt.at))
            .where(LoginAttempt.succeeded.is_(False), LoginAttempt.at > since, *conditions))


def _known(email: str, address: str, now: datetime) -> bool:
    return db.session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.email == email, LoginAttempt.address == address,
        LoginAttempt.succeeded.is_(True), LoginAttempt.at > now - KNOWN_FOR).limit(1)) is not None


def _refusal(email: str, address: str, now: datetime, row_id: int) -> Refusal | None:
    # Only attempts recorded before this one count (lower ids), so in a burst the
    # first `limit` go ahead and the rest wait, instead of every one seeing the
    # whole burst and all of them being refused.
    since = now - WINDOW
    limits = [(and_(LoginAttempt.email == email, LoginAttempt.address == address),
               MAX_PER_ACCOUNT_AND_ADDRESS, False)]
    if not _known(email, address, now):
        limits += [(LoginAttempt.address == address, MAX_PER_ADDRESS, False),
                   (LoginAttempt.email == email, MAX_PER_ACCOUNT, True)]
    refusals = []
    for condition, limit, elsewhere in limits:
        count, newest = db.session.execute(_failures(since, condition, LoginAttempt.id <= row_id)).one()
        if count > limit:  # the count includes this attempt's own row
            # Wait until the newest failures age out of the window; the newest
            # one is a conservative choice that keeps the message simple.
            refusals.append(Refusal(retry_after=(newest + WINDOW) - now, elsewhere=elsewhere))
    if not refusals:
        return None
    return max(refusals, key=lambda refusal: refusal.retry_after)


def begin(email: str, address: str, now: datetime | None = None) -> Attempt | Refusal:
    """Count an attempt before its password is checked: an Attempt to go ahead with, or a Refusal.

    The attempt stays a failure unless `succeeded` is called, so a request that
    dies half-way still counts. A refused attempt is not kept: waiting is
    enough, retrying while refused does not make the wait longer.
    """
    now = now or utcnow()
    email, address = _key(email), (address or "unknown")[:64]
    db.session.execute(delete(LoginAttempt).where(or_(
        and_(LoginAttempt.succeeded.is_(False), LoginAttempt.at <= now - WINDOW),
        LoginAttempt.at <= now - KNOWN_FOR)))
    db.session.commit()
    # Record and count in one transaction, one request per account and per
    # address at a time: on PostgreSQL a burst's ids are handed out before their
    # rows commit, so a request counting on its own could miss a lower id still
    # in flight and let a sixth guess through. SQLite serialises writers anyway.
    begin_write()
    if not is_sqlite():
        for lock in sorted({_lock_key("account", email), _lock_key("address", address)}):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
    row = LoginAttempt(at=now, email=email, address=address, succeeded=False)
    db.session.add(row)
    db.session.flush()
    refusal = _refusal(email, address, now, row.id)
    db.session.commit()
    if refusal is not None:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.id == row.id))
        db.session.commit()
        return refusal
    return Attempt(id=row.id, email=email, address=address)


def succeeded(attempt: Attempt, commit: bool = True) -> None:
    """The password was right: this address's failures for the account stop counting.

    The success itself is kept (one per account and address) so that the
    address counts as known to the account.
    """
    db.session.execute(delete(LoginAttempt).where(
        LoginAttempt.email == attempt.email, LoginAttempt.address == attempt.address,
        LoginAttempt.id != attempt.id))
    db.session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(succeeded=True))
    if commit:
        db.session.commit()
