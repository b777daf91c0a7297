"""Recurring deadlines: a subset of RFC 5545 RRULE, computed with month-end clamping.

Accepted: FREQ=YEARLY|MONTHLY|WEEKLY, INTERVAL, COUNT, UNTIL=YYYYMMDD. Occurrence k
is ``first + k * interval`` units counted from the first date (not chained) and
clamped to the end of the month, so Jan 31 monthly gives Feb 28, Mar 31, Apr 30.
RFC 5545 would skip months without a 31st; silently skipping a compliance
deadline is worse than moving it to the last day of a short month. Pure: no
Flask, no database.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta


def _check_date(value: object, what: str) -> date:
    # datetime is a subclass of date but mixes badly with date arithmetic.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime.date, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class _Recurrence:
    freq: str
    interval: int
    count: int | None
    until: date | None

    def occurrences_from(self, first: date, day: date) -> Iterator[date]:
        """Occurrences in order, starting no later than the first one at or after ``day``."""
        # YEARLY is stepped as 12 months so that Feb 29 clamps like Jan 31 does.
        unit = "weeks" if self.freq == "WEEKLY" else "months"
        step = self.interval * (12 if self.freq == "YEARLY" else 1)
        if day <= first:
            k = 0
        elif unit == "weeks":
            k = (day - first).days // (7 * step)
        else:  # occurrence k falls in month (first.month + k*step), so this k is not past `day`
            k = ((day.year - first.year) * 12 + day.month - first.month) // step
        while self.count is None or k < self.count:
            try:
                # Always from `first`, never chained, so end-of-month clamping
                # in a short month does not drag later occurrences earlier.
                occurrence = first + relativedelta(**{unit: k * step})
            except (OverflowError, ValueError):  # past year 9999
                return
            if self.until is not None and occurrence > self.until:
                return
            yield occurrence
            k += 1


_FREQS = ("YEARLY", "MONTHLY", "WEEKLY")
_POSITIVE_RE = re.compile(r"[1-9]\d{0,5}", re.ASCII)


def _parse_rrule(text: str) -> _Recurrence:
    if not isinstance(text, str) or not text:
        raise ValueError("the recurrence rule is empty")
    body = text[6:] if text.upper().startswith("RRULE:") else text
    parts: dict[str, str] = {}
    for part in body.split(";"):
        name, sep, value = part.partition("=")
        name = name.upper()
        if not sep or not name or not value:
            raise ValueError(f"{part!r} is not a NAME=VALUE part of a recurrence rule")
        if name not in ("FREQ", "INTERVAL", "COUNT", "UNTIL"):
            raise ValueError(f"{name} is not supported; use only FREQ, INTERVAL, COUNT and UNTIL")
        if name in parts:
            raise ValueError(f"{name} appears more than once")
        parts[name] = value.upper()  # RFC 5545 values here are case-insensitive
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("FREQ is required (YEARLY, MONTHLY or WEEKLY)")
    if freq not in _FREQS:
        raise ValueError(f"FREQ={freq} is not supported; use YEARLY, MONTHLY or WEEKLY")
    for name in ("INTERVAL", "COUNT"):
        if name in parts and not _POSITIVE_RE.fullmatch(parts[name]):
            raise ValueError(f"{name} must be a whole number from 1 to 999999, not {parts[name]!r}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("use COUNT or UNTIL, not both")
    until = None
    if "UNTIL" in parts:
        raw = parts["UNTIL"]
        try:
            if not re.fullmatch(r"\d{8}", raw, re.ASCII):
                raise ValueError
            until = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            raise ValueError(f"UNTIL must be a date in YYYYMMDD form, not {raw!r}") from None
    return _Recurrence(freq, int(parts.get("INTERVAL", "1")),
                       int(parts["COUNT"]) if "COUNT" in parts else None, until)


def validate_rrule(text: str) -> str | None:
    """Return None when ``text`` is an acceptable RRULE, else a message naming the problem."""
    try:
        _parse_rrule(text)
    except ValueError as exc:
        return str(exc)
    return None


def next_occurrence(first: date, rrule: str, after: date | None) -> date | None:
    """The first occurrence strictly after ``after`` (``first`` itself when ``after``
    is None or before ``first``); None when the series has ended.  Raises
    ValueError when ``rrule`` is not acceptable.
    """
    _check_date(first, "first")
    series = _parse_rrule(rrule).occurrences_from(first, after or first)
    return next((d for d in series if after is None or d > after), None)


def occurrences_from(first: date, rrule: str, start: date) -> Iterator[date]:
    """The occurrences at or after ``start``, in order, lazily (COUNT, UNTIL and
    the year 9999 end it). Raises ValueError when ``rrule`` is not acceptable.
    """
    _check_date(first, "first")
    series = _parse_rrule(rrule).occurrences_from(first, start)
    return (d for d in series if d >= start)


def occurrences(first: date, rrule: str, *, start: date, end: date) -> list[date]:
    """All occurrences within ``[start, end]`` (inclusive), in order.

    Bounded by ``end``, COUNT, UNTIL and the date range, so it always ends.
    Raises ValueError when ``rrule`` is not acceptable.
    """
    _check_date(first, "first")
    series = _parse_rrule(rrule).occurrences_from(first, start)
    return [d for d in itertools.takewhile(lambda d: d <= end, series) if d >= start]
