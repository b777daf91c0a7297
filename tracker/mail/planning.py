"""Planning reminders from the database state into the outbox.

A pass asks the database which obligations have something due (the indexed
`next_reminder_at <= now`), works out what is due for each from its current
state, and inserts outbox rows whose unique `dedupe_key` makes a second insert
impossible. Whether the scheduler ran at any particular minute does not
matter: the same state gives the same rows.

No user-facing write waits for planning: a batch is claimed in a short
transaction, read and rendered while no lock on obligations is held, and
stored in two more short ones (the items, then the next send times) only for
the rows nobody changed in between (a concurrent edit wins; the row is
planned again from its new state). See _store for why nothing is lost or
queued twice.

Items (tracker.models.OutboxItem) are keyed (obligation, revision, kind,
lead time, recipient); tracker.mail.grouping then makes one message per
recipient and cause (change notices) or send time (reminders, overdue
notices). Digests are messages keyed (team, ISO week, recipient).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from tracker.db import UTCDateTime, db
from tracker.mail.grouping import group_items
from tracker.mail.render import PREFERENCE_OF_KIND
from tracker.models import DeadlineHistory, Obligation, OutboxItem, ReminderRun, Team, User, team_members
from tracker.models.register import ACTIVE_STATUSES, PLAN_NOW
from tracker.mail.timing import Due, Policy, due_now, next_send_after
from tracker.register.estimates import LapsedByDay
from tracker.txn import begin_write, insert_ignoring, is_sqlite

# What the timing rules need; obligations are loaded whole only when something is due.
SCHEDULE_COLUMNS = (Obligation.id, Obligation.team_id, Obligation.due_date, Obligation.due_state,
                    Obligation.status, Obligation.deleted_at, Obligation.revision, Obligation.due_changed_at,
                    # what the rule reads: whether it waits on a stale estimate (no overdue notice then)
                    Obligation.rule, Obligation.anchor_event_id, Obligation.rule_combination, Obligation.rule_parts)
# Change notices are planned for history rows this recent; an older change
# is not news (and a member who joins later is not told about it).
CHANGE_WINDOW = timedelta(days=14)
BATCH = 500
# How long a claimed batch is ours; a pass that dies leaves its batch due again after this.
CLAIM_LEASE = timedelta(minutes=10)


def deadline_key(kind: str, obligation_id: int, revision: int, lead: int, user_id: int) -> str:
    return f"{kind}:{obligation_id}:{revision}:{lead}:{user_id}"


def digest_key(team_id: int, week: str, user_id: int) -> str:
    return f"digest:{team_id}:{week}:{user_id}"


def members_by_team() -> dict[int, list[User]]:
    """Active members of every team, in one query."""
    rows = db.session.execute(
        select(team_members.c.team_id, User).join(User, User.id == team_members.c.user_id)
        .where(User.active.is_(True)).order_by(User.id))
    members: dict[int, list[User]] = defaultdict(list)
    for team_id, user in rows:
        members[team_id].append(user)
    return members


def wants(user: User, kind: str) -> bool:
    """Active and not opted out of this kind of email."""
    return bool(user.active and getattr(user, PREFERENCE_OF_KIND[kind]))


def recipients_of(obligation: Obligation, members: dict[int, list[User]]) -> list[User]:
    """Every active member of the obligation's team, and its owner."""
    people = list(members.get(obligation.team_id, []))
    owner = obligation.owner
    if owner is not None and owner.active and all(user.id != owner.id for user in people):
        people.append(owner)
    return people


def changes_since(now: datetime) -> datetime:
    """Where the change-notice window starts: 14 days back, or further after downtime.

    If no pass ran for longer than the window, the window reaches back to the
    last pass, so the changes made while nobody was planning are not lost.
    """
    window = now - CHANGE_WINDOW
    last = db.session.scalar(select(func.max(ReminderRun.started_at)).where(ReminderRun.started_at < now))
    return min(window, last) if last is not None else window


def _recent_changes(obligation_ids: list[int], since: datetime) -> dict[int, list]:
    """The history rows (id, obligation, revision, cause) since the window start, by obligation.

    Everything committed up to this read, however late, and not only up to
    the pass's `now`: a pass fixes its clock at its start, and an obligation
    changed while it runs (or a pass run with an earlier clock) would
    otherwise have its planning settled here without its change notice. The
    read sees every change made before the claim; a change made after it
    resets `next_reminder_at` to PLAN_NOW in its own transaction (after ours
    on PostgreSQL, which holds the rows FOR UPDATE; after the write lock on
    SQLite), so a later claim reads it. No change notice is lost, whatever
    the clock of the pass; the item key (revision) keeps it once.

    Plain rows, not ORM objects: they outlive the claim's commit without a reload each.
    """
    rows = db.session.execute(
        select(DeadlineHistory.id, DeadlineHistory.obligation_id, DeadlineHistory.revision,
               DeadlineHistory.cause_id).where(
            DeadlineHistory.obligation_id.in_(obligation_ids), DeadlineHistory.revision >= 1,
            DeadlineHistory.changed_at > since)
        .order_by(DeadlineHistory.revision))
    changes: dict[int, list] = defaultdict(list)
    for row in rows:
        changes[row.obligation_id].append(row)
    return changes


ITEM_COLUMNS = ("obligation_id", "revision", "kind", "lead_days", "recipient_id")


def _item(kind: str, obligation: Obligation, revision: int, lead: int, user: User, now: datetime,
          entry: DeadlineHistory | None = None) -> dict:
    return {"message_id": None, "obligation_id": obligation.id, "team_id": obligation.team_id,
            "recipient_id": user.id, "kind": kind, "revision": revision, "lead_days": lead,
            "cause_id": entry.cause_id if entry is not None else None,
            "history_id": entry.id if entry is not None else None,
            "status": "queued", "note": "", "created_at": now}


def _wanted(obligation: Obligation, due: Due | None, history: list[DeadlineHistory],
            people: list[User], now: datetime) -> list[dict]:
    """The outbox items owed for one obligation now (see OutboxItem for the key)."""
    wanted = []
    if due is not None:
        wanted += [_item(due.kind, obligation, obligation.revision, due.lead_days, user, now)
                   for user in people if wants(user, due.kind)]
    for entry in history:
        wanted += [_item("change", obligation, entry.revision, 0, user, now, entry)
                   for user in people if wants(user, "change")]
    return wanted


def insert_items(rows: list[dict]) -> int:
    """Insert outbox items, silently skipping keys that exist; returns how many went in."""
    if not rows:
        return 0
    table = OutboxItem.__table__
    statement = insert_ignoring(table, ITEM_COLUMNS)
    return len(db.session.execute(statement.returning(table.c.id), rows).all())


@dataclass(frozen=True)
class Owed:
    """One claimed obligation with something to send: the reminder due now (or None) and the
    changes of its deadline to tell (DeadlineHistory rows, empty for none)."""

    obligation_id: int
    due: Due | None
    history: list


def _items(work: list[Owed], policies: dict[int, Policy], now: datetime) -> dict[int, list[dict]]:
    """The outbox items of the obligations that have something due, by obligation.

    Runs outside any transaction that locks obligations: it only reads.
    Rendering happens later, once per message (tracker.mail.grouping).
    """
    members = members_by_team()
    obligations = {ob.id: ob for ob in db.session.scalars(
        select(Obligation).where(Obligation.id.in_([owed.obligation_id for owed in work]))
        .options(selectinload(Obligation.owner)))}
    items: dict[int, list[dict]] = defaultdict(list)
    for owed in work:
        obligation = obligations.get(owed.obligation_id)
        if obligation is None or obligation.team_id not in policies:
            continue  # removed or moved since the claim: the claim is lost, nothing is stored
        items[owed.obligation_id] = _wanted(obligation, owed.due, owed.history,
                                            recipients_of(obligation, members), now)
    return items


@dataclass
class Claim:
    """One batch after its claim: what to render, and the token of the rows that need it."""

    scanned: int                       # rows looked at (0: nothing left to plan)
    last_id: int
    token: datetime | None = None
    work: list[Owed] = field(default_factory=list)
    policies: dict = field(default_factory=dict)
    next_times: dict = field(default_factory=dict)  # of the claimed rows only


def _claim(now: datetime, since: datetime, last_id: int) -> Claim:
    """Look at the next batch of due obligations in a short transaction.

    The timing rules are cheap, so they run here: a row with nothing to send
    now gets its next send time at once. A row with messages to render is
    claimed instead: `next_reminder_at` moves a lease into the future (with a
    random sub-second part, so the value is this pass's token). Other planners
    skip it, and any edit of a timing input meanwhile (which resets the column
    to PLAN_NOW) is seen when the pass stores its results. A pass that dies
    after claiming leaves the rows to be planned again once the lease is over.
    """
    begin_write()
    query = (select(*SCHEDULE_COLUMNS)
             .where(Obligation.next_reminder_at <= now, Obligation.id > last_id)
             .order_by(Obligation.id).limit(BATCH))
    if not is_sqlite():
        # Rows being written right now (a user's edit, another planner's claim) are skipped,
        # never waited for; an edit leaves them due, so a later pass plans them.
        query = query.with_for_update(skip_locked=True, of=Obligation.__table__)
    rows = db.session.execute(query).all()
    if not rows:
        db.session.commit()
        return Claim(0, last_id)
    team_ids = {row.team_id for row in rows}
    policies = {team.id: Policy.of(team) for team in db.session.scalars(select(Team).where(Team.id.in_(team_ids)))}
    changes = _recent_changes([row.id for row in rows], since)
    claim = Claim(len(rows), rows[-1].id, policies=policies)
    lapsed = LapsedByDay({team_id: now.astimezone(policy.tz).date() for team_id, policy in policies.items()})
    settled = []
    for row in rows:
        policy = policies[row.team_id]
        due = due_now(row, policy, now, stale=row.due_state == "projected" and lapsed.of_team(row.team_id).covers(row))
        active = row.deleted_at is None and row.status in ACTIVE_STATUSES
        history = changes.get(row.id, []) if active else []
        next_at = next_send_after(row, policy, now)
        if due is not None or history:
            claim.work.append(Owed(row.id, due, history))
            claim.next_times[row.id] = next_at
        else:
            settled.append({"row_id": row.id, "next_at": next_at})
    table = Obligation.__table__
    if settled:
        db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                           .values(next_reminder_at=bindparam("next_at", type_=UTCDateTime)), settled)
    if claim.work:
        claim.token = now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(999_999) + 1)
        db.session.execute(update(table).where(table.c.id.in_(list(claim.next_times)))
                           .values(next_reminder_at=claim.token))
    db.session.commit()
    return claim


def _still_claimed(ids: list[int], token: datetime, exclusive: bool) -> set[int]:
    """Of `ids`, those still carrying our claim, locked until the commit.

    Rows a user is writing right now are skipped (not waited for): their edit
    wins and they are planned again. `exclusive=False` takes FOR KEY SHARE,
    which an ordinary edit (FOR NO KEY UPDATE) neither waits for nor blocks:
    only a row locked FOR UPDATE (a delete, a precondition lock) is skipped.
    """
    table = Obligation.__table__
    query = select(table.c.id).where(table.c.id.in_(ids), table.c.next_reminder_at == token)
    if not is_sqlite():
        query = query.with_for_update(skip_locked=True, read=not exclusive, key_share=not exclusive)
    return set(db.session.scalars(query))


def _store(token: datetime, items: dict[int, list[dict]], next_times: dict[int, datetime | None]) -> tuple[int, set[int]]:
    """Queue the items, then store the next times of the rows still ours: two short transactions.

    Returns how many items went in, and the ids kept. While the items are
    inserted the rows hold only KEY SHARE locks (as the items' foreign keys
    would take anyway), which a user's edit does not wait for; the second
    transaction locks the rows still claimed (skipping any a user is
    writing) just for one UPDATE.

    Why nothing is lost or doubled: the items of the rows that still carried
    the claim go in first, under their unique key (a second insert of a key is
    a no-op, so a pass that repeats this is harmless). A row whose claim is
    gone (an edit reset it to PLAN_NOW) gets nothing and is planned again. A
    row edited between the two transactions keeps its PLAN_NOW (the UPDATE
    requires our token) and is planned again: its items already queued are
    those of the state before the edit, exactly as if the edit had come just
    after the store; grouping and dispatch drop what went stale
    (tracker.mail.relevance). A pass that dies between the two leaves its rows
    claimed: after the lease they are planned again and the keys already in
    the outbox are skipped. So each key is queued at most once, and a row's
    next send time is stored only once its items are in.
    """
    begin_write()
    queued = _still_claimed(list(next_times), token, exclusive=False)
    added = insert_items([item for ob_id in sorted(queued) for item in items.get(ob_id, [])])
    db.session.commit()
    begin_write()
    kept = _still_claimed(sorted(queued), token, exclusive=True) if queued else set()
    if kept:
        table = Obligation.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("row_id"),
                                               table.c.next_reminder_at == bindparam("token", type_=UTCDateTime))
                           .values(next_reminder_at=bindparam("next_at", type_=UTCDateTime)),
                           [{"row_id": ob_id, "token": token, "next_at": next_times[ob_id]} for ob_id in sorted(kept)])
    db.session.commit()
    return added, kept


def _unclaim_skipped(ids: list[int], token: datetime) -> None:
    """Make rows skipped by the store step (a user was writing them) due at the next pass.

    An edit of a timing input has already replaced the token; but a write that
    rolled back, or changed only a title, leaves it, and the row would wait for
    the lease. One row per transaction: the planner may wait here for a user's
    write, holding nothing the user could wait for in turn.
    """
    table = Obligation.__table__
    for ob_id in ids:
        db.session.execute(update(table).where(table.c.id == ob_id, table.c.next_reminder_at == token)
                           .values(next_reminder_at=PLAN_NOW))
        db.session.commit()


def release_claim(model, ids: list[int], token: datetime) -> None:
    """Give back a planning claim after a failure, so the next pass plans the rows again: the rows of
    `model` (obligations, vendor requests) still carrying `token` in `next_reminder_at` are due now."""
    db.session.rollback()
    begin_write()
    table = model.__table__
    db.session.execute(update(table).where(table.c.id.in_(ids), table.c.next_reminder_at == token)
                       .values(next_reminder_at=PLAN_NOW))
    db.session.commit()


def _plan_claimed(claim: Claim, now: datetime) -> int:
    """Work out the claimed rows' items with no lock held, then store them (short transactions)."""
    items = _items(claim.work, claim.policies, now)
    db.session.commit()  # end the reading transaction; the store step is a short one of its own
    added, kept = _store(claim.token, items, claim.next_times)
    if not is_sqlite():  # (SQLite skips nothing: the store step holds the write lock)
        _unclaim_skipped([ob_id for ob_id in claim.next_times if ob_id not in kept], claim.token)
    return added


def plan_items(now: datetime) -> int:
    """Queue the items due for obligations whose next_reminder_at has come; returns items added.

    Batch by batch: claim (short transaction), read (no locks held), then
    store (short transaction). Messages are made from the items afterwards
    (tracker.mail.grouping), with no lock on obligations at all.
    """
    db.session.commit()
    anything = db.session.scalar(select(Obligation.id).where(Obligation.next_reminder_at <= now).limit(1))
    if anything is None:
        return 0  # the usual case: one index probe, no lock taken
    added, last_id = 0, 0
    since = changes_since(now)
    db.session.commit()
    while True:
        claim = _claim(now, since, last_id)
        if not claim.scanned:
            return added
        if claim.work:
            try:
                added += _plan_claimed(claim, now)
            except BaseException:
                try:
                    release_claim(Obligation, list(claim.next_times), claim.token)
                except Exception:  # the database itself failed: the lease runs out instead
                    current_app.logger.exception("could not give back a planning claim")
                raise
        last_id = claim.last_id


def plan_obligations(now: datetime) -> int:
    """Queue everything due for obligations whose next_reminder_at has come; returns messages added.

    Items first (per obligation, at most once per key), then one message per
    recipient and cause or send time (tracker.mail.grouping).
    """
    plan_items(now)
    return group_items(now)
