"""The deadline engine (pure): partial dates, calendars, rules, recurrence, wording.

`engine` holds partial dates, offsets, business calendars and due states;
`recurrence` the RRULE subset. Import from `tracker.deadlines`, which is the
engine's public API; nothing in this package imports Flask or the database.
"""

from tracker.deadlines.engine import (  # noqa: F401
    MAX_YEAR,
    MIN_YEAR,
    PRECISIONS,
    RULES,
    UNITS,
    Anchor,
    DeadlineRule,
    Due,
    DueState,
    EventStatus,
    PartialDate,
    add_offset,
    business_calendar_for,
    compute_due,
    due_date_note,
    due_wording,
    explain,
    is_working_day,
    parse_partial_date,
    partial_from,
    supported_calendar,
)
from tracker.deadlines.recurrence import next_occurrence, occurrences, occurrences_from, validate_rrule  # noqa: F401
