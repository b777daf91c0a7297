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
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Callable, Iterable

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from tracker import queue
from tracker.db import UTCDateTime, db
from tracker.mail import notices as work_notices
from tracker.mail.grouping import ITEM_COLUMNS, rebuild
from tracker.mail.message import build_message, header_problem, mime_bytes
from tracker.mail.relevance import (
    ITEM_KINDS, current_obligations, current_recipients, stale_reason, unwanted_reason,
)
from tracker.mail.smtp import PermanentFailure, SmtpConnection, SmtpSettings, TemporaryFailure
from tracker.models import OutboxItem, OutboxMessage

LEASE = timedelta(minutes=10)
CLAIM_BATCH = queue.CLAIM_BATCH
MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)

CLAIM_COLUMNS = (OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.mime, OutboxMessage.attempts,
                 OutboxMessage.kind, OutboxMessage.obligation_id, OutboxMessage.revision,
                 OutboxMessage.recipient_id, OutboxMessage.team_id, OutboxMessage.vendor_contact_id)
# A batch is given back (unsent rows released) once half the lease has gone,
# so a slow relay can never let a claim expire while its rows are still queued.
SEND_WITHIN = LEASE / 2


@dataclass(frozen=True)
class KindCheck:
    """A domain's own last look at the kinds of mail it queues, just before sending.

    Passed to `dispatch` by the job that runs it (tracker.jobs.reminder_pass), so the
    generic sender names no domain and knows no kind by a string prefix. `unwanted(row)`
    says why the row must not go, or None; `final_bytes(row)` gives the bytes to send (a
    domain may fill in secrets only now); `allow_reply_to`: the domain's mail carries
    its own Reply-To header.
    """

    kinds: frozenset[str]
    unwanted: Callable[[Any], str | None]
    final_bytes: Callable[[Any], bytes]
    allow_reply_to: bool = False


@dataclass
class DispatchResult(queue.PassCounts):
    sent: int = 0
    kept: int = 0
    cancelled: int = 0


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Delay before the next try: 1, 2, 4, ... minutes, capped at an hour, with +-20% jitter."""
    return queue.backoff(attempts, rng, BACKOFF_BASE, BACKOFF_CAP)


def claim(now: datetime, worker: str, limit: int = CLAIM_BATCH) -> list:
    """Claim up to `limit` rows for `worker`; committed before returning."""
    return queue.claim(OutboxMessage, select(*CLAIM_COLUMNS), now, worker, LEASE, limit)


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
    queue.finish(OutboxMessage, row_id, worker, values)
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


def queued_items(message_ids: list[int]) -> dict[int, list]:
    """The items still owed of each message, by message id."""
    found: dict[int, list] = {}
    if message_ids:
        for item in db.session.execute(select(*ITEM_COLUMNS).where(
                OutboxItem.message_id.in_(message_ids), OutboxItem.status == "queued").order_by(OutboxItem.id)):
            found.setdefault(item.message_id, []).append(item)
    return found


def _check_items(row, items: list, current: dict, recipients, worker: str, now: datetime,
                 calendars: dict | None = None, notices: list = ()) -> tuple[str | None, bytes]:
    """(why the message must not go, or None; the bytes to send) after leaving out the items no longer owed.

    An item whose obligation is done, waived, deleted or moved, or whose
    recipient no longer wants it, leaves the message; the rest still goes, in
    an email rebuilt without it (same Message-ID). The work notices it carries
    stay while the recipient wants change notices; with no item left they go
    alone. Nothing left: not sent.
    """
    dropped = {}
    for item in items:
        reason = stale_reason(item, current) or unwanted_reason(item, current, recipients)
        if reason:
            dropped[item.id] = reason
    if dropped:
        for item_id, reason in dropped.items():
            db.session.execute(update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.status == "queued")
                               .values(status="left_out", note=reason[:2000])
                               .execution_options(synchronize_session=False))
        db.session.commit()
    kept = [item for item in items if item.id not in dropped]
    told = list(notices) if work_notices.wants_notices(recipients.users.get(row.recipient_id)) else []
    if not kept and not told:
        reasons = sorted(set(dropped.values()))
        if len(reasons) == 1:
            return reasons[0], row.mime
        return "not sent: none of its deadlines is due any more (" + "; ".join(reasons)[:1500] + ")", row.mime
    if not dropped and len(told) == len(notices) and row.mime:
        return None, row.mime
    # Rebuilt without what left it, or built for the first time (a big grouped email).
    message = db.session.get(OutboxMessage, row.id)
    kind, rendered = rebuild(message, kept, now, calendars, told)
    values = {"kind": kind, "subject": rendered.subject, "body_text": rendered.body_text,
              "body_html": rendered.body_html, "ics": rendered.ics}
    single = kept[0] if len(kept) == 1 else None
    values.update(obligation_id=single.obligation_id if single else None,
                  revision=single.revision if single else None, lead_days=single.lead_days if single else None)
    built = SimpleNamespace(**{**{column: getattr(message, column) for column in
                                  ("recipient", "recipient_name", "message_id", "unsubscribe_url")},
                               **values, "unsubscribe_url": rendered.unsubscribe_url})
    values["mime"] = mime_bytes(build_message(built, current_app.config["TRACKER_MAIL_FROM"], now))
    values["unsubscribe_url"] = rendered.unsubscribe_url
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == worker)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return None, values["mime"]


def _release(rows: list, worker: str) -> None:
    """Give claimed, unsent rows back at once (no attempt counted)."""
    queue.release(OutboxMessage, rows, worker)


def count_kept() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "pending")) or 0


def dispatch(now: datetime, settings: SmtpSettings, rng: random.Random | None = None,
             max_messages: int | None = None, *, checks: Iterable[KindCheck]) -> DispatchResult:
    """Send what is due in the outbox. With no SMTP host, mail stays in the outbox.

    `checks`: the domains' own checks of the kinds they queue (see KindCheck); every
    other row is checked against its obligations and recipients here. Required, so
    no caller can send a domain's mail without its checks (jobs.reminder_pass.MAIL_CHECKS).
    """
    by_kind = {kind: check for check in checks for kind in check.kinds}
    result = DispatchResult()
    if not settings.configured:
        result.kept = count_kept()
        return result
    rng = rng or random.Random()
    run = queue.LeasedPass(now, max_messages, CLAIM_BATCH)
    calendars: dict = {}  # one .ics for every recipient of the same deadlines
    with SmtpConnection(settings) as connection:
        for rows in run.batches(claim):
            worker = run.worker
            items = queued_items([row.id for row in rows])
            notices = work_notices.attached_to(list(items))
            every_item = [item for its in items.values() for item in its]
            current = current_obligations([*rows, *every_item])
            recipients = current_recipients([*rows, *every_item])
            db.session.commit()
            for index, row in enumerate(run.in_time(rows, SEND_WITHIN, _release)):
                check = by_kind.get(row.kind)
                if check is not None:
                    # A domain's own mail (contacts' mail, the team's vendor summaries): its own checks.
                    reason = check.unwanted(row)
                    mime = row.mime if reason else check.final_bytes(row)
                elif row.kind in ITEM_KINDS and row.id in items:
                    reason, mime = _check_items(row, items[row.id], current, recipients, worker, run.clock(),
                                                calendars, notices.get(row.id, []))
                else:  # a digest, an admin notice, or a message queued before items existed
                    reason, mime = stale_reason(row, current) or unwanted_reason(row, current, recipients), row.mime
                if reason:
                    _finish(row.id, worker, {"status": "cancelled", "last_error": reason})
                    result.cancelled += 1
                    continue
                problem = header_problem(mime, allow_reply_to=check is not None and check.allow_reply_to)
                if problem:
                    # Never sent, never retried: the same bytes would fail again.
                    error = f"not sent: unsafe message headers: {problem}"
                    _finish(row.id, worker, {"status": "failed", "last_error": error[:2000]})
                    result.failed += 1
                    result.errors.append(error)
                    continue
                try:
                    connection.send(mime, row.recipient)
                except (TemporaryFailure, PermanentFailure) as error:
                    _record_failure(row, worker, error, run.clock(), rng, result)
                    result.errors.append(str(error))
                    if isinstance(error, TemporaryFailure) and not connection.connected:
                        # The server is unreachable: give the rest back, try later.
                        for rest in rows[index + 1:]:
                            _record_failure(rest, worker, error, run.clock(), rng, result)
                        return result
                    continue
                _mark_sent(row, worker, run.clock())
                result.sent += 1
    return result
