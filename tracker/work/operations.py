"""Changing who does the work and how urgent it is: one obligation or many, all or nothing.

Each use case owns its transaction and writes one audit row per obligation it
changes. A new owner gets a work notice (emailed with the others of that
person at the next pass, tracker.work.mail) and the team's channels that ask
for it get `obligation.assigned`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.audit import Actor
from tracker.clock import local_today, utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.register.evidence_rules import done_refusal
from tracker.models import AuditEntry, Obligation, User
from tracker.register.obligations import set_status
from tracker.txn import begin_write, owns_transaction
from tracker.work.notices import tell_new_owner
from tracker.register.owners import owner_problem, team_member_ids
from tracker.people import permissions
from tracker.work.policy import edit_refusal
from tracker.work.vocabulary import clean_tags, priority_problem

UNCHANGED = object()


@dataclass
class WorkChange:
    """What to change on each obligation; anything left as is stays."""

    owner_id: object = UNCHANGED          # a user id, None (nobody) or UNCHANGED
    priority: str | None = None
    status: str | None = None
    note: str = ""
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    set_tags: list[str] | None = None     # exactly these tags (the obligation's own panel)

    def is_empty(self) -> bool:
        return (self.owner_id is UNCHANGED and self.priority is None and self.status is None
                and not self.add_tags and not self.remove_tags and self.set_tags is None)


@dataclass(frozen=True)
class RefusedRow:
    obligation_id: int
    title: str
    reason: str
    field: str = "obligation"  # what the refusal is about, for a single obligation's field error


class BulkRefused(Exception):
    """Nothing changed: these rows may not be changed (or changed since they were shown)."""

    def __init__(self, rows: list[RefusedRow]):
        super().__init__("; ".join(f"{row.title}: {row.reason}" for row in rows))
        self.rows = rows


def row_version(obligation) -> str:
    """The version of an obligation a list was shown with: its revision and last change."""
    stamp = obligation.updated_at.strftime("%Y%m%d%H%M%S%f") if obligation.updated_at else "0"
    return f"{obligation.revision}.{stamp}"


def is_stale(obligation, shown) -> bool:
    """Whether `obligation` changed since it was shown: `shown` is its row_version, or the
    `updated_at` the API gave out (None: not checked)."""
    if not shown:
        return False
    if isinstance(shown, datetime):
        current = obligation.updated_at
        return current is None or abs((current - shown).total_seconds()) > 1e-6
    return shown != row_version(obligation)


def _checked(change: WorkChange) -> tuple[User | None, list[str], list[str], list[str] | None]:
    """The new owner (when one is named) and the cleaned tags; field errors otherwise."""
    errors: dict[str, str] = {}
    owner = None
    if change.owner_id is not UNCHANGED and change.owner_id is not None:
        owner = db.session.get(User, change.owner_id) if isinstance(change.owner_id, int) else None
        if owner is None:
            errors["owner"] = "unknown user"
    if change.priority is not None and priority_problem(change.priority):
        errors["priority"] = priority_problem(change.priority)
    add, problem = clean_tags(change.add_tags)
    if problem:
        errors["add_tags"] = problem
    remove, problem = clean_tags(change.remove_tags)
    if problem:
        errors["remove_tags"] = problem
    exact = None
    if change.set_tags is not None:
        exact, problem = clean_tags(change.set_tags)
        if problem:
            errors["tags"] = problem
    if change.status == "waived" and not (change.note or "").strip():
        errors["note"] = "say why these obligations are waived"
    if change.is_empty():
        errors["action"] = "choose what to change"
    if errors:
        raise ValidationFailed(errors)
    return owner, add, remove, exact


def _new_values(obligation: Obligation, change: WorkChange, add: list[str], remove: list[str],
                exact: list[str] | None) -> dict:
    values = {}
    if change.owner_id is not UNCHANGED and change.owner_id != obligation.owner_id:
        values["owner_id"] = change.owner_id
    if change.priority is not None and change.priority != obligation.priority:
        values["priority"] = change.priority
    if add or remove or exact is not None:
        tags = exact if exact is not None else sorted((set(obligation.tags or []) | set(add)) - set(remove))
        if tags != list(obligation.tags or []):
            values["tags"] = tags
    return values


@owns_transaction
def change_work(obligation: Obligation, change: WorkChange, user: User | None, actor: Actor,
                now: datetime | None = None, commit: bool = True) -> bool:
    """Change one obligation's owner, priority, tags or status; True when anything changed."""
    try:
        return bool(_apply([obligation], {}, change, user, actor, now or utcnow()))
    except BulkRefused as refused:
        raise ValidationFailed({refused.rows[0].field: refused.rows[0].reason}) from None


@owns_transaction
def bulk_change(selection: dict[int, str | None], change: WorkChange, user: User | None, actor: Actor,
                now: datetime | None = None, commit: bool = True) -> int:
    """Apply `change` to every obligation of `selection` ({id: version shown, or None}), or to none.

    A row the user may not edit, one changed since it was shown (its version),
    one missing, or an owner outside a row's team refuses the whole change
    (BulkRefused lists the rows and why). Returns how many obligations changed.
    """
    ids = sorted(selection)
    if commit:
        begin_write()  # SQLite: read the versions and write under one write lock (PostgreSQL: FOR UPDATE below)
    obligations = []
    for start in range(0, len(ids), 5000):
        obligations += db.session.scalars(select(Obligation).where(Obligation.id.in_(ids[start:start + 5000]))
                                          .options(joinedload(Obligation.team))
                                          .with_for_update(of=Obligation)).all()
    missing = set(ids) - {ob.id for ob in obligations}
    refused = [RefusedRow(i, f"#{i}", "it does not exist") for i in sorted(missing)]
    if refused:
        raise BulkRefused(refused)
    return _apply(sorted(obligations, key=lambda ob: ob.id), selection, change, user, actor, now or utcnow())


def _apply(obligations: list[Obligation], shown: dict[int, str | None], change: WorkChange, user: User | None,
           actor: Actor, now: datetime) -> int:
    owner, add, remove, exact = _checked(change)
    members = {team_id: team_member_ids(team_id) for team_id in {ob.team_id for ob in obligations}} if owner else {}
    refused = []
    may_edit_team = permissions.team_editor(user)  # the user's roles read once, not once a row
    for ob in obligations:
        reason, about = edit_refusal(user, ob, may_edit_team), "obligation"
        if reason is None and is_stale(ob, shown.get(ob.id)):
            reason = "it changed since the list was shown; reload and try again"
        if reason is None and owner is not None and owner.id != ob.owner_id:
            about = "owner"
            if not owner.active:
                reason = owner_problem(ob.team_id, owner)
            elif owner.id not in members[ob.team_id]:
                reason = f"{owner.email} is not a member of its team ({ob.team.name})"
        if reason is None and change.status == "done" and ob.status != "done":
            reason, about = done_refusal(ob, local_today(ob.team.timezone, now)), "status"
        if reason:
            refused.append(RefusedRow(ob.id, ob.title, reason, about))
    if refused:
        raise BulkRefused(refused)
    changed = 0
    if change.status is not None:
        for ob in obligations:  # the status use case: recurring completion, notes and its audit row
            before = (ob.status, ob.status_note, ob.completed_through)
            set_status(ob, change.status, actor, note=change.note, now=now, commit=False)
            changed += before != (ob.status, ob.status_note, ob.completed_through)
        return changed
    updates, entries, assigned = [], [], []
    for ob in obligations:
        values = _new_values(ob, change, add, remove, exact)
        if not values:
            continue
        before = audit.snapshot(ob, values)
        changes = audit.diff(before, {name: audit.jsonable(value) for name, value in values.items()})
        updates.append({"b_id": ob.id, **{name: values.get(name, getattr(ob, name))
                                          for name in ("owner_id", "priority", "tags")}})
        entries.append(audit.entry(actor, now, "update", "obligation", ob.id, changes, ob.key))
        if "owner_id" in values and values["owner_id"] is not None:
            assigned.append(ob)
    if not updates:
        return 0
    table = Obligation.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("b_id"))
                       .values(owner_id=bindparam("owner_id"), priority=bindparam("priority"),
                               tags=bindparam("tags"), updated_at=now),
                       updates, execution_options={"synchronize_session": False})
    db.session.execute(insert(AuditEntry), entries)
    if assigned:
        tell_new_owner(assigned, owner, actor, now)
    for ob in obligations:
        db.session.expire(ob)
    return len(updates)
