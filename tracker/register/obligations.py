"""Obligation use cases: create, edit, change status, delete; each owns its transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from sqlalchemy import select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import local_today, utcnow
from tracker.db import db
from tracker.deadlines import (
    PRECISIONS,
    RULES,
    UNITS,
    DeadlineRule,
    ROLLS,
    Due,
    check_deadline,
    evaluate,
    next_occurrence,
    supported_calendar,
    validate_rrule,
)
from tracker.errors import ValidationFailed
from tracker.models import OBLIGATION_STATUSES, Event, Obligation, Team, User
from tracker.register.queries import require_unique
from tracker.register import causes
from tracker.register.chains import anchors_of, due_of, expression_of, node, resolved_graph, stored_parts_to_json
from tracker.register.recompute import DueChange, apply_changes, describe_due
from tracker.fields import LONG_TEXT_MAX, TITLE_MAX, check_key, check_line, check_text, line_value, text_value
from tracker.txn import owns_transaction
from tracker.register.evidence_rules import done_refusal
from tracker.register.owners import owner_problem
from tracker.work.vocabulary import DEFAULT_PRIORITY, clean_tags, priority_problem

AUDITED_FIELDS = (
    "key", "title", "description", "team_id", "owner_id", "rule", "rule_date",
    "rule_precision", "anchor_event_id", "rule_offset", "rule_unit", "rule_calendar",
    "rule_rrule", "rule_roll", "rule_combination", "rule_parts", "status", "status_note", "priority", "tags",
)


@dataclass
class ObligationInput:
    """Everything a user can set on an obligation (the computed fields excluded)."""

    key: str
    title: str
    team_id: int
    rule: str
    description: str = ""
    owner_id: int | None = None
    rule_date: date | None = None
    rule_precision: str = "day"
    anchor_event_id: int | None = None
    rule_offset: int = 0
    rule_unit: str = "days"
    rule_calendar: str | None = None
    rule_rrule: str | None = None
    event_ids: list[int] = field(default_factory=list)
    rule_roll: str = "none"
    # earliest / latest: the kind, and the parts in JSON form with `anchor` an event id.
    rule_combination: str | None = None
    rule_parts: list[dict] | None = None
    priority: str = DEFAULT_PRIORITY
    tags: list[str] = field(default_factory=list)

    def deadline_rule(self) -> DeadlineRule:
        return DeadlineRule(
            kind=self.rule, date=self.rule_date, precision=self.rule_precision,
            offset=self.rule_offset, unit=self.rule_unit, calendar=self.rule_calendar,
            rrule=self.rule_rrule,
        )


def validate_input(data: ObligationInput, kept_owner_id: int | None = None) -> None:
    """Refuse input that would store a broken obligation, naming each field.

    The text is first put in its stored form (one-line fields stripped, CR LF as LF),
    the form a pack export writes and an import reads back. A new owner must be a
    member of the team (`kept_owner_id`, the owner already stored, stays allowed).
    """
    errors: dict[str, str] = {}
    if data.rule_combination is not None:
        data.rule = "fixed"  # the storage placeholder of a combination (see models.register)
    data.key, data.title = line_value(data.key), line_value(data.title)
    data.description = text_value(data.description)
    for name, problem in (("key", check_key(data.key)),
                          ("title", check_line(data.title, TITLE_MAX, required=True)),
                          ("description", check_text(data.description, LONG_TEXT_MAX))):
        if problem:
            errors[name] = problem
    if db.session.get(Team, data.team_id) is None:
        errors["team_id"] = "unknown team"
    if data.owner_id is not None:
        owner = db.session.get(User, data.owner_id)
        if owner is None:
            errors["owner_id"] = "unknown user"
        elif data.owner_id != kept_owner_id and "team_id" not in errors:
            problem = owner_problem(data.team_id, owner)
            if problem:
                errors["owner_id"] = problem
    if priority_problem(data.priority):
        errors["priority"] = priority_problem(data.priority)
    data.tags, problem = clean_tags(data.tags)
    if problem:
        errors["tags"] = problem
    if data.rule_roll not in ROLLS:
        errors["rule_roll"] = f"unknown roll '{data.rule_roll}' (use none, following or preceding)"
    if data.rule_combination is not None:
        _check_combination(data, errors)
    elif data.rule not in RULES:
        errors["rule"] = f"unknown rule '{data.rule}'"
    elif data.rule in ("fixed", "recurring") and data.rule_date is None:
        errors["rule_date"] = "a date is required"
    elif data.rule == "relative":
        if data.anchor_event_id is None or db.session.get(Event, data.anchor_event_id) is None:
            errors["anchor_event_id"] = "choose the event this deadline counts from"
        if data.rule_unit not in UNITS:
            errors["rule_unit"] = f"unknown unit '{data.rule_unit}'"
        limit = 120 if data.rule_unit == "months" else 3650
        if not -limit <= data.rule_offset <= limit:
            errors["rule_offset"] = f"must be between -{limit} and {limit}"
    if data.rule_combination is None and data.rule_calendar and not supported_calendar(data.rule_calendar):
        errors["rule_calendar"] = f"unknown holiday calendar '{data.rule_calendar}'"
    if data.rule_precision not in PRECISIONS:
        errors["rule_precision"] = f"unknown precision '{data.rule_precision}'"
    if data.rule == "recurring":
        problem = validate_rrule(data.rule_rrule or "")
        if problem:
            errors["rule_rrule"] = problem
    for event_id in data.event_ids:
        if db.session.get(Event, event_id) is None:
            errors["event_ids"] = f"unknown event {event_id}"
    if not errors:
        _check_computable(data, errors)
    if errors:
        raise ValidationFailed(errors)


def _check_combination(data: ObligationInput, errors: dict[str, str]) -> None:
    """An earliest/latest rule: the engine's checker, anchors being event ids."""
    parts = data.rule_parts if isinstance(data.rule_parts, list) else []
    if not all(isinstance(p, dict) for p in parts):
        errors["rule_parts"] = "each part must be a rule object"
        return
    known = {node(i) for i in db.session.scalars(select(Event.id))}
    _, problems = check_deadline(stored_parts_to_json(data.rule_combination, parts, data.rule_roll,
                                                      data.rule_calendar), events=known)
    if problems:
        errors["rule_parts"] = "; ".join(problems)


def _check_computable(data: ObligationInput, errors: dict[str, str]) -> None:
    """Refuse a rule whose due date falls outside the supported range."""
    try:
        evaluate(expression_of(_Row(data)), resolved_graph())
    except (ValueError, ValidationFailed) as exc:
        field = "rule_parts" if data.rule_combination else "rule_offset" if data.rule == "relative" else "rule_date"
        message = "; ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else str(exc)
        errors[field] = f"no due date can be computed: {message}"


class _Row:
    """An ObligationInput read as an obligation row (for the expression functions)."""

    def __init__(self, data: ObligationInput) -> None:
        self.__dict__.update(vars(data))
        self.rule = "fixed" if data.rule_combination else data.rule
        self.completed_through = None


def due_for(obligation: Obligation) -> Due:
    """Compute an obligation's due date from its rule and the register's events (not stored)."""
    return due_of(obligation)


def _assign(obligation: Obligation, data: ObligationInput) -> None:
    for name in AUDITED_FIELDS:
        if hasattr(data, name) and name not in ("status", "status_note"):
            setattr(obligation, name, getattr(data, name))
    obligation.rule_roll = data.rule_roll or "none"
    obligation.rule_combination = data.rule_combination
    obligation.rule_parts = data.rule_parts if data.rule_combination else None
    if data.rule_combination:
        obligation.rule, obligation.rule_date, obligation.rule_precision = "fixed", None, "day"
        obligation.rule_offset, obligation.rule_unit = 0, "days"
    if data.rule != "relative" or data.rule_combination:
        obligation.anchor_event_id = None
        if obligation.rule_roll == "none" and not data.rule_combination:
            obligation.rule_calendar = None
    if data.rule != "recurring" or data.rule_combination:
        obligation.rule_rrule = None
    ids = set(data.event_ids)
    # The events a rule counts from are always part of the provenance.
    ids |= anchors_of(obligation)
    obligation.events = list(db.session.scalars(select(Event).where(Event.id.in_(ids)))) if ids else []


@owns_transaction
def create_obligation(data: ObligationInput, actor: Actor, now: datetime | None = None,
                      commit: bool = True) -> Obligation:
    """Add an obligation with its computed due date (revision 0)."""
    validate_input(data)
    require_unique(Obligation.key, data.key, noun="an obligation")
    now = now or utcnow()
    obligation = Obligation(created_at=now, updated_at=now, due_changed_at=now,
                            status_changed_at=now, status="open", revision=0)
    _assign(obligation, data)
    db.session.add(obligation)
    db.session.flush()
    db.session.refresh(obligation, ["anchor_event"])
    due = due_of(obligation)
    obligation.due_date, obligation.due_state, obligation.due_precision = due.date, due.state, due.precision
    audit.log_created(actor, obligation, at=now)
    _tell_owner(obligation, None, actor, now)
    return obligation


# Who hears, in the same transaction, that obligations got a new owner: the work domain's notices
# (email at the next pass, the team's channels), added by tracker.work.notices.install() from
# create_app. A list, not an import: the work domain stands above the register.
OwnerFollower = Callable[[list[Obligation], User, Actor, datetime], None]
_owner_followers: list[OwnerFollower] = []


def follow_new_owners(follower: OwnerFollower) -> None:
    """Have `follower(obligations, owner, actor, now)` called whenever obligations get a new owner (once)."""
    if follower not in _owner_followers:
        _owner_followers.append(follower)


def _tell_owner(obligation: Obligation, before: int | None, actor: Actor, now: datetime) -> None:
    """A new owner is told: every follower of new owners is called (see follow_new_owners)."""
    if obligation.owner_id is not None and obligation.owner_id != before:
        owner = db.session.get(User, obligation.owner_id)
        for follower in _owner_followers:
            follower([obligation], owner, actor, now)


@owns_transaction
def update_obligation(obligation: Obligation, data: ObligationInput, actor: Actor,
                      now: datetime | None = None, commit: bool = True) -> DueChange | None:
    """Edit an obligation; if its due date or state moves, bump revision and record why."""
    validate_input(data, kept_owner_id=obligation.owner_id)
    require_unique(Obligation.key, data.key, noun="an obligation", except_id=obligation.id)
    now = now or utcnow()
    before = audit.snapshot(obligation, AUDITED_FIELDS)
    before_events = sorted(e.key for e in obligation.events)
    _assign(obligation, data)
    db.session.flush()
    db.session.refresh(obligation, ["anchor_event"])
    after = audit.snapshot(obligation, AUDITED_FIELDS)
    after_events = sorted(e.key for e in obligation.events)
    changes = audit.diff(before, after)
    if before_events != after_events:
        changes["events"] = [before_events, after_events]
    if not changes:
        return None
    obligation.updated_at = now
    audit.log(actor, "update", obligation, changes, at=now)
    _tell_owner(obligation, before["owner_id"], actor, now)
    causes.begin("rule", f"{obligation.title}: deadline rule edited", actor=actor, now=now)
    move = _recompute_one(obligation, f"deadline rule edited by {actor.label}", actor, now)
    return move


def _recompute_one(obligation: Obligation, reason: str, actor: Actor, now: datetime) -> DueChange | None:
    due = due_of(obligation)
    if (due.date, due.state, due.precision) == (obligation.due_date, obligation.due_state, obligation.due_precision):
        return None
    move = DueChange(obligation.id, obligation.key, obligation.title, obligation.due_date, obligation.due_state,
                     obligation.due_precision, due, obligation.revision + 1)
    apply_changes([move], reason, actor, now)
    return move


@owns_transaction
def set_status(obligation: Obligation, status: str, actor: Actor, note: str = "",
               now: datetime | None = None, commit: bool = True) -> DueChange | None:
    """Move the team's work on an obligation: open, in progress, done, waived...

    Waiving needs a reason. Completing a recurring obligation completes the
    current occurrence and moves the obligation on to the next one (open again).
    """
    if status not in OBLIGATION_STATUSES:
        raise ValidationFailed({"status": f"unknown status '{status}'"})
    note = text_value(note).strip()
    problem = check_text(note, 2000)
    if problem:
        raise ValidationFailed({"note": problem})
    if status == "waived" and not note:
        raise ValidationFailed({"note": "say why this obligation is waived"})
    now = now or utcnow()
    if status == "done" and obligation.status != "done":
        problem = done_refusal(obligation, local_today(obligation.team.timezone, now))
        if problem:
            raise ValidationFailed({"status": problem})
    before = audit.snapshot(obligation, ("status", "status_note", "completed_through"))
    move = None
    if status == "done" and obligation.rule == "recurring" and obligation.due_date is not None:
        following = next_occurrence(obligation.rule_date, obligation.rule_rrule, obligation.due_date)
        obligation.completed_through = obligation.due_date
        if following is not None:
            status = "open"
            completed = obligation.due_date.isoformat()
            move = _recompute_one(obligation, f"occurrence {completed} completed by {actor.label}", actor, now)
    obligation.status = status
    obligation.status_note = note if status in ("waived", "not_applicable", "done") else ""
    after = audit.snapshot(obligation, ("status", "status_note", "completed_through"))
    changes = audit.diff(before, after)
    if not changes:
        return None
    obligation.status_changed_at = now
    obligation.updated_at = now
    audit.log(actor, "update", obligation, changes, at=now)
    return move


@owns_transaction
def delete_obligation(obligation: Obligation, actor: Actor, now: datetime | None = None,
                      commit: bool = True) -> None:
    """Soft-delete: history and audit stay; feeds show it cancelled for a while."""
    if obligation.deleted_at is not None:
        return
    now = now or utcnow()
    obligation.deleted_at = now
    obligation.updated_at = now
    audit.log(actor, "delete", obligation, {"deleted_at": [None, now.isoformat()]}, at=now)


def describe_current_due(obligation: Obligation) -> str:
    """'projected 2027-02-28', 'firm 2026-07-01 (July 2026)' for the stored due date."""
    return describe_due(obligation.due_date, obligation.due_state, obligation.due_precision)
