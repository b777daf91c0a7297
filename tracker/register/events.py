"""Recording what happened to a source event, and moving every deadline it anchors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable

from sqlalchemy import func, select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import PRECISIONS, Anchor, EventStatus, PlainEvent, partial_from
from tracker.errors import Conflict, ValidationFailed
from tracker.models import Event, Obligation, Source, obligation_events
from tracker.register import causes
from tracker.register.chains import ChainPlan, plan_event_move, write_event_moves
from tracker.register.recompute import DueChange, apply_changes
from tracker.fields import LONG_TEXT_MAX, TITLE_MAX, check_key, check_line, check_text, line_value
from tracker.register.queries import event_date_values, require_unique
from tracker.txn import begin_write, owns_transaction

DATED_STATUSES = (EventStatus.OCCURRED, EventStatus.EXPECTED)
EVENT_DATE_FIELDS = ("status", "occurred_on", "expected_on", "precision")


@dataclass(frozen=True)
class EventDate:
    """What is now known about an event: its status and (first day of) its date."""

    status: str
    on: date | None = None
    precision: str = "day"


def check_event_date(change: EventDate) -> None:
    """Refuse a status without the date it needs (or with one it must not have)."""
    errors = {}
    if change.status not in {s.value for s in EventStatus}:
        errors["status"] = f"unknown status '{change.status}'"
    elif change.status in DATED_STATUSES and change.on is None:
        errors["date"] = f"an {change.status} event needs a date"
    elif change.status == EventStatus.SPECULATIVE and change.on is not None:
        errors["date"] = "a speculative event has no date; use expected with an estimate"
    if change.precision not in PRECISIONS:
        errors["precision"] = f"unknown precision '{change.precision}'"
    if errors:
        raise ValidationFailed(errors)


def _new_columns(event: Event, change: EventDate) -> dict:
    """The event's date columns after `change`."""
    on = partial_from(change.on, change.precision).first if change.on else None
    if change.status == EventStatus.OCCURRED:
        return {"status": change.status, "occurred_on": on, "expected_on": event.expected_on, "precision": change.precision}
    if change.status == EventStatus.EXPECTED:
        return {"status": change.status, "occurred_on": None, "expected_on": on, "precision": change.precision}
    if change.status == EventStatus.WITHDRAWN:
        # Keep the last estimate for the record unless a date was given.
        kept = on or event.expected_on or event.occurred_on
        return {"status": change.status, "occurred_on": None, "expected_on": kept,
                "precision": change.precision if on else event.precision}
    return {"status": change.status, "occurred_on": None, "expected_on": None, "precision": "day"}


def _change_words(name: str, event: Event, change: EventDate) -> str:
    """What happened to the event called `name`, in words."""
    label = partial_from(change.on, change.precision).label() if change.on else ""
    if change.status == EventStatus.OCCURRED:
        return f"{name} recorded as occurred on {label}"
    if change.status == EventStatus.EXPECTED:
        if event.status == EventStatus.EXPECTED:
            return f"estimate of {name} moved to {label}"
        return f"{name} now expected {label}"
    if change.status == EventStatus.WITHDRAWN:
        return f"{name} withdrawn"
    return f"{name} no longer has an expected date"


def reason_for(event: Event, change: EventDate) -> str:
    """Why the anchored deadlines moved: ``anchor event 'X' recorded as occurred on 2026-12-03``."""
    return _change_words(f"anchor event '{event.title}'", event, change)


def chain_reason_for(event: Event, change: EventDate) -> str:
    """The head of a chain's history reason: ``Chip Security Act enacted recorded as occurred on 2026-12-03``."""
    return _change_words(event.title, event, change)


def _anchor_after(event: Event, change: EventDate) -> Anchor:
    on = partial_from(change.on, change.precision).first if change.on else None
    return Anchor(
        status=change.status,
        on=on if change.status in DATED_STATUSES else None,
        precision=change.precision if on else "day",
        jurisdiction=event.source.jurisdiction,
    )


def _refuse_derived(event: Event) -> None:
    if event.is_derived:
        base = event.derived_from.title if event.derived_from is not None else "the event it derives from"
        raise ValidationFailed({"status": f"the date of '{event.title}' follows '{base}'; "
                                          f"record what happened to '{base}' instead"})


def plan_event_change(event: Event, change: EventDate) -> ChainPlan:
    """What recording `change` would move: derived events down the chain and every deadline; writes nothing."""
    check_event_date(change)
    _refuse_derived(event)
    anchor = _anchor_after(event, change)
    spec = PlainEvent(change.status, anchor.on, anchor.precision, event.source.jurisdiction, event.title)
    return plan_event_move(event, spec, reason_for(event, change), chain_reason_for(event, change))


def preview_event_change(event: Event, change: EventDate) -> list[DueChange]:
    """Every deadline that would move if `change` were recorded; writes nothing."""
    return plan_event_change(event, change).moves


def preview_fingerprint(event: Event, moves: list[DueChange]) -> str:
    """A digest of exactly what a preview showed: the event's date as it was, and every move.

    A confirmation carrying another digest was made against a register that
    has changed since (the event recorded by someone else, an obligation
    added, edited or moved), so what the user saw is not what would be written.
    """
    state = [getattr(event, name) for name in EVENT_DATE_FIELDS]
    text = repr((state, [(m.obligation_id, m.old_date, m.old_state, m.old_precision,
                          m.new.date, m.new.state, m.new.precision, m.revision) for m in moves]))
    return hashlib.sha256(text.encode()).hexdigest()


class StalePreview(Exception):
    """The confirmed preview no longer matches the register; `moves` is what would move now."""

    def __init__(self, event: Event, change: EventDate, moves: list[DueChange]):
        super().__init__("the deadlines changed since the preview")
        self.event = event
        self.change = change
        self.moves = moves
        self.fingerprint = preview_fingerprint(event, moves)


def lock_event(event_id: int) -> Event | None:
    """Start a write transaction holding the event row, and read the event as committed.

    PostgreSQL locks the row (SELECT ... FOR NO KEY UPDATE); SQLite takes the
    database write lock up front (BEGIN IMMEDIATE). A second writer waits here
    until the first has committed, then reads what it wrote. NO KEY: edits of
    the anchored obligations check their foreign key to the event (FOR KEY
    SHARE), and must not wait for the recording (or deadlock with it).
    """
    begin_write()
    return db.session.scalar(select(Event).where(Event.id == event_id).with_for_update(key_share=True)
                             .execution_options(populate_existing=True))


def record_event(
    event_id: int,
    change: EventDate,
    actor: Actor,
    *,
    preview: str | None = None,
    precondition: Callable[[Event], None] | None = None,
    now: datetime | None = None,
    reason: str | None = None,
    also: Callable[[Event, list[DueChange]], None] | None = None,
    permit: Callable[[list[DueChange]], None] | None = None,
) -> tuple[Event, list[DueChange]] | None:
    """Record what happened to an event as one locked step; None when there is no such event.

    Under the event's row lock: `precondition(event)` may refuse (the API's
    If-Match), the moves are computed once, compared with the `preview`
    fingerprint the user confirmed (StalePreview when they differ), and
    written with the event in one transaction that this call commits.
    `reason` names where the change came from (a watch: "Congress.gov: ...")
    ahead of the usual words; `also(event, moves)` writes what belongs to the
    same step (a proposal's decision) before the commit. `permit(moves)` may
    refuse the moves as computed under the lock (whose deadlines the user may
    move: tracker.people.permissions), before anything is written.
    """
    try:
        event = lock_event(event_id)
        if event is None:
            db.session.rollback()
            return None
        if precondition is not None:
            precondition(event)
        plan = plan_event_change(event, change)
        moves = plan.moves
        if permit is not None:  # whatever the user saw: they may not move these deadlines
            permit(moves)
        if preview is not None and preview != preview_fingerprint(event, moves):
            raise StalePreview(event, change, moves)
        if not _write_event_change(event, change, plan, actor, now or utcnow(), reason):
            moves = []
        if also is not None:
            also(event, moves)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event, moves


def _write_event_change(event: Event, change: EventDate, plan: ChainPlan, actor: Actor,
                        now: datetime, origin: str | None = None) -> bool:
    """Store the event's new date columns, the derived events and deadlines down its chains.

    `origin` (a watch: "Congress.gov: ...") goes ahead of every history reason.
    False (nothing written) when nothing changed.
    """
    columns = _new_columns(event, change)
    before = audit.snapshot(event, EVENT_DATE_FIELDS)
    after = {name: audit.jsonable(value) for name, value in columns.items()}
    if before == after:
        return False
    if plan.moves:
        causes.begin("proposal" if origin else "event", event.title, event_id=event.id, actor=actor, now=now)
    write_event_moves(plan.events, actor, now)
    reason = reason_for(event, change)
    moves = plan.moves
    if origin:
        reason = f"{origin} — {reason}"
        moves = [replace(move, reason=f"{origin} — {move.reason}") if move.reason else move for move in moves]
    apply_changes(moves, reason, actor, now)
    for name, value in columns.items():
        setattr(event, name, value)
    event.updated_at = now
    audit.log(actor, "update", event, audit.diff(before, after), at=now)
    return True


@owns_transaction
def record_event_change(
    event: Event,
    change: EventDate,
    actor: Actor,
    now: datetime | None = None,
    commit: bool = True,
) -> list[DueChange]:
    """Record an occurrence, a new estimate or a withdrawal, and move its deadlines.

    The event, every anchored obligation (new due date, revision + 1) and the
    history records are written in one transaction. Nothing is written when
    nothing moved. For callers that already hold the event's lock inside their
    own transaction (a pack import, an API PATCH); a user's confirmation goes
    through record_event.
    """
    check_event_date(change)
    if _new_columns(event, change) == {name: getattr(event, name) for name in EVENT_DATE_FIELDS}:
        return []
    plan = plan_event_change(event, change)
    _write_event_change(event, change, plan, actor, now or utcnow())
    return plan.moves


EVENT_FIELDS = ("key", "source_id", "title", "description")


def _check_event(values: dict) -> None:
    errors = {}
    if problem := check_key(values["key"]):
        errors["key"] = problem
    if problem := check_line(values.get("title"), TITLE_MAX, required=True):
        errors["title"] = problem
    if problem := check_text(values.get("description"), LONG_TEXT_MAX):
        errors["description"] = problem
    if values.get("source_id") is None or db.session.get(Source, values["source_id"]) is None:
        errors["source_id"] = "choose the source this event belongs to"
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_event(actor: Actor, when: EventDate | None, now: datetime | None = None, commit: bool = True,
                 derived=None, **values) -> Event:
    """Add an event to a source with its status and (estimated) date.

    With ``derived`` (a ``derived_events.Derivation``) the event's date follows
    another event and ``when`` is ignored.
    """
    from tracker.register.derived_events import check_derivation_input, resolved_columns
    values = {name: values.get(name) for name in EVENT_FIELDS}
    values["key"] = line_value(values["key"])
    values["title"] = line_value(values["title"])
    values["description"] = values["description"] or ""
    errors = {}
    try:
        _check_event(values)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        if derived is not None:
            check_derivation_input(derived)
        else:
            check_event_date(when or EventDate("speculative"))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    require_unique(Event.key, values["key"], noun="an event")
    now = now or utcnow()
    if derived is not None:
        source = db.session.get(Source, values["source_id"])
        columns = resolved_columns(derived, values["title"], source.jurisdiction)
        columns.update(derived_from_event_id=derived.from_event_id, derived_offset=derived.offset,
                       derived_unit=derived.unit, derived_calendar=derived.calendar or None)
    else:
        when = when or EventDate("speculative")
        on = partial_from(when.on, when.precision).first if when.on else None
        columns = {"status": when.status, "precision": when.precision if on else "day",
                   **event_date_values(when.status, on)}
    event = Event(created_at=now, updated_at=now, **columns, **values)
    db.session.add(event)
    audit.log_created(actor, event, at=now)
    return event


@owns_transaction
def update_event(event: Event, actor: Actor, now: datetime | None = None, commit: bool = True,
                 **values) -> bool:
    """Edit an event's key, title, description or source (dates: tracker.register.events)."""
    merged = {name: values.get(name, getattr(event, name)) for name in EVENT_FIELDS}
    _check_event(merged)
    require_unique(Event.key, merged["key"], noun="an event", except_id=event.id)
    changed = audit.update_fields(actor, event, merged, now)
    return changed


def anchored_count(event: Event) -> int:
    """How many live obligations count their deadline from this event (anchor or a combination's part)."""
    from tracker.register.chains import rows_reading
    return len(rows_reading([event.id]))


def derived_children(event: Event) -> list[Event]:
    """The events whose date derives directly from this one."""
    return list(db.session.scalars(select(Event).where(Event.derived_from_event_id == event.id).order_by(Event.id)))


@owns_transaction
def delete_event(event: Event, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete an event that anchors no obligation (its provenance links go with it)."""
    if anchored_count(event):
        raise Conflict("obligations count their deadline from this event; change them first")
    if children := derived_children(event):
        raise Conflict("events derive their date from this event (" + ", ".join(e.title for e in children)
                       + "); change them first")
    if db.session.scalar(select(func.count(Obligation.id)).where(Obligation.anchor_event_id == event.id)):
        raise Conflict("deleted obligations still refer to this event; it is kept for their history")
    now = now or utcnow()
    audit.log(actor, "delete", event, audit.diff(audit.snapshot(event, EVENT_FIELDS + ("status",)), {}), at=now)
    db.session.execute(obligation_events.delete().where(obligation_events.c.event_id == event.id))
    db.session.delete(event)
