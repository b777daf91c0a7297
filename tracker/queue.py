"""Rows sent by leased claims: the one claim, lease, give-back and retry schedule.

The mail outbox (tracker.mail.dispatch) and channel deliveries
(tracker.channels.delivery) are both queues of this shape: a row is 'pending'
until its `next_attempt_at`, then 'sending' under a claim (`claimed_by`, a
`lease_expires_at`). A claim is committed before the first byte goes out, so
a process that dies holding one leaves rows whose lease expires and the next
pass sends them. An outcome counts only while our claim still holds. What a
domain decides for itself (lease length, attempts, backoff base and cap, what
an answer means) stays in its own module; this one holds the mechanics.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import and_, or_, select, update

from tracker.db import db
from tracker.txn import begin_write, claim_ids

CLAIM_BATCH = 50


@dataclass
class PassCounts:
    """What every sending pass counts: tries to come again later, rows given up, and the errors seen.
    Each queue adds its own outcomes (mail: sent, kept, cancelled; deliveries: delivered, disabled)."""

    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, rng: random.Random, base: timedelta, cap: timedelta) -> timedelta:
    """Delay before the next try: base, 2x, 4x, ... capped at `cap`, with +-20% jitter."""
    return min(base * (2 ** max(attempts - 1, 0)), cap) * rng.uniform(0.8, 1.2)


def due(model, now: datetime):
    """Pending rows whose time has come, and claimed rows whose lease ran out."""
    return or_(and_(model.status == "pending", model.next_attempt_at <= now),
               and_(model.status == "sending", model.lease_expires_at <= now))


def claim(model, rows_query, now: datetime, worker: str, lease: timedelta, limit: int, where=None) -> list:
    """Claim up to `limit` due rows of `model` for `worker`; `rows_query` read for them; committed.

    `where` narrows what is due (a channel that is still active); `rows_query`
    is a select of the columns the sender needs, restricted here to the
    claimed ids in id order. Nothing due means no write lock is taken.
    """
    def claimable():
        condition = due(model, now)
        return condition if where is None else and_(where, condition)

    db.session.commit()
    if db.session.scalar(select(model.id).where(claimable()).limit(1)) is None:
        return []
    begin_write()
    values = {"status": "sending", "lease_expires_at": now + lease, "claimed_by": worker}
    ids = claim_ids(model, claimable(), (model.next_attempt_at, model.id), values, limit)
    rows = db.session.execute(rows_query.where(model.id.in_(ids)).order_by(model.id)).all() if ids else []
    db.session.commit()
    return rows


def finish(model, row_id: int, worker: str, values: dict) -> bool:
    """Record an outcome only if our claim still holds (and end the claim); the caller commits."""
    result = db.session.execute(
        update(model).where(model.id == row_id, model.claimed_by == worker, model.status == "sending")
        .values(lease_expires_at=None, claimed_by=None, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(model, rows: list, worker: str) -> None:
    """Give claimed, unsent rows back at once (no attempt counted), and commit."""
    for row in rows:
        finish(model, row.id, worker, {"status": "pending"})
    db.session.commit()


class LeasedPass:
    """One sending pass: a worker id, a clock, and the batches it claims one after another.

    `now` may be given (--now, a test); real time still passes while we send,
    so the clock moves on from it.
    """

    def __init__(self, now: datetime, max_rows: int | None = None, batch: int = CLAIM_BATCH):
        self.worker = uuid.uuid4().hex
        self.max_rows = max_rows
        self.batch = batch
        self.handled = 0
        self.claimed_at = now
        self._now = now
        self._started = time.monotonic()

    def clock(self) -> datetime:
        return self._now + timedelta(seconds=time.monotonic() - self._started)

    def batches(self, claim_batch: Callable[[datetime, str, int], list]) -> Iterator[list]:
        """Claim (`claim_batch(now, worker, limit)`) and yield batches until nothing is due or the limit is met."""
        while self.max_rows is None or self.handled < self.max_rows:
            limit = self.batch if self.max_rows is None else min(self.batch, self.max_rows - self.handled)
            self.claimed_at = self.clock()
            rows = claim_batch(self.claimed_at, self.worker, limit)
            if not rows:
                return
            self.handled += len(rows)
            yield rows

    def in_time(self, rows: list, send_within: timedelta,
                give_back: Callable[[list, str], None]) -> Iterator:
        """Yield the batch's rows while its claim is young; give the rest back once `send_within` has gone.

        The first row is always tried, so a pass makes progress; the rows
        given back are claimed again, with a fresh lease, by the next batch.
        A slow receiver can so never let a claim expire while its rows wait.
        """
        for index, row in enumerate(rows):
            if index and self.clock() - self.claimed_at >= send_within:
                give_back(rows[index:], self.worker)
                self.handled -= len(rows) - index
                return
            yield row
