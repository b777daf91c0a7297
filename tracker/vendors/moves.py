"""Moving every vendor request of an obligation whose deadline moved, in bulk.

A vendor request's due date comes from its obligation's rule, so when the
recompute path moves an obligation (an anchor event recorded, a rule edited,
an occurrence completed), every request of that obligation moves with it in
the same transaction: revision + 1 and a history record each. Two statements
in all (an INSERT ... SELECT of the history rows and an UPDATE, each executed
once per moved obligation as one executemany), however many vendors there are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, Integer, String, Text, bindparam, select, update

from tracker.audit import Actor
from tracker.db import UTCDateTime, db
from tracker.models import VendorRequest, VendorRequestHistory
from tracker.models.register import PLAN_NOW

_requests = VendorRequest.__table__
_history = VendorRequestHistory.__table__

_HISTORY_FROM_REQUESTS = _history.insert().from_select(
    ["request_id", "revision", "changed_at", "actor_id", "old_due_date", "old_due_state",
     "new_due_date", "new_due_state", "reason"],
    select(_requests.c.id, _requests.c.revision + 1, bindparam("m_now", type_=UTCDateTime()),
           bindparam("m_actor", type_=Integer()), _requests.c.due_date, _requests.c.due_state,
           bindparam("m_date", type_=Date()), bindparam("m_state", type_=String(10)),
           bindparam("m_reason", type_=Text()))
    .where(_requests.c.obligation_id == bindparam("m_obligation")),
)

_MOVE_REQUESTS = (
    update(_requests)
    .where(_requests.c.obligation_id == bindparam("m_obligation"))
    .values(due_date=bindparam("m_date"), due_state=bindparam("m_state"),
            due_precision=bindparam("m_precision"), revision=_requests.c.revision + 1,
            due_changed_at=bindparam("m_now"), updated_at=bindparam("m_now"), next_reminder_at=PLAN_NOW)
)


def move_requests(changes: list, reason: str, actor: Actor, now: datetime) -> None:
    """Move the requests of every obligation in `changes` (recompute's DueChange list).

    The caller owns the transaction; `reason` is the recompute reason, to which
    each change's 'old -> new' summary is appended, as on the obligation.
    """
    if not changes:
        return
    params = [{"m_obligation": change.obligation_id, "m_now": now, "m_actor": actor.user_id,
               "m_date": change.new.date, "m_state": change.new.state, "m_precision": change.new.precision,
               "m_reason": f"{reason}: {change.summary()}"} for change in changes]
    connection = db.session.connection()
    connection.execute(_HISTORY_FROM_REQUESTS, params)
    connection.execute(_MOVE_REQUESTS, params)
    moved = {change.obligation_id for change in changes}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, VendorRequest) and obj.obligation_id in moved:
            db.session.expire(obj)
