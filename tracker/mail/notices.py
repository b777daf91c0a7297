"""Work notices in email: "Assigned to you", "Mentions", "Evidence expired", one section each.

Assigning an obligation, mentioning someone in a comment and evidence that
expires write a WorkNotice (tracker.models.work) in the transaction of the
change. The reminder pass tells each person once:

- the grouping step (tracker.mail.grouping) claims a person's pending notices
  into the reminder email it makes for them in the pass ("due" group), in the
  same short transaction that stores the message, so the notices come as a
  section of that one email;
- what is left (people with no reminder in the pass, or who chose one email
  per deadline) goes out as one email of notices per person
  (tracker.work.mail.plan_work_mail).

A notice belongs to at most one message (`outbox_id`, set only `WHERE
outbox_id IS NULL`), so concurrent passes never tell anyone twice.

Notices follow the "change notices" preference (`email_changes`) wherever
they go: a person who turned change notices off gets none of them, also not
inside a reminder email, and the section carries its own "turn change
notices off" link (the message's List-Unsubscribe header stays that of the
reminders).
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import bindparam, select, update

from tracker.db import db
from tracker.mail.render import Rendered, message_id_for, subject_line, unsubscribe_url
from tracker.models import WorkNotice
from tracker.txn import in_chunks

KIND = "change"  # the preference (and unsubscribe link) notices follow
HEADINGS = {"assigned": "Assigned to you", "mentioned": "Mentions", "evidence_expired": "Evidence expired"}
OTHER_HEADING = "Other notices"

_NOTICES = WorkNotice.__table__
# Claim one notice for a message: counts only while no other message has it.
CLAIM = (update(_NOTICES).where(_NOTICES.c.id == bindparam("notice_id"), _NOTICES.c.outbox_id.is_(None))
         .values(outbox_id=bindparam("to_message")))


def wants_notices(user) -> bool:
    """Whether `user` is to be told of work notices at all (active, change notices on)."""
    return user is not None and bool(user.active) and bool(user.email_changes)


def joins_reminders(user) -> bool:
    """Whether `user`'s notices go into their reminder email (not for one email per deadline)."""
    return wants_notices(user) and not user.email_one_per_deadline


def pending_for(user_ids) -> dict[int, list[WorkNotice]]:
    """The notices without a message of each of `user_ids`, oldest first."""
    found: dict[int, list[WorkNotice]] = {}
    for chunk in in_chunks(sorted(set(user_ids))):
        for notice in db.session.scalars(select(WorkNotice).where(
                WorkNotice.recipient_id.in_(chunk), WorkNotice.outbox_id.is_(None)).order_by(WorkNotice.id)):
            found.setdefault(notice.recipient_id, []).append(notice)
    return found


def attached_to(message_ids) -> dict[int, list[WorkNotice]]:
    """The notices each message carries, by message id."""
    found: dict[int, list[WorkNotice]] = {}
    for chunk in in_chunks(sorted(set(message_ids))):
        for notice in db.session.scalars(select(WorkNotice).where(WorkNotice.outbox_id.in_(chunk))
                                         .order_by(WorkNotice.id)):
            found.setdefault(notice.outbox_id, []).append(notice)
    return found


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def summary(notices) -> str:
    """'2 obligations assigned to you and 1 mention': what a subject says of the notices."""
    counts: dict[str, int] = {}
    for notice in notices:
        kind = notice.kind if notice.kind in HEADINGS else "other"
        counts[kind] = counts.get(kind, 0) + 1
    words = {"assigned": lambda n: _plural(n, "obligation") + " assigned to you",
             "mentioned": lambda n: _plural(n, "mention"),
             "evidence_expired": lambda n: _plural(n, "obligation") + " reopened (evidence expired)",
             "other": lambda n: _plural(n, "other notice")}
    parts = [words[kind](counts[kind]) for kind in (*HEADINGS, "other") if kind in counts]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def context(notices, recipient) -> dict:
    """What the templates' notices section (emails/_notices.*) needs; empty without notices."""
    if not notices:
        return {"notice_sections": []}
    sections = {}
    for notice in notices:
        sections.setdefault(HEADINGS.get(notice.kind, OTHER_HEADING), []).append(notice)
    order = [*HEADINGS.values(), OTHER_HEADING]
    return {"notice_sections": [{"heading": heading, "notices": sections[heading]}
                                for heading in order if heading in sections],
            "notices_unsubscribe_url": unsubscribe_url(recipient, KIND)}


def render_alone(notices, recipient) -> Rendered:
    """An email of notices only (kind 'change'): the person had no reminder email in the pass."""
    values = context(notices, recipient)
    subject = notices[0].text if len(notices) == 1 else summary(notices)
    page = {"notices": notices, "recipient": recipient, "unsubscribe_url": values["notices_unsubscribe_url"],
            **values}
    return Rendered(subject=subject_line(subject), body_text=render_template("emails/work.txt", **page),
                    body_html=render_template("emails/work.html", **page), ics=None,
                    message_id=message_id_for("work"), unsubscribe_url=values["notices_unsubscribe_url"])
