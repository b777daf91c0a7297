"""Emailing the work notices left over after grouping: one message of notices per person.

Assignments, mentions and expired evidence write a WorkNotice in the
transaction of the change. The reminder pass first joins a person's notices
into their reminder email of the pass (tracker.mail.grouping, see
tracker.mail.notices). This step takes the notices still without a message
(people with no reminder in the pass, or who chose one email per deadline),
groups them by recipient and queues one email each (kind 'change', so the
"change notices" preference and its unsubscribe link apply). The outbox row
and the claim of its notices commit together; a notice claimed by a
concurrent pass (its `outbox_id` set meanwhile) is skipped, so nobody is told
twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from tracker.db import db
from tracker.mail import notices as work_notices
from tracker.mail.queue import insert_new, outbox_row
from tracker.models import OutboxItem, OutboxMessage, User, WorkNotice
from tracker.txn import begin_write, in_chunks


def _being_grouped(user_ids: list[int]) -> set[int]:
    """Of `user_ids`, those with reminder items not yet in a message.

    A concurrent pass stored them and is about to group them (or died, and the
    next pass will): that grouping joins the notices into their reminder email.
    """
    found: set[int] = set()
    for chunk in in_chunks(user_ids):
        found.update(db.session.scalars(select(OutboxItem.recipient_id).distinct().where(
            OutboxItem.message_id.is_(None), OutboxItem.status == "queued",
            OutboxItem.kind.in_(("reminder", "overdue")), OutboxItem.recipient_id.in_(chunk))))
    return found


def plan_work_mail(now: datetime) -> int:
    """Queue one email per person with notices not yet emailed; returns the messages added."""
    db.session.commit()
    pending = list(db.session.scalars(select(WorkNotice).where(WorkNotice.outbox_id.is_(None))
                                      .order_by(WorkNotice.recipient_id, WorkNotice.id).limit(50_000)))
    if not pending:
        return 0
    by_user: dict[int, list[WorkNotice]] = {}
    for notice in pending:
        by_user.setdefault(notice.recipient_id, []).append(notice)
    for user_id in _being_grouped(list(by_user)):
        del by_user[user_id]  # their reminder email, grouped by a concurrent pass (or the next), takes them
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(by_user))))}
    added = 0
    for user_id, notices in by_user.items():
        user = users.get(user_id)
        ids = [n.id for n in notices]
        begin_write()
        if not work_notices.wants_notices(user):
            # Nobody to tell (or they turned change notices off): the notices are done with.
            db.session.execute(WorkNotice.__table__.delete().where(WorkNotice.id.in_(ids),
                                                                   WorkNotice.outbox_id.is_(None)))
            db.session.commit()
            continue
        key = f"work:{user_id}:{min(ids)}:{max(ids)}"
        row = outbox_row(key, work_notices.KIND, work_notices.render_alone(notices, user), user, now,
                         obligation_id=None, team_id=None)
        if not insert_new([row]):
            db.session.rollback()
            continue
        outbox_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
        claimed = db.session.execute(update(WorkNotice).where(WorkNotice.id.in_(ids), WorkNotice.outbox_id.is_(None))
                                     .values(outbox_id=outbox_id).execution_options(synchronize_session=False))
        if claimed.rowcount != len(ids):
            db.session.rollback()  # a concurrent pass took some of them: its message stands
            continue
        db.session.commit()
        added += 1
    return added
