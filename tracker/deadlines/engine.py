"""Deadline rules and due states: compute_due and explain, over partial dates and calendars.

Partial dates live in ``tracker.deadlines.partial``, business calendars and
offsets in ``tracker.deadlines.calendars``; both are re-exported here.

Pure functions only: no Flask, no database, and no hidden clock -- anything
that depends on "today" takes it as a parameter.

Conventions worth knowing:

* An imprecise date (month, quarter or year precision) is read as the FIRST
  day of its window.  That is the conservative reading for a compliance
  deadline: it can only make a deadline earlier, never later.
* Business days skip Saturdays, Sundays and the public holidays of a
  jurisdiction, taken from the ``holidays`` package.  Codes are ``CC`` or
  ``CC-SUB`` (e.g. ``US``, ``US-CA``, ``DE``).  ``EU`` is special: the EU
  has no public holidays of its own, so it maps to the ECB TARGET closing
  days (``holidays.financial_holidays("XECB")``).  For years the package
  does not cover (currently after 2100) only weekends are skipped.
* Recurring deadlines use a subset of RFC 5545 RRULE (FREQ=YEARLY, MONTHLY
  or WEEKLY, INTERVAL, COUNT, UNTIL=YYYYMMDD).  Occurrence k is computed
  from the first date as ``first + k * interval`` units, clamped to the end
  of the month (Jan 31 monthly -> Feb 28, Mar 31, Apr 30, ...).  This
  deliberately differs from RFC 5545, which would skip months that have no
  31st: silently skipping a compliance deadline is worse than moving it to
  the last day of a short month.  Computing from the first date (rather than
  chaining) stops one short month from dragging later occurrences to the 28th.
  The recurrence rules live in ``tracker.deadlines.recurrence`` and are re-exported here.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from datetime import date

# Re-exported: the recurrence rules are part of the deadline engine's public API.
from tracker.deadlines.recurrence import _parse_rrule, next_occurrence, occurrences, validate_rrule  # noqa: F401

from tracker.deadlines.partial import (  # noqa: F401  (re-exported)
    PRECISIONS,
    RULES,
    UNITS,
    MIN_YEAR,
    MAX_YEAR,
    DueState,
    EventStatus,
    PartialDate,
    parse_partial_date,
    due_date_note,
    due_wording,
    partial_from,
    _check_date,
    _check_precision,
    _window_start,
    _SPAN_MONTHS,
    _MONTH_NAMES,
)
from tracker.deadlines.calendars import (  # noqa: F401  (re-exported)
    _add_business_days,
    _make_holidays,
    _require_calendar,
    add_offset,
    is_working_day,
    supported_calendar,
)


@dataclass(frozen=True)
class Anchor:
    """The event a relative deadline counts from."""
    status: str
    on: date | None
    precision: str = "day"
    jurisdiction: str | None = None


@dataclass(frozen=True)
class DeadlineRule:
    """How a deadline is computed: fixed date, offset from an anchor, or recurring."""
    kind: str
    # Annotated via the module because the field name shadows `date` inside the
    # class body, which would break typing.get_type_hints().
    date: _dt.date | None = None
    precision: str = "day"
    offset: int = 0
    unit: str = "days"
    calendar: str | None = None
    rrule: str | None = None


@dataclass(frozen=True)
class Due:
    """A computed due date with its state and precision."""
    date: _dt.date | None
    state: str
    precision: str = "day"


def business_calendar_for(rule: DeadlineRule, anchor: Anchor | None) -> str:
    """The holiday calendar for a rule: the rule's own, else the anchor's
    jurisdiction when it is a supported calendar, else ``US``.

    An explicit but unsupported ``rule.calendar`` is returned as is, so that
    the error surfaces instead of being silently replaced by ``US``.
    """
    if rule.calendar:
        return rule.calendar
    if anchor is not None and anchor.jurisdiction and supported_calendar(anchor.jurisdiction):
        return anchor.jurisdiction
    return "US"


def compute_due(rule: DeadlineRule, anchor: Anchor | None = None, *,
                completed_through: date | None = None) -> Due:
    """Compute the due date and state of ``rule``.

    fixed: the first day of the rule's window, firm.  relative: the anchor's
    (window-start) date plus the offset -- firm when the anchor occurred,
    projected when expected, with the anchor's precision carried; undated for
    a speculative anchor (or one without a date) and void for a withdrawn one.
    recurring: the first occurrence strictly after ``completed_through``
    (the first date when None), firm; ``Due(None, firm)`` once exhausted.
    Raises ValueError for an invalid rule or a relative rule without anchor.
    """
    if rule.kind == "fixed":
        if rule.date is None:
            raise ValueError("a fixed deadline needs a date")
        window = partial_from(rule.date, rule.precision)
        return Due(window.first, DueState.FIRM, window.precision)
    if rule.kind == "recurring":
        if rule.date is None or not rule.rrule:
            raise ValueError("a recurring deadline needs a first date and a recurrence rule")
        return Due(next_occurrence(rule.date, rule.rrule, completed_through), DueState.FIRM)
    if rule.kind != "relative":
        raise ValueError(f"unknown rule kind {rule.kind!r} (use fixed, relative or recurring)")
    if anchor is None:
        raise ValueError("a relative deadline needs an anchor event")
    try:
        status = EventStatus(anchor.status)
    except ValueError:
        raise ValueError(f"unknown event status {anchor.status!r}") from None
    if status is EventStatus.WITHDRAWN:
        return Due(None, DueState.VOID)
    # A speculative anchor has no date by definition; an occurred or expected
    # one without a date is incomplete data, and guessing would be worse.
    if status is EventStatus.SPECULATIVE or anchor.on is None:
        return Due(None, DueState.UNDATED)
    start = partial_from(anchor.on, anchor.precision)
    due = add_offset(start.first, rule.offset, rule.unit, business_calendar_for(rule, anchor))
    state = DueState.FIRM if status is EventStatus.OCCURRED else DueState.PROJECTED
    return Due(due, state, start.precision)


# ---- Explanations ----

_UNIT_WORDS = {"days": "day", "business_days": "business day", "months": "month"}
_FREQ_WORDS = {"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _describe_anchor(anchor: Anchor | None) -> str:
    if anchor is None:
        return ""
    if anchor.status == EventStatus.SPECULATIVE or anchor.on is None:
        return " (not yet dated)"
    if anchor.status == EventStatus.WITHDRAWN:
        return " (withdrawn)"
    when = partial_from(anchor.on, anchor.precision).label()
    return f" ({anchor.status} {when})"


def explain(rule: DeadlineRule, due: Due, *, anchor_title: str | None = None,
            anchor: Anchor | None = None) -> str:
    """A plain-English sentence saying how ``due`` follows from ``rule``."""
    if rule.kind == "fixed":
        if due.date is None:
            return f"Fixed date (no date set), {due.state}"
        window = partial_from(due.date, due.precision)
        if window.precision == "day":
            return f"Fixed date {window.iso()}, {due.state}"
        return (f"Fixed date {window.label()} (due {window.first.isoformat()}, "
                f"the first day of that window), {due.state}")
    if rule.kind == "recurring":
        first = rule.date.isoformat() if rule.date else "(no date)"
        try:
            rec = _parse_rrule(rule.rrule or "")
        except ValueError as exc:
            return f"Recurring from {first} with an invalid rule: {exc}"
        every = _FREQ_WORDS[rec.freq] if rec.interval == 1 else _plural(rec.interval, _FREQ_WORDS[rec.freq])
        limit = (f", {_plural(rec.count, 'time')}" if rec.count
                 else f", until {rec.until.isoformat()}" if rec.until else "")
        rule_text = (rule.rrule or "").upper().removeprefix("RRULE:")
        tail = f"next due {due.date.isoformat()}" if due.date else "no further occurrences"
        return f"Every {every} from {first}{limit} ({rule_text}); {tail}"

    title = anchor_title or "the anchor event"
    unit = _UNIT_WORDS.get(rule.unit, rule.unit)
    if rule.offset == 0:
        phrase = f"Same day as {title}"
    else:
        amount = _plural(abs(rule.offset), unit)
        if rule.unit == "business_days":
            code = business_calendar_for(rule, anchor)
            amount += " (EU: ECB TARGET closing days)" if code == "EU" else f" ({code} holidays)"
        phrase = f"{amount} {'after' if rule.offset > 0 else 'before'} {title}"
    if due.state == DueState.VOID:
        return f"{phrase} — void: {title} was withdrawn"
    if due.state == DueState.UNDATED or due.date is None:
        return f"{phrase}{_describe_anchor(anchor)} — undated until {title} gets a date"
    return f"{phrase}{_describe_anchor(anchor)} = {due.date.isoformat()}, {due.state}"
