"""Business calendars: working days of a jurisdiction, and offsets in days, business days, months.

Business days skip Saturdays, Sundays and the public holidays of a
jurisdiction, taken from the ``holidays`` package (``CC`` or ``CC-SUB``; ``EU``
maps to the ECB TARGET closing days). Pure: no Flask, no database.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import re
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

from tracker.deadlines.partial import UNITS, _check_date


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
