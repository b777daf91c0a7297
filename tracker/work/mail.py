"""Emailing work notices: everything one person was told since the last pass, in one message.

Assignments (and mentions) write a WorkNotice in the transaction of the change.
The reminder pass takes the notices without a message, groups them by
recipient and queues one email each (kind 'change', so the "change notices"
preference and its unsubscribe link apply). The outbox row and the claim of its
notices commit together; a notice claimed by a concurrent pass (its
`outbox_id` set meanwhile) is skipped, so nobody is told twice.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from sqlalchemy import select, update

from tracker.db import db
from tracker.mail.message import one_line
from tracker.mail.queue import insert_new, outbox_row
from tracker.mail.render import Rendered, message_id_for, unsubscribe_url
from tracker.models import OutboxMessage, User, WorkNotice
from tracker.txn import begin_write

KIND = "change"


def _subject(notices: list[WorkNotice]) -> str:
    if len(notices) == 1:
        return notices[0].text
    assigned = sum(1 for n in notices if n.kind == "assigned")
    others = len(notices) - assigned
    parts = []
    if assigned:
        parts.append(f"{assigned} obligation{'s' if assigned != 1 else ''} assigned to you")
    if others:
        parts.append(f"{others} other notice{'s' if others != 1 else ''}")
    return " and ".join(parts)


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
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(by_user))))}
    added = 0
    for user_id, notices in by_user.items():
        user = users.get(user_id)
        ids = [n.id for n in notices]
        begin_write()
        if user is None or not user.active or not user.email_changes:
            # Nobody to tell (or they turned change notices off): the notices are done with.
            db.session.execute(WorkNotice.__table__.delete().where(WorkNotice.id.in_(ids)))
            db.session.commit()
            continue
        key = f"work:{user_id}:{min(ids)}:{max(ids)}"
        context = {"notices": notices, "recipient": user, "unsubscribe_url": unsubscribe_url(user, KIND)}
        rendered = Rendered(subject=one_line(_subject(notices))[:500],
                            body_text=render_template("emails/work.txt", **context),
                            body_html=render_template("emails/work.html", **context),
                            ics=None, message_id=message_id_for("work"), unsubscribe_url=context["unsubscribe_url"])
        row = outbox_row(key, KIND, rendered, user, now,
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
