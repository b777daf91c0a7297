"""Deadline arithmetic: partial dates, offsets, recurrence and due-date states.

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

import bisect
import calendar as _calendar
import datetime as _dt
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

# Re-exported: the recurrence rules are part of the deadline engine's public API.
from tracker.deadlines.recurrence import _parse_rrule, next_occurrence, occurrences, validate_rrule  # noqa: F401

PRECISIONS: tuple[str, ...] = ("day", "month", "quarter", "year")
RULES: tuple[str, ...] = ("fixed", "relative", "recurring")
UNITS: tuple[str, ...] = ("days", "business_days", "months")

MIN_YEAR = 1900
MAX_YEAR = 2200

# Months per window; 0 marks day precision.
_SPAN_MONTHS = {"day": 0, "month": 1, "quarter": 3, "year": 12}
# English names, fixed here because strftime/calendar.month_name follow the
# process locale and labels must not change with the server's settings.
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
                "August", "September", "October", "November", "December")


class DueState(enum.StrEnum):
    FIRM = "firm"
    PROJECTED = "projected"
    UNDATED = "undated"
    VOID = "void"


class EventStatus(enum.StrEnum):
    OCCURRED = "occurred"
    EXPECTED = "expected"
    SPECULATIVE = "speculative"
    WITHDRAWN = "withdrawn"


# ---- Partial dates ----

def _check_date(value: object, what: str) -> date:
    # datetime is a subclass of date but mixes badly with date arithmetic and
    # comparisons, so it is refused rather than silently truncated.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime.date, got {type(value).__name__}")
    return value


def _check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r} (use day, month, quarter or year)")
    return precision


def _window_start(day: date, precision: str) -> date:
    span = _SPAN_MONTHS[precision]
    return day if span == 0 else date(day.year, (day.month - 1) // span * span + 1, 1)


@dataclass(frozen=True)
class PartialDate:
    """A date known to day, month, quarter or year precision, stored as its window start."""
    first: date
    precision: str

    def __post_init__(self) -> None:
        _check_date(self.first, "first")
        _check_precision(self.precision)
        if _window_start(self.first, self.precision) != self.first:
            raise ValueError(f"{self.first.isoformat()} is not the first day of its "
                             f"{self.precision}; use partial_from() to normalise it")

    @property
    def last(self) -> date:
        """The last day of the window (equal to ``first`` for day precision)."""
        span = _SPAN_MONTHS[self.precision]
        if span == 0:
            return self.first
        year, month = self.first.year, self.first.month + span - 1
        return date(year, month, _calendar.monthrange(year, month)[1])

    def iso(self) -> str:
        """Storage form: ``2026-07-01``, ``2026-07``, ``2026-Q3`` or ``2026``."""
        d, p = self.first, self.precision
        if p == "day":
            return d.isoformat()
        return f"{d.year:04d}" + {"month": f"-{d.month:02d}", "quarter": f"-Q{(d.month + 2) // 3}",
                                  "year": ""}[p]

    def label(self) -> str:
        """Human form: ``2026-07-01``, ``July 2026``, ``Q3 2026`` or ``2026``."""
        d = self.first
        if self.precision == "month":
            return f"{_MONTH_NAMES[d.month - 1]} {d.year}"
        if self.precision == "quarter":
            return f"Q{(d.month + 2) // 3} {d.year}"
        return self.iso()


# re.ASCII makes \d match 0-9 only, so full-width or other Unicode digits fail.
_PARTIAL_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?|-Q(\d))?", re.ASCII)


def parse_partial_date(text: str, precision: str | None = None) -> PartialDate:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` into a PartialDate.

    Raises ValueError with a message fit for a user when the text is malformed
    or out of range (years 1900-2200), or when ``precision`` is given and does
    not match the form of the text.
    """
    if not isinstance(text, str):
        raise TypeError(f"date text must be a string, got {type(text).__name__}")
    if precision is not None:
        _check_precision(precision)
    invalid = ValueError(f"{text!r} is not a valid date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)")
    # fullmatch (not match + $) so a trailing newline is rejected too.
    m = _PARTIAL_RE.fullmatch(text)
    if m is None:
        raise invalid
    year_s, month_s, day_s, quarter_s = m.groups()
    year = int(year_s)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{text!r} is out of range: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    try:
        if quarter_s is not None:
            quarter = int(quarter_s)
            if not 1 <= quarter <= 4:
                raise invalid
            result = PartialDate(date(year, 3 * quarter - 2, 1), "quarter")
        elif day_s is not None:
            result = PartialDate(date(year, int(month_s), int(day_s)), "day")
        elif month_s is not None:
            result = PartialDate(date(year, int(month_s), 1), "month")
        else:
            result = PartialDate(date(year, 1, 1), "year")
    except ValueError:  # month 13, Feb 30, ...
        raise invalid from None
    if precision is not None and precision != result.precision:
        raise ValueError(f"precision {precision!r} does not match {text!r} ({result.precision})")
    return result


def due_date_note(day: date, precision: str) -> str:
    """How to qualify a due date that is less precise than a day, for people.

    A fixed imprecise date is the first day of its window, so it reads as the
    window ("July 2026"). A date counted from an imprecise estimate is not a
    window start, so calling it "February 2027" would mislead; it reads
    "from a month estimate" instead. Day precision needs no note ("").
    """
    if precision == "day":
        return ""
    window = partial_from(day, precision)
    if window.first == day:
        return window.label()
    return f"from a {precision} estimate"


def due_wording(day: date | None, precision: str = "day", day_text: Callable[[date], str] = date.isoformat) -> str:
    """A due date said for people, the one wording every page, feed, email and the API use.

    ``2026-07-01``; ``2026-07-01 (July 2026)`` for a fixed month; ``2027-02-28 (from a
    month estimate)`` for a date counted from an estimate (never "February 2027", which
    would say the whole month is meant); ``no date yet`` without a date. ``day_text``
    writes the day itself (emails say ``Sun 28 Feb 2027``).
    """
    if day is None:
        return "no date yet"
    note = due_date_note(day, precision)
    return f"{day_text(day)} ({note})" if note else day_text(day)


def partial_from(first: date, precision: str) -> PartialDate:
    """Build a PartialDate, moving ``first`` back to the start of its window."""
    _check_date(first, "first")
    return PartialDate(_window_start(first, _check_precision(precision)), precision)


# ---- Holiday calendars and offsets ----

_CALENDAR_RE = re.compile(r"([A-Z]{2})(?:-([A-Z0-9]{1,10}))?", re.ASCII)


def _make_holidays(code: str, years: range) -> holidays.HolidayBase:
    if code == "EU":
        return holidays.financial_holidays("XECB", years=years)
    m = _CALENDAR_RE.fullmatch(code)
    if m is None:
        raise NotImplementedError(code)
    return holidays.country_holidays(m.group(1), subdiv=m.group(2), years=years)


@lru_cache(maxsize=512)
def supported_calendar(code: str) -> bool:
    """True when ``code`` names a holiday calendar we can use (``US``, ``US-CA``, ``EU``, ...)."""
    if not isinstance(code, str):
        return False
    try:
        _make_holidays(code, range(2000, 2001))
    except (NotImplementedError, KeyError, ValueError):
        return False
    return True


def _require_calendar(code: str) -> str:
    if not supported_calendar(code):
        raise ValueError(f"unknown holiday calendar {code!r} (use e.g. US, US-CA, DE, GB or EU)")
    return code


@lru_cache(maxsize=4096)
def _closed_days(code: str, year: int) -> frozenset[date]:
    # Built from the neighbouring years too, because an observed holiday can
    # fall in the year before its own (US New Year's Day on a Saturday is
    # observed on Friday 31 December).  Frozensets make lookups cheap, which
    # the raw holidays objects (with their per-lookup year checks) are not.
    years = range(max(year - 1, 1), min(year + 1, 9999) + 1)
    return frozenset(d for d in _make_holidays(code, years) if d.year == year)


@lru_cache(maxsize=4096)
def _working_days(code: str, year: int) -> tuple[date, ...]:
    # A sorted list of a year's working days turns "step N working days" into
    # index arithmetic (bisect) instead of a day-by-day walk.
    closed, jan1 = _closed_days(code, year), date(year, 1, 1)
    days = (jan1 + timedelta(days=i) for i in range(366 if _calendar.isleap(year) else 365))
    return tuple(d for d in days if d.weekday() < 5 and d not in closed)


def is_working_day(day: date, calendar: str) -> bool:
    """True when ``day`` is neither a weekend nor a public holiday in ``calendar``."""
    _check_date(day, "day")
    _require_calendar(calendar)
    return day.weekday() < 5 and day not in _closed_days(calendar, day.year)


def _add_business_days(start: date, offset: int, code: str) -> date:
    year = start.year
    days = _working_days(code, year)
    if offset > 0:
        # Index of the Nth working day strictly after start, rolling into later years.
        index = bisect.bisect_right(days, start) + offset - 1
        while index >= len(days):
            index -= len(days)
            year += 1
            days = _working_days(code, year)
    else:
        # Index of the Nth working day strictly before start, rolling into earlier years.
        index = bisect.bisect_left(days, start) + offset
        while index < 0:
            year -= 1
            days = _working_days(code, year)
            index += len(days)
    return days[index]


def add_offset(start: date, offset: int, unit: str, calendar: str = "US") -> date:
    """Return ``start`` moved by ``offset`` units (negative means before).

    ``days`` are calendar days; ``months`` clamp to the end of the month
    (Jan 31 + 1 month = Feb 28/29); ``business_days`` skip weekends and
    ``calendar``'s holidays, counting from the day after (or before) ``start``.
    An offset of 0 returns ``start`` unchanged for every unit, even when it is
    not a working day.  ``calendar`` is only consulted for business days.
    Raises ValueError for an unknown unit or calendar, or a result outside
    the representable date range.
    """
    _check_date(start, "start")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"offset must be an int, got {type(offset).__name__}")
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} (use days, business_days or months)")
    if unit == "business_days":
        _require_calendar(calendar)
    if offset == 0:
        return start
    try:
        if unit == "months":
            return start + relativedelta(months=offset)
        by_days = start + timedelta(days=offset)
        # N business days reach at least as far as N calendar days, so this
        # check makes absurd offsets fail at once rather than year by year.
        return by_days if unit == "days" else _add_business_days(start, offset, calendar)
    except (OverflowError, ValueError):  # beyond date.min / date.max
        raise ValueError(f"{offset} {unit.replace('_', ' ')} from {start.isoformat()} "
                         "falls outside the supported date range") from None


# ---- Rules and due dates ----

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
