"""The deadline engine (pure): partial dates, calendars, rules, recurrence, wording.

`engine` holds partial dates, offsets, business calendars and due states;
`recurrence` the RRULE subset; `derived` derived events (chains of
offsets from other events), `expressions` earliest/latest and rolled rules,
`rolling` moving a day off weekends and holidays, `expression_json` the JSON
forms of both with path-named problems. Import from `tracker.deadlines`, which is the
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
from tracker.deadlines.derived import (  # noqa: F401
    DerivationCycleError,
    DerivationError,
    DerivedEvent,
    PlainEvent,
    ResolvedEvent,
    describe_chain,
    describe_moves,
    due_from_event,
    find_cycle,
    resolve_events,
)
from tracker.deadlines.expression_json import (  # noqa: F401
    ExpressionError,
    check_deadline,
    check_derivation,
    derivation_to_json,
    expression_to_json,
    parse_deadline,
    parse_derivation,
)
from tracker.deadlines.expressions import COMBINATIONS, Combined, Outcome, RuleExpr, combine_dues, evaluate  # noqa: F401
from tracker.deadlines.rolling import ROLLS, closed_reason, roll_date, roll_note  # noqa: F401
