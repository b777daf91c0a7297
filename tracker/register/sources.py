"""Source and event use cases (the dates of events go through tracker.register.events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import partial_from
from tracker.errors import Conflict, ValidationFailed
from tracker.models import SOURCE_KINDS, Event, Obligation, Source, obligation_events
from tracker.register.queries import require_unique
from tracker.fields import (
    CITATION_MAX, LONG_TEXT_MAX, TITLE_MAX, check_jurisdiction, check_key, check_line, check_text, check_url, line_value,
    text_value,
)
from tracker.txn import owns_transaction

SOURCE_FIELDS = ("key", "title", "kind", "jurisdiction", "citation", "url", "summary")


def _cleaned(values: dict) -> dict:
    """Values as they are stored: one-line fields stripped, the summary's line ends as LF."""
    return {name: text_value(values.get(name)) if name == "summary" else line_value(values.get(name))
            for name in SOURCE_FIELDS}


def _check_source(values: dict) -> None:
    errors = {}
    if problem := check_key(values["key"]):
        errors["key"] = problem
    for name, limit, required in (("title", TITLE_MAX, True), ("citation", CITATION_MAX, False)):
        if problem := check_line(values.get(name), limit, required):
            errors[name] = problem
    if problem := check_text(values.get("summary"), LONG_TEXT_MAX):
        errors["summary"] = problem
    if values["kind"] not in SOURCE_KINDS:
        errors["kind"] = f"unknown kind '{values['kind']}'"
    if problem := check_jurisdiction(values.get("jurisdiction")):
        errors["jurisdiction"] = problem
    if problem := check_url(values.get("url")):
        errors["url"] = problem
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_source(actor: Actor, now: datetime | None = None, commit: bool = True, **values) -> Source:
    """Add a source (bill, order, rule, case, program, announcement)."""
    values = _cleaned(values)
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
    merged = _cleaned({name: values.get(name, getattr(source, name)) for name in SOURCE_FIELDS})
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
