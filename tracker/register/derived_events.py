"""Derived events: making an event's date follow another event, and changing how it follows.

The stored status and date columns of a derived event hold its resolved value
(see ``tracker.register.chains``); these services keep them, and every event and
deadline down the chain, in step in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import UNITS, DerivedEvent, supported_calendar
from tracker.deadlines.wording import offset_phrase as offset_phrase_for
from tracker.errors import ValidationFailed
from tracker.models import Event
from tracker.register.chains import EventMove, load_graph, node, plan_event_move, resolve, write_event_moves
from tracker.register.recompute import DueChange, apply_changes
from tracker.txn import owns_transaction

DERIVED_FIELDS = ("derived_from_event_id", "derived_offset", "derived_unit", "derived_calendar")
OFFSET_LIMITS = {"months": 120}  # days and business days: 3650, as for packs and deadlines


@dataclass(frozen=True)
class Derivation:
    """``offset`` ``unit`` after (negative: before) the event ``from_event_id``."""

    from_event_id: int | None
    offset: int = 0
    unit: str = "days"
    calendar: str | None = None


def check_derivation_input(derivation: Derivation, *, event_id: int | None = None) -> None:
    """Refuse a derivation that names no event, itself, a bad unit, offset or calendar."""
    errors = {}
    if derivation.from_event_id is None or db.session.get(Event, derivation.from_event_id) is None:
        errors["derived_from_event_id"] = "choose the event this date follows"
    elif derivation.from_event_id == event_id:
        errors["derived_from_event_id"] = "an event cannot derive from itself"
    if derivation.unit not in UNITS:
        errors["derived_unit"] = f"unknown unit '{derivation.unit}'"
    limit = OFFSET_LIMITS.get(derivation.unit, 3650)
    if isinstance(derivation.offset, bool) or not isinstance(derivation.offset, int):
        errors["derived_offset"] = "must be a whole number"
    elif not -limit <= derivation.offset <= limit:
        errors["derived_offset"] = f"must be between -{limit} and {limit}"
    if derivation.calendar:
        if derivation.unit != "business_days":
            errors["derived_calendar"] = "only used with unit 'business_days'"
        elif not supported_calendar(derivation.calendar):
            errors["derived_calendar"] = f"unknown holiday calendar '{derivation.calendar}'"
    if errors:
        raise ValidationFailed(errors)


def _spec(event: Event | None, derivation: Derivation, title: str, jurisdiction: str | None) -> DerivedEvent:
    return DerivedEvent(node(derivation.from_event_id), derivation.offset, derivation.unit,
                        derivation.calendar or None, jurisdiction, title)


def resolved_columns(derivation: Derivation, title: str, jurisdiction: str | None) -> dict:
    """The status and date columns a new event derived this way starts with."""
    graph = load_graph()
    graph["new"] = _spec(None, derivation, title, jurisdiction)
    resolved = resolve(graph, field_name="derived_from_event_id")["new"]
    columns = EventMove(0, "", title, None, resolved).columns()
    columns.pop("id")
    return columns


def derivation_phrase(event: Event) -> str:
    """``90 days after Chip Security Act enacted`` for a derived event, "" otherwise."""
    if not event.is_derived or event.derived_from is None:
        return ""
    return offset_phrase_for(event.derived_offset or 0, event.derived_unit or "days", event.derived_from.title,
                             event.derived_calendar or event.derived_from.source.jurisdiction or "US")


def _columns_of(derivation: Derivation | None) -> dict:
    if derivation is None:
        return dict.fromkeys(DERIVED_FIELDS)
    return {"derived_from_event_id": derivation.from_event_id, "derived_offset": derivation.offset,
            "derived_unit": derivation.unit, "derived_calendar": derivation.calendar or None}


@owns_transaction
def set_derivation(event: Event, derivation: Derivation | None, actor: Actor, now: datetime | None = None,
                   commit: bool = True) -> list[DueChange]:
    """Make ``event`` follow another event (or, with None, stand on its own date).

    Moves the event, every event derived from it and every deadline down the
    chain in one transaction, with history naming the chain. A cycle is
    refused. Turning a derivation off keeps the current date as the event's own.
    """
    now = now or utcnow()
    before = audit.snapshot(event, DERIVED_FIELDS)
    after = _columns_of(derivation)
    if before == {k: audit.jsonable(v) for k, v in after.items()}:
        return []
    if derivation is None:
        for name, value in after.items():
            setattr(event, name, value)
        event.updated_at = now
        audit.log(actor, "update", event, audit.diff(before, after), at=now)
        return []
    check_derivation_input(derivation, event_id=event.id)
    base = db.session.get(Event, derivation.from_event_id)
    phrase = offset_phrase_for(derivation.offset, derivation.unit, base.title,
                               derivation.calendar or base.source.jurisdiction or "US")
    spec = _spec(event, derivation, event.title, event.source.jurisdiction)
    graph = load_graph()
    try:
        plan = plan_event_move(event, spec, f"anchor event '{event.title}' now {phrase}",
                               f"{event.title} now {phrase}", graph=graph)
    except ValidationFailed as exc:
        raise ValidationFailed({"derived_from_event_id": next(iter(exc.errors.values()))}) from None
    own = EventMove(event.id, event.key, event.title, None, plan.resolved[node(event.id)]).columns()
    own.pop("id")
    for name, value in {**after, **own}.items():
        setattr(event, name, value)
    event.updated_at = now
    audit.log(actor, "update", event, audit.diff(before, {k: audit.jsonable(v) for k, v in after.items()}), at=now)
    db.session.flush()
    write_event_moves([m for m in plan.events if m.event_id != event.id], actor, now)
    apply_changes(plan.moves, f"anchor event '{event.title}' now {phrase}", actor, now)
    return plan.moves
