"""The words on screen for stored codes, and the dashboard's ranking (pure: no Flask, no database)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from tracker.register.needs_action import ActionItem, Link, rank
from tracker.vocabulary import event_type_words, field_label, format_value, role_words


def test_codes_read_as_words():
    assert event_type_words("deadline.upcoming") == "Upcoming deadlines"
    assert event_type_words("vendor_request.submitted") == "Vendor submitted an answer"
    assert event_type_words("something.new_kind") == "Something: new kind"
    assert role_words("admin") == "Administrator"
    assert field_label("obligation_id") == "Obligation" and field_label("reminder_lead_days") == "Reminder lead days"


def test_audit_values_are_formatted_never_python_reprs():
    assert format_value({"markets": ["US-CA"]}) == "Markets: US-CA"
    assert format_value(None) == "—" and format_value([]) == "—"
    assert format_value(["a", "b"]) == "a, b" and format_value(True) == "yes"
    assert format_value(10, {10: "Collect California self-certifications"}) == "Collect California self-certifications"
    assert format_value(date(2026, 7, 1)) == "2026-07-01"
    assert format_value(datetime(2026, 12, 7, 9, 5, tzinfo=timezone.utc)) == "2026-12-07 09:05 UTC"
    assert format_value("in_progress") == "In progress"
    assert "{" not in format_value({"a": {"b": [1, 2]}}) and "[" not in format_value([[1], [2]])


def _item(kind: str, key: tuple, order=(0,), also=()) -> ActionItem:
    link = Link("x")
    return ActionItem(kind, key, order, f"{kind} {key}", link, "do it", "Do", link, also=also)


def test_rank_orders_by_urgency_then_date_and_lists_each_thing_once():
    items = [
        _item("due_soon", ("obligation", 1), (date(2026, 12, 20),)),
        _item("overdue", ("obligation", 2), (date(2026, 7, 1),)),
        _item("overdue", ("obligation", 3), (date(2026, 5, 20),)),
        _item("proposal", ("proposal", 1)),
        _item("stale", ("event", 7), (date(2026, 9, 30),), also=(("obligation", 4),)),
        _item("overdue", ("obligation", 4), (date(2026, 11, 27),)),  # stands under its stale event
        _item("review", ("request", 5)),
        _item("vendor_overdue", ("request", 5)),  # the same request: listed once, as the more urgent
    ]
    ranked, total = rank(items)
    assert [item.key for item in ranked] == [("obligation", 3), ("obligation", 2), ("event", 7), ("request", 5),
                                             ("proposal", 1), ("obligation", 1)]
    assert total == 6 and ranked[3].kind == "review"
    first, total = rank(items, limit=2)
    assert len(first) == 2 and total == 6
