"""Jinja filters and globals: dates in ISO and relative form, due-state labels."""

from __future__ import annotations

from datetime import date

from flask import Flask

from tracker.register.estimates import lapsed_root_events
from tracker.clock import local_today
from tracker.deadlines import due_date_note, due_wording
from tracker import vocabulary
from tracker.vocabulary import DUE_STATE_LABELS, SOURCE_KIND_LABELS, STATUS_LABELS


def relative_days(day: date | None, today: date) -> str:
    """'today', 'in 12 days', '3 days overdue' style wording."""
    if day is None:
        return ""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if delta > 0:
        return f"in {delta} days"
    return f"{-delta} days ago"


def date_with_precision(day: date | None, precision: str = "day") -> str:
    """'2026-07-01' for day precision, 'July 2026' for a month window, etc."""
    if day is None:
        return "no date yet"
    return due_date_note(day, precision) or day.isoformat()


def due_note(ob) -> str:
    """The engine's qualifier of an obligation's due date ('July 2026', 'from a month estimate'), or ''."""
    return due_date_note(ob.due_date, ob.due_precision, ob.due_state) if ob.due_date else ""


def init_app(app: Flask) -> None:
    """Register filters and globals used by every template."""
    app.jinja_env.filters["relative_days"] = relative_days
    app.jinja_env.filters["with_precision"] = date_with_precision
    app.jinja_env.filters["due_wording"] = due_wording
    app.jinja_env.globals["due_note"] = due_note
    app.jinja_env.globals["stale_estimate_events"] = lapsed_root_events
    app.jinja_env.globals["DUE_STATE_LABELS"] = DUE_STATE_LABELS
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["SOURCE_KIND_LABELS"] = SOURCE_KIND_LABELS
    app.jinja_env.globals["local_today"] = local_today
    for name in ("DUE_STATE_MEANINGS", "EVENT_TYPE_LABELS", "CHANNEL_KIND_LABELS", "EVENT_STATUS_LABELS",
                 "REQUEST_STATUS_WORDS", "event_type_words", "role_words", "field_label", "format_value"):
        app.jinja_env.globals[name] = getattr(vocabulary, name)
    app.jinja_env.filters["event_type_words"] = vocabulary.event_type_words

