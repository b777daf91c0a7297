"""Sources and events: create, edit, delete, with the audit log and the conflicts users hit."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.register.events import EventDate
from tracker.models import AuditEntry, Event, Source
from tracker.register.events import create_event, delete_event
from tracker.register.sources import create_source, delete_source, update_source
from tests.factories import make_obligation


def test_source_is_created_and_audited(app):
    source = create_source(SYSTEM, key="eu-ai-act", title="EU AI Act", kind="agency_rule", jurisdiction="EU")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "source")).one()
    assert (entry.action, entry.entity_id, entry.changes["title"]) == ("create", source.id, [None, "EU AI Act"])


def test_bad_source_fields_are_refused_with_field_errors(app):
    with pytest.raises(ValidationFailed) as info:
        create_source(SYSTEM, key="bad key", title="Line\nbreak", kind="memo", jurisdiction="usa",
                      url="javascript:alert(1)")
    assert set(info.value.errors) == {"key", "title", "kind", "jurisdiction", "url"}
    assert db.session.scalar(sa.select(sa.func.count(Source.id))) == 0


def test_duplicate_source_key_is_a_conflict(app):
    create_source(SYSTEM, key="dup", title="One", kind="bill", jurisdiction="US")
    with pytest.raises(Conflict):
        create_source(SYSTEM, key="dup", title="Two", kind="bill", jurisdiction="US")


def test_update_records_only_changed_fields(app):
    source = create_source(SYSTEM, key="s", title="Old", kind="bill", jurisdiction="US")
    assert update_source(source, SYSTEM, title="New") is True
    assert update_source(source, SYSTEM, title="New") is False
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.changes == {"title": ["Old", "New"]}


def test_event_that_anchors_a_deadline_cannot_be_deleted(app):
    source = create_source(SYSTEM, key="s", title="S", kind="bill", jurisdiction="US")
    event = create_event(SYSTEM, EventDate("expected", date(2026, 9, 1), "month"), key="e", title="Enacted",
                         source_id=source.id)
    make_obligation(rule="relative", anchor=event, rule_offset=10)
    with pytest.raises(Conflict):
        delete_event(event, SYSTEM)
    with pytest.raises(Conflict):
        delete_source(source, SYSTEM)


def test_unused_event_and_then_its_source_can_be_deleted(app):
    source = create_source(SYSTEM, key="s", title="S", kind="bill", jurisdiction="US")
    event = create_event(SYSTEM, EventDate("occurred", date(2026, 3, 26)), key="e", title="Committee",
                         source_id=source.id)
    delete_event(event, SYSTEM)
    delete_source(source, SYSTEM)
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["create", "create", "delete", "delete"]


def test_event_needs_the_date_its_status_implies(app):
    source = create_source(SYSTEM, key="s", title="S", kind="bill", jurisdiction="US")
    with pytest.raises(ValidationFailed) as info:
        create_event(SYSTEM, EventDate("occurred", None), key="e", title="T", source_id=source.id)
    assert "date" in info.value.errors
