"""Source and event use cases (the dates of events go through tracker.events)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import partial_from
from tracker.errors import Conflict, ValidationFailed
from tracker.events import EventDate, check_event_date
from tracker.models import SOURCE_KINDS, Event, Obligation, Source, obligation_events
from tracker.queries import require_unique
from tracker.text import check_line, check_text
from tracker.txn import owns_transaction

SOURCE_FIELDS = ("key", "title", "kind", "jurisdiction", "citation", "url", "summary")
EVENT_FIELDS = ("key", "source_id", "title", "description")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
JURISDICTION_PATTERN = re.compile(r"^(EU|[A-Z]{2}(-[A-Z0-9]{1,3})?)$")


def check_key(key: str) -> str | None:
    """A reason to refuse a stable identifier, or None."""
    if not key:
        return "this field is required"
    if not KEY_PATTERN.match(key):
        return "use letters, digits and . _ : - (at most 100, starting with a letter or digit)"
    return None


def _check_source(values: dict) -> None:
    errors = {}
    if problem := check_key(values["key"]):
        errors["key"] = problem
    for name, limit, required in (("title", 300, True), ("citation", 300, False), ("url", 2000, False)):
        if problem := check_line(values.get(name), limit, required):
            errors[name] = problem
    if problem := check_text(values.get("summary"), 10000):
        errors["summary"] = problem
    if values["kind"] not in SOURCE_KINDS:
        errors["kind"] = f"unknown kind '{values['kind']}'"
    if not JURISDICTION_PATTERN.match(values.get("jurisdiction") or ""):
        errors["jurisdiction"] = "use a code such as US, US-CA, EU or DE"
    url = values.get("url") or ""
    if url and not re.match(r"^https?://[^\s/]+", url):
        errors["url"] = "use an http:// or https:// address"
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_source(actor: Actor, now: datetime | None = None, commit: bool = True, **values) -> Source:
    """Add a source (bill, order, rule, case, program, announcement)."""
    values = {name: (values.get(name) or "").strip() if name != "summary" else values.get(name) or ""
              for name in SOURCE_FIELDS}
    values["kind"] = values["kind"] or "other"
    _check_source(values)
    require_unique(Source.key, values["key"], noun="a source")
    now = now or utcnow()
    source = Source(created_at=now, updated_at=now, **values)
    db.session.add(source)
    audit.log_created(actor, source, at=now)
    return source


@owns_transaction
def update_source(source: Source, actor: Actor, now: datetime | None = None, commit: bool = True,
                  **values) -> bool:
    """Edit a source's fields; True when anything changed."""
    merged = {name: values.get(name, getattr(source, name)) for name in SOURCE_FIELDS}
    _check_source(merged)
    require_unique(Source.key, merged["key"], noun="a source", except_id=source.id)
    changed = audit.update_fields(actor, source, merged, now)
    return changed


@owns_transaction
def delete_source(source: Source, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete a source that has no events left (delete or move its events first)."""
    if db.session.scalar(select(func.count(Event.id)).where(Event.source_id == source.id)):
        raise Conflict("this source still has events; delete or move them first")
    audit.log(actor, "delete", source, audit.diff(audit.snapshot(source, SOURCE_FIELDS), {}), at=now or utcnow())
    db.session.delete(source)


def _check_event(values: dict) -> None:
    errors = {}
    if problem := check_key(values["key"]):
        errors["key"] = problem
    if problem := check_line(values.get("title"), 300, required=True):
        errors["title"] = problem
    if problem := check_text(values.get("description"), 10000):
        errors["description"] = problem
    if values.get("source_id") is None or db.session.get(Source, values["source_id"]) is None:
        errors["source_id"] = "choose the source this event belongs to"
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_event(actor: Actor, when: EventDate, now: datetime | None = None, commit: bool = True,
                 **values) -> Event:
    """Add an event to a source with its status and (estimated) date."""
    values = {name: values.get(name) for name in EVENT_FIELDS}
    values["key"] = (values["key"] or "").strip()
    values["title"] = (values["title"] or "").strip()
    values["description"] = values["description"] or ""
    errors = {}
    try:
        _check_event(values)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        check_event_date(when)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    require_unique(Event.key, values["key"], noun="an event")
    now = now or utcnow()
    on = partial_from(when.on, when.precision).first if when.on else None
    event = Event(created_at=now, updated_at=now, status=when.status,
                  precision=when.precision if on else "day",
                  occurred_on=on if when.status == "occurred" else None,
                  expected_on=on if when.status in ("expected", "withdrawn") else None, **values)
    db.session.add(event)
    audit.log_created(actor, event, at=now)
    return event


@owns_transaction
def update_event(event: Event, actor: Actor, now: datetime | None = None, commit: bool = True,
                 **values) -> bool:
    """Edit an event's key, title, description or source (dates: tracker.events)."""
    merged = {name: values.get(name, getattr(event, name)) for name in EVENT_FIELDS}
    _check_event(merged)
    require_unique(Event.key, merged["key"], noun="an event", except_id=event.id)
    changed = audit.update_fields(actor, event, merged, now)
    return changed


def anchored_count(event: Event) -> int:
    """How many live obligations count their deadline from this event."""
    return db.session.scalar(select(func.count(Obligation.id)).where(
        Obligation.anchor_event_id == event.id, Obligation.deleted_at.is_(None))) or 0


@owns_transaction
def delete_event(event: Event, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete an event that anchors no obligation (its provenance links go with it)."""
    if anchored_count(event):
        raise Conflict("obligations count their deadline from this event; change them first")
    if db.session.scalar(select(func.count(Obligation.id)).where(Obligation.anchor_event_id == event.id)):
        raise Conflict("deleted obligations still refer to this event; it is kept for their history")
    now = now or utcnow()
    audit.log(actor, "delete", event, audit.diff(audit.snapshot(event, EVENT_FIELDS + ("status",)), {}), at=now)
    db.session.execute(obligation_events.delete().where(obligation_events.c.event_id == event.id))
    db.session.delete(event)
