"""Making emails from outbox items: one per recipient and cause, or per send time.

The planner queues items (tracker.models.OutboxItem, one per obligation,
revision, kind, lead time and recipient). This step takes the items that
have no message yet and puts them into messages:

- change notices: one message per recipient per cause (the event recorded,
  the pack imported, the rule edited...), listing every deadline it moved;
- reminders and overdue notices: one message per recipient for everything
  due at this pass, most urgent first;
- a user who chose one email per deadline gets one message per item.

A recipient's pending work notices (assigned, mentioned, evidence expired;
tracker.mail.notices) join their reminder message of the pass as a section
of its own, claimed (`work_notices.outbox_id`) in the same store step.

Reading and rendering hold no lock. The store step is one short
transaction: it inserts the messages and assigns each item with
`UPDATE ... WHERE message_id IS NULL`, in item order. A message whose items
were taken meanwhile by a concurrent pass is removed again (its items stay
with the other message), so an item is never in two messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import selectinload

from tracker.db import db
from tracker.mail import notices as work_notices
from tracker.mail.queue import outbox_row
from tracker.mail.relevance import current_obligations, current_recipients, stale_reason, unwanted_reason
from tracker.mail.render import Rendered, message_id_for, subject_line, unsubscribe_url, with_also
from tracker.mail.render_groups import (
    ChangeLine, DueLine, changes_subject, deadlines_subject, due_order, keep_message_id, render_changes,
    render_deadlines,
)
from tracker.mail.timing import Policy
from tracker.models import (
    ChangeCause, DeadlineHistory, Obligation, OutboxItem, OutboxMessage, Team, User, WorkNotice,
)
from tracker.txn import begin_write, in_chunks, insert_ignoring

GROUP_BATCH = 100_000
# Messages of up to this many deadlines are built when planned (the outbox shows
# them at once); bigger ones are built when sent, so planning 40,000 items of one
# event stays a matter of seconds (see docs/email.md).
BUILD_WHEN_PLANNED = 25
# A concurrent pass may take some items first; what is left is grouped again, a few times at most.
ROUNDS = 4

ITEM_COLUMNS = (OutboxItem.id, OutboxItem.obligation_id, OutboxItem.team_id, OutboxItem.recipient_id,
                OutboxItem.kind, OutboxItem.revision, OutboxItem.lead_days, OutboxItem.cause_id,
                OutboxItem.history_id, OutboxItem.message_id)


@dataclass
class Group:
    """The items of one message to be."""

    recipient_id: int
    form: str                      # 'change' or 'due'
    cause_id: int | None = None
    items: list = field(default_factory=list)
    notices: list = field(default_factory=list)  # work notices joining a 'due' message


def group_key(item, user) -> tuple:
    """Which message an item goes into, for this recipient."""
    if user.email_one_per_deadline:
        return (item.recipient_id, "one", item.id)
    if item.kind == "change":
        cause = f"cause:{item.cause_id}" if item.cause_id is not None else f"history:{item.history_id}"
        return (item.recipient_id, "change", cause)
    return (item.recipient_id, "due")


class Content:
    """What rendering a set of items needs, read in a few queries for all of them."""

    def __init__(self, items: list):
        ids = sorted({item.obligation_id for item in items})
        self.obligations = {}
        for chunk in in_chunks(ids, 5000):
            self.obligations.update({ob.id: ob for ob in db.session.scalars(
                select(Obligation).where(Obligation.id.in_(chunk))
                .options(selectinload(Obligation.team), selectinload(Obligation.anchor_event)))})
        history_ids = sorted({item.history_id for item in items if item.history_id is not None})
        self.history = {}
        for chunk in in_chunks(history_ids, 5000):
            self.history.update({row.id: row for row in db.session.scalars(
                select(DeadlineHistory).where(DeadlineHistory.id.in_(chunk)))})
        cause_ids = {item.cause_id for item in items if item.cause_id is not None}
        self.causes = {cause.id: cause for cause in db.session.scalars(
            select(ChangeCause).where(ChangeCause.id.in_(cause_ids)))} if cause_ids else {}
        user_ids = {item.recipient_id for item in items if item.recipient_id is not None}
        self.users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        team_ids = {ob.team_id for ob in self.obligations.values()}
        self.policies = {team.id: Policy.of(team) for team in db.session.scalars(
            select(Team).where(Team.id.in_(team_ids)))} if team_ids else {}
        self.calendars: dict = {}

    def history_of(self, item) -> DeadlineHistory | None:
        if item.history_id is not None and item.history_id in self.history:
            return self.history[item.history_id]
        obligation = self.obligations[item.obligation_id]
        return next((row for row in obligation.history if row.revision == item.revision), None)

    def due_lines(self, items: list, now: datetime) -> list[DueLine]:
        lines = []
        for item in items:
            obligation = self.obligations[item.obligation_id]
            today = now.astimezone(self.policies[obligation.team_id].tz).date()
            lines.append(DueLine(item.kind, obligation, (obligation.due_date - today).days))
        return lines

    def subject(self, form: str, cause_id: int | None, items: list, now: datetime,
                notices=()) -> tuple[str, str]:
        """(message kind, subject) without rendering the bodies."""
        if form == "change":
            cause = self.causes.get(cause_id)
            return "change", changes_subject(cause.title if cause else None, len(items))
        lines = sorted(self.due_lines(items, now), key=due_order)
        also = work_notices.summary(notices) if notices else ""
        return lines[0].kind, with_also(deadlines_subject(lines), also)

    def render(self, form: str, cause_id: int | None, items: list, now: datetime,
               notices=()) -> tuple[str, Rendered]:
        """(message kind, email) of a group of items (and work notices) for their one recipient."""
        user = self.users[items[0].recipient_id]
        if form == "change":
            lines = [ChangeLine(self.obligations[item.obligation_id], self.history_of(item)) for item in items]
            lines = [line for line in lines if line.history is not None]
            cause = self.causes.get(cause_id)
            return "change", render_changes(cause.title if cause else None, lines, user, now, self.calendars)
        return render_deadlines(self.due_lines(items, now), user, now, self.calendars, notices)


def _pending() -> list:
    return db.session.execute(
        select(*ITEM_COLUMNS).where(OutboxItem.message_id.is_(None), OutboxItem.status == "queued")
        .order_by(OutboxItem.id).limit(GROUP_BATCH)).all()


def _sorted_out(items: list) -> tuple[list, list[tuple[int, str]]]:
    """(items still owed, [(item id, why not)]) as the obligations and recipients are now."""
    current = current_obligations(items)
    recipients = current_recipients(items)
    keep, left_out = [], []
    for item in items:
        reason = stale_reason(item, current) or unwanted_reason(item, current, recipients)
        if reason:
            left_out.append((item.id, reason))
        else:
            keep.append(item)
    return keep, left_out


def _groups(items: list, users: dict) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for item in items:
        key = group_key(item, users[item.recipient_id])
        group = groups.get(key)
        if group is None:
            form = "change" if item.kind == "change" else "due"
            group = groups[key] = Group(item.recipient_id, form, item.cause_id if form == "change" else None)
        group.items.append(item)
    return list(groups.values())


def _join_notices(groups: list[Group], users: dict) -> None:
    """Give each recipient's reminder message their pending work notices (not to one email per deadline)."""
    due = {group.recipient_id: group for group in groups
           if group.form == "due" and work_notices.joins_reminders(users[group.recipient_id])}
    for recipient_id, notices in work_notices.pending_for(list(due)).items():
        due[recipient_id].notices = notices


def _message_row(group: Group, kind: str, rendered: Rendered, user: User, now: datetime) -> dict:
    first = group.items[0]
    single = len(group.items) == 1
    teams = {item.team_id for item in group.items}
    key = f"items:{kind}:{min(item.id for item in group.items)}"
    return outbox_row(key, kind, rendered, user, now,
                      obligation_id=first.obligation_id if single else None,
                      team_id=teams.pop() if len(teams) == 1 else None,
                      revision=first.revision if single else None,
                      lead=first.lead_days if single else None,
                      build=len(group.items) <= BUILD_WHEN_PLANNED)


def _make(content: Content, group: Group, now: datetime) -> dict:
    """The outbox row of a group: built now when small, else only its subject (built when sent)."""
    user = content.users[group.recipient_id]
    if len(group.items) <= BUILD_WHEN_PLANNED:
        kind, rendered = content.render(group.form, group.cause_id, group.items, now, group.notices)
    else:
        kind, subject = content.subject(group.form, group.cause_id, group.items, now, group.notices)
        rendered = Rendered(subject=subject_line(subject), body_text="", body_html="", ics=None,
                            message_id=message_id_for(kind), unsubscribe_url=unsubscribe_url(user, kind))
    return _message_row(group, kind, rendered, user, now)


def _insert_messages(rows: list[dict]) -> dict[str, int]:
    """Insert messages (a key queued meanwhile is skipped); {dedupe key: id} of those that went in."""
    if not rows:
        return {}
    table = OutboxMessage.__table__
    statement = insert_ignoring(table, ["dedupe_key"])
    return {key: row_id for row_id, key in
            db.session.execute(statement.returning(table.c.id, table.c.dedupe_key), rows).all()}


_ITEMS = OutboxItem.__table__
_ASSIGN = (update(_ITEMS).where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.message_id.is_(None),
                                _ITEMS.c.status == "queued")
           .values(message_id=bindparam("to_message"), status=bindparam("to_status"), note=bindparam("to_note")))


def _counts(column, message_ids: list[int]) -> dict[int, int]:
    """How many rows (items or notices) each message holds now."""
    got: dict[int, int] = {}
    for chunk in in_chunks(message_ids):
        got.update(db.session.execute(select(column, func.count()).where(column.in_(chunk))
                                      .group_by(column)).all())
    return got


def _store(messages: list[tuple[dict, list[int], list[int]]],
           left_out: list[tuple[int, str]]) -> tuple[int, bool]:
    """One short transaction: insert the messages, claim their items and work notices; (messages kept, contended)."""
    begin_write()
    # In key order, like the items below: two passes inserting the same keys never deadlock.
    messages = sorted(messages, key=lambda message: message[0]["dedupe_key"])
    ids = _insert_messages([row for row, _, _ in messages])
    wanted: dict[int, tuple[int, int]] = {}
    updates = [{"item_id": item_id, "to_message": None, "to_status": "left_out", "to_note": note[:2000]}
               for item_id, note in left_out]
    claims = []
    for row, item_ids, notice_ids in messages:
        message_id = ids.get(row["dedupe_key"])
        if message_id is None:
            continue  # queued by a concurrent pass: its items are already taken
        wanted[message_id] = (len(item_ids), len(notice_ids))
        updates += [{"item_id": item_id, "to_message": message_id, "to_status": "queued", "to_note": ""}
                    for item_id in item_ids]
        claims += [{"notice_id": notice_id, "to_message": message_id} for notice_id in notice_ids]
    # In item order, so two passes lock items in the same order (no deadlock on PostgreSQL);
    # then the notices, in their order.
    updates.sort(key=lambda values: values["item_id"])
    if updates:
        db.session.execute(_ASSIGN, updates)
    claims.sort(key=lambda values: values["notice_id"])
    if claims:
        db.session.execute(work_notices.CLAIM, claims)
    items = _counts(OutboxItem.message_id, list(wanted))
    notices = _counts(WorkNotice.outbox_id, [message_id for message_id, (_, n) in wanted.items() if n])
    short = [message_id for message_id, (n_items, n_notices) in wanted.items()
             if items.get(message_id, 0) != n_items or notices.get(message_id, 0) != n_notices]
    for chunk in in_chunks(short):
        # Some of its items (or notices) went into a concurrent pass's message: give the rest back, drop this one.
        db.session.execute(update(OutboxItem).where(OutboxItem.message_id.in_(chunk))
                           .values(message_id=None).execution_options(synchronize_session=False))
        db.session.execute(update(WorkNotice).where(WorkNotice.outbox_id.in_(chunk))
                           .values(outbox_id=None).execution_options(synchronize_session=False))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(chunk))
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return len(wanted) - len(short), bool(short or len(ids) < len(messages))


def group_items(now: datetime) -> int:
    """Put every queued item without a message into messages; returns the messages added."""
    db.session.commit()
    added = 0
    for _ in range(ROUNDS):
        pending = _pending()
        if not pending:
            break
        items, left_out = _sorted_out(pending)
        content = Content(items)
        messages = []
        groups = _groups(items, content.users)
        _join_notices(groups, content.users)
        for group in groups:
            messages.append((_make(content, group, now), [item.id for item in group.items],
                             [notice.id for notice in group.notices]))
        db.session.commit()  # end the reading transaction before the short write
        kept, contended = _store(messages, left_out)
        added += kept
        if not contended and len(pending) < GROUP_BATCH:
            break
    return added


def rebuild(message, items: list, now: datetime, calendars: dict | None = None,
            notices: list | None = None) -> tuple[str, Rendered]:
    """The email of a queued message made (again) from `items`, the ones still owed; same Message-ID.

    `calendars` shares the .ics between the messages of one dispatch batch.
    `notices`: the work notices it still carries (default: those claimed for it,
    if its recipient still wants them); with no item left, an email of notices only.
    """
    if notices is None:
        notices = work_notices.attached_to([message.id]).get(message.id, [])
        if notices and not work_notices.wants_notices(db.session.get(User, message.recipient_id)):
            notices = []
    if not items:
        user = db.session.get(User, message.recipient_id)
        return work_notices.KIND, keep_message_id(work_notices.render_alone(notices, user), message.message_id)
    content = Content(items)
    if calendars is not None:
        content.calendars = calendars
    form = "change" if items[0].kind == "change" else "due"
    kind, rendered = content.render(form, items[0].cause_id if form == "change" else None, items, now,
                                    notices if form == "due" else ())
    return kind, keep_message_id(rendered, message.message_id)
