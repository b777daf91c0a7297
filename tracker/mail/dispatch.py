"""Sending the outbox: claim rows atomically, talk SMTP outside any transaction.

A claim sets status 'sending' with a lease and is committed before the first
SMTP command; the row is marked sent only after the server accepted it. A
process that dies holding a claim leaves rows whose lease expires, and the
next dispatcher picks them up.

PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent dispatchers take
disjoint rows without waiting. SQLite: BEGIN IMMEDIATE (one writer at a time),
then a conditional UPDATE per row whose rowcount says whether the claim won.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update

from tracker.db import UTCDateTime, db
from tracker.mail.message import header_problem
from tracker.mail.render import KIND_LABELS, PREFERENCE_OF_KIND
from tracker.mail.smtp import PermanentFailure, SmtpConnection, SmtpSettings, TemporaryFailure
from tracker.models import Obligation, OutboxMessage, User, team_members
from tracker.register.vocabulary import ACTIVE_STATUSES
from tracker.txn import begin_write, claim_ids
from tracker.vendors.mail_checks import vendor_unwanted_reason

LEASE = timedelta(minutes=10)
CLAIM_BATCH = 50
MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)

CLAIM_COLUMNS = (OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.mime, OutboxMessage.attempts,
                 OutboxMessage.kind, OutboxMessage.obligation_id, OutboxMessage.revision,
                 OutboxMessage.recipient_id, OutboxMessage.team_id, OutboxMessage.vendor_contact_id)
# A batch is given back (unsent rows released) once half the lease has gone,
# so a slow relay can never let a claim expire while its rows are still queued.
SEND_WITHIN = LEASE / 2


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    kept: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Delay before the next try: 1, 2, 4, ... minutes, capped at an hour, with +-20% jitter."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * rng.uniform(0.8, 1.2)


def claimable(now: datetime):
    """Pending rows whose time has come, and claimed rows whose lease ran out."""
    table = OutboxMessage
    return or_(and_(table.status == "pending", table.next_attempt_at <= now),
               and_(table.status == "sending", table.lease_expires_at <= now))


def claim(now: datetime, worker: str, limit: int = CLAIM_BATCH) -> list:
    """Claim up to `limit` rows for `worker`; committed before returning."""
    db.session.commit()
    if db.session.scalar(select(OutboxMessage.id).where(claimable(now)).limit(1)) is None:
        return []  # nothing to send: no write lock taken
    begin_write()
    claim_values = {"status": "sending", "lease_expires_at": now + LEASE, "claimed_by": worker}
    ids = claim_ids(OutboxMessage, claimable(now), (OutboxMessage.next_attempt_at, OutboxMessage.id),
                    claim_values, limit)
    rows = db.session.execute(select(*CLAIM_COLUMNS).where(OutboxMessage.id.in_(ids))
                              .order_by(OutboxMessage.id)).all() if ids else []
    db.session.commit()
    return rows


_OUTBOX = OutboxMessage.__table__
# Built once: marking a row sent is the per-message hot path.
_MARK_SENT = (update(_OUTBOX)
              .where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.claimed_by == bindparam("worker"),
                     _OUTBOX.c.status == "sending")
              .values(status="sent", sent_at=bindparam("sent_time", type_=UTCDateTime),
                      attempts=bindparam("attempt_count"), last_error="", lease_expires_at=None,
                      claimed_by=None))


def _mark_sent(row, worker: str, when: datetime) -> None:
    db.session.execute(_MARK_SENT, {"row_id": row.id, "worker": worker, "sent_time": when,
                                    "attempt_count": row.attempts + 1})
    db.session.commit()


def _finish(row_id: int, worker: str, values: dict) -> None:
    """Record an outcome, only if our claim still holds (a short transaction of its own)."""
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
        .values(lease_expires_at=None, claimed_by=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _record_failure(row, worker: str, error: Exception, now: datetime, rng, result: DispatchResult) -> None:
    attempts = row.attempts + 1
    if isinstance(error, PermanentFailure) or attempts >= MAX_ATTEMPTS:
        _finish(row.id, worker, {"status": "failed", "attempts": attempts, "last_error": str(error)[:2000]})
        result.failed += 1
    else:
        _finish(row.id, worker, {"status": "pending", "attempts": attempts, "last_error": str(error)[:2000],
                                 "next_attempt_at": now + backoff(attempts, rng)})
        result.retried += 1


def stale_reason(row, obligations: dict) -> str | None:
    """Why a queued deadline email must not go out any more, or None.

    Planning happened earlier (the SMTP server may have been down, or not yet
    configured): by now the obligation may be done, waived, deleted, or moved
    to another date (a new revision, which has its own reminders and a change
    notice). Digests are never stale.
    """
    if row.kind == "digest" or row.obligation_id is None:
        return None
    current = obligations.get(row.obligation_id)
    if current is None or current.deleted_at is not None:
        return "not sent: the obligation was deleted"
    if current.status not in ACTIVE_STATUSES:
        return f"not sent: the obligation is {current.status.replace('_', ' ')}"
    if row.kind != "change" and current.revision != row.revision:
        return "not sent: the deadline moved since this reminder was planned"
    return None


def _current_obligations(rows: list) -> dict:
    ids = {row.obligation_id for row in rows if row.obligation_id is not None and not row.kind.startswith("vendor_")}
    if not ids:
        return {}
    query = select(Obligation.id, Obligation.status, Obligation.revision, Obligation.deleted_at,
                   Obligation.team_id, Obligation.owner_id)
    return {row.id: row for row in db.session.execute(query.where(Obligation.id.in_(ids)))}


@dataclass(frozen=True)
class Recipients:
    """The recipients of a claimed batch as they are now: accounts and team memberships."""
    users: dict
    memberships: set


def _current_recipients(rows: list) -> Recipients:
    ids = {row.recipient_id for row in rows if row.recipient_id is not None}
    if not ids:
        return Recipients({}, set())
    columns = [User.id, User.active, *(getattr(User, name) for name in PREFERENCE_OF_KIND.values())]
    users = {user.id: user for user in db.session.execute(select(*columns).where(User.id.in_(ids)))}
    memberships = {(team_id, user_id) for team_id, user_id in db.session.execute(
        select(team_members.c.team_id, team_members.c.user_id).where(team_members.c.user_id.in_(ids)))}
    return Recipients(users, memberships)


def unwanted_reason(row, obligations: dict, recipients: Recipients) -> str | None:
    """Why a queued email must not go to its recipient any more, or None.

    Like stale_reason, but for the person: since planning they may have been
    deactivated or deleted, left the team, or turned this kind of email off.
    An obligation's owner stays a recipient without being a member.
    """
    user = recipients.users.get(row.recipient_id)  # recipient_id is NULL once the user is deleted
    if user is None:
        return "not sent: the recipient's account was deleted"
    if not user.active:
        return "not sent: the recipient was deactivated"
    if not getattr(user, PREFERENCE_OF_KIND[row.kind]):
        return f"not sent: the recipient turned off {KIND_LABELS[row.kind]}"
    obligation = obligations.get(row.obligation_id)  # None for digests
    if obligation is not None and obligation.owner_id == user.id:
        return None
    team_id = obligation.team_id if obligation is not None else row.team_id
    if team_id is not None and (team_id, user.id) not in recipients.memberships:
        return "not sent: the recipient is no longer a member of the team"
    return None


def _release(rows: list, worker: str) -> None:
    """Give claimed, unsent rows back at once (no attempt counted)."""
    for row in rows:
        _finish(row.id, worker, {"status": "pending"})


def count_kept() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "pending")) or 0


def dispatch(now: datetime, settings: SmtpSettings, rng: random.Random | None = None,
             max_messages: int | None = None) -> DispatchResult:
    """Send what is due in the outbox. With no SMTP host, mail stays in the outbox."""
    result = DispatchResult()
    if not settings.configured:
        result.kept = count_kept()
        return result
    rng = rng or random.Random()
    worker = uuid.uuid4().hex
    started = time.monotonic()

    def clock() -> datetime:
        # `now` may be given (--now); real time still passes while we send.
        return now + timedelta(seconds=time.monotonic() - started)

    handled = 0
    with SmtpConnection(settings) as connection:
        while max_messages is None or handled < max_messages:
            limit = CLAIM_BATCH if max_messages is None else min(CLAIM_BATCH, max_messages - handled)
            claimed_at = clock()
            rows = claim(claimed_at, worker, limit)
            if not rows:
                break
            handled += len(rows)
            current = _current_obligations(rows)
            recipients = _current_recipients(rows)
            db.session.commit()
            for index, row in enumerate(rows):
                if index and clock() - claimed_at >= SEND_WITHIN:
                    _release(rows[index:], worker)  # re-claimed with a fresh lease
                    handled -= len(rows) - index
                    break
                if row.kind.startswith("vendor_"):
                    reason = vendor_unwanted_reason(row)  # contacts and vendor summaries: their own checks
                else:
                    reason = stale_reason(row, current) or unwanted_reason(row, current, recipients)
                if reason:
                    _finish(row.id, worker, {"status": "cancelled", "last_error": reason})
                    result.cancelled += 1
                    continue
                problem = header_problem(row.mime)
                if problem:
                    # Never sent, never retried: the same bytes would fail again.
                    error = f"not sent: unsafe message headers: {problem}"
                    _finish(row.id, worker, {"status": "failed", "last_error": error[:2000]})
                    result.failed += 1
                    result.errors.append(error)
                    continue
                try:
                    connection.send(row.mime, row.recipient)
                except (TemporaryFailure, PermanentFailure) as error:
                    _record_failure(row, worker, error, clock(), rng, result)
                    result.errors.append(str(error))
                    if isinstance(error, TemporaryFailure) and not connection.connected:
                        # The server is unreachable: give the rest back, try later.
                        for rest in rows[index + 1:]:
                            _record_failure(rest, worker, error, clock(), rng, result)
                        return result
                    continue
                _mark_sent(row, worker, clock())
                result.sent += 1
    return result
