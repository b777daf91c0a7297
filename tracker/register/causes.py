"""What moved deadlines: one cause per event recorded, pack import, rule edit or accepted proposal.

A service that is about to recompute deadlines names its cause with `begin`
inside its transaction; every history row written by
recompute.apply_changes in that transaction then carries the cause's id, and
the reminder pass sends one change notice per recipient per cause. The row
is created only when something actually moves, and the cause is forgotten
when the transaction ends (commit or rollback).

The first cause named in a transaction wins: a pack import that records
events, or an accepted proposal that records its event, stays one cause.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.db import db
from tracker.models import ChangeCause

KINDS = ("event", "pack", "rule", "proposal", "vendor", "other")
_PENDING = "change_cause_pending"
_CURRENT = "change_cause_id"


def begin(kind: str, title: str, *, event_id: int | None = None, actor=None,
          now: datetime | None = None) -> None:
    """Name the cause of the deadline changes this transaction is about to write.

    `title` is what the email subject starts with ("Chip Security Act
    enacted"); `actor` an audit Actor (or None for the system). Does nothing
    when the transaction already has a cause.
    """
    info = db.session.info
    if _PENDING in info or _CURRENT in info:
        return
    _install()
    info[_PENDING] = {"kind": kind if kind in KINDS else "other", "title": " ".join((title or "").split())[:500] or kind,
                      "event_id": event_id, "actor": getattr(actor, "label", "") or "",
                      "created_at": now or utcnow()}


def current_cause_id() -> int | None:
    """The id of this transaction's cause (creating its row on first use), or None when none was named."""
    info = db.session.info
    if _CURRENT in info:
        return info[_CURRENT]
    pending = info.pop(_PENDING, None)
    if pending is None:
        return None
    cause = ChangeCause(**pending)
    db.session.add(cause)
    db.session.flush()
    info[_CURRENT] = cause.id
    return cause.id


def _forget(session: Session, *args) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CURRENT, None)


def _install() -> None:
    if not event.contains(Session, "after_commit", _forget):
        event.listen(Session, "after_commit", _forget)
        event.listen(Session, "after_rollback", _forget)
