"""Use cases an admin runs on the outbox: putting a failed message back in the queue."""

from __future__ import annotations

from datetime import datetime

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.errors import Conflict
from tracker.models import OutboxMessage
from tracker.txn import owns_transaction


@owns_transaction
def retry_message(message: OutboxMessage, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Queue a failed message again, to go out at the next pass, with its attempts counted anew.

    Only a failed message: a pending one is already queued and a sent one must not go twice.
    The audit trail records who asked, and the status and attempts it had before.
    """
    if message.status != "failed":
        raise Conflict("Only failed messages can be retried.")
    now = now or utcnow()
    before = {"status": message.status, "attempts": message.attempts}
    message.status, message.next_attempt_at, message.attempts = "pending", now, 0
    audit.log(actor, "retry", message,
              audit.diff(before, {"status": message.status, "attempts": message.attempts}), now)
