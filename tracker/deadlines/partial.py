"""Partial dates (a day, month, quarter or year), due states, event statuses, and their wording.

An imprecise date is read as the FIRST day of its window: the conservative
reading for a compliance deadline. Pure: no Flask, no database.
"""

from __future__ import annotations

import calendar as _calendar
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta


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


def due_date_note(day: date, precision: str, state: str | None = None) -> str:
    """How to qualify a due date that is less precise than a day, for people.

    A fixed imprecise date is the first day of its window, so it reads as the
    window ("July 2026"). A date counted from an imprecise estimate is not a
    window, so calling it "February 2027" would mislead; it reads "from a month
    estimate" instead. A projected date (``state``) is always counted from an
    estimate, even when it lands on the first of a month (30 days after an
    enactment expected in September 2026 is 1 October, not "October 2026");
    otherwise a date on its window's first day is read as the window. Day
    precision needs no note ("").
    """
    if precision == "day":
        return ""
    window = partial_from(day, precision)
    if window.first == day and state != "projected":
        return window.label()
    return f"from a {precision} estimate"


def due_wording(day: date | None, precision: str = "day", day_text: Callable[[date], str] = date.isoformat,
                state: str | None = None) -> str:
    """A due date said for people, the one wording every page, feed, email and the API use.

    ``2026-07-01``; ``2026-07-01 (July 2026)`` for a fixed month; ``2027-02-28 (from a
    month estimate)`` for a date counted from an estimate (never "February 2027", which
    would say the whole month is meant); ``no date yet`` without a date. ``day_text``
    writes the day itself (emails say ``Sun 28 Feb 2027``); ``state`` is the due state,
    which tells a projected date from a window (see ``due_date_note``).
    """
    if day is None:
        return "no date yet"
    note = due_date_note(day, precision, state)
    return f"{day_text(day)} ({note})" if note else day_text(day)


def partial_from(first: date, precision: str) -> PartialDate:
    """Build a PartialDate, moving ``first`` back to the start of its window."""
    _check_date(first, "first")
    return PartialDate(_window_start(first, _check_precision(precision)), precision)


# ---- Holiday calendars and offsets ----
