"""Rolling a deadline off a non-working day: ``following``, ``preceding`` or ``none``.

"If the last day falls on a weekend or holiday, the next working day": a rule
may carry ``roll``; when its computed day is not a working day of the rule's
holiday calendar (the same calendar choice as for business days), the day
moves to the next (``following``) or previous (``preceding``) working day.
"""

from __future__ import annotations

from datetime import date, timedelta

from tracker.deadlines.calendars import _make_holidays, _require_calendar, is_working_day

ROLLS: tuple[str, ...] = ("none", "following", "preceding")

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Holidays never close more than a handful of days in a row; a bound turns a
# broken calendar into an error instead of an endless walk.
_MAX_STEPS = 60


def check_roll(roll: str) -> str:
    """Return ``roll`` when it is one of ROLLS, else raise ValueError."""
    if roll not in ROLLS:
        raise ValueError(f"unknown roll {roll!r} (use none, following or preceding)")
    return roll


def roll_date(day: date, roll: str, calendar: str) -> date:
    """``day`` moved to the nearest working day of ``calendar`` in the ``roll`` direction.

    A working day, or ``roll == "none"``, returns ``day`` unchanged. Raises
    ValueError for an unknown roll or calendar, or when the walk would leave
    the representable date range.
    """
    check_roll(roll)
    _require_calendar(calendar)
    if roll == "none":
        return day
    step = timedelta(days=1 if roll == "following" else -1)
    current = day
    try:
        for _ in range(_MAX_STEPS):
            if is_working_day(current, calendar):
                return current
            current += step
    except OverflowError:
        pass
    raise ValueError(f"no working day within {_MAX_STEPS} days {'after' if roll == 'following' else 'before'} "
                     f"{day.isoformat()} in calendar {calendar}")


def closed_reason(day: date, calendar: str) -> str:
    """Why ``day`` is not a working day: ``a Sunday`` or ``a US holiday (Independence Day)``.

    Returns "" for a working day.
    """
    if is_working_day(day, calendar):
        return ""
    if day.weekday() >= 5:
        return f"a {_WEEKDAYS[day.weekday()]}"
    name = _make_holidays(calendar, range(day.year, day.year + 1)).get(day)
    where = "an ECB TARGET closing day" if calendar == "EU" else f"a {calendar} holiday"
    return f"{where} ({name})" if name else where


def roll_note(original: date, rolled: date, calendar: str) -> str:
    """The words for a roll: ``2026-07-05 is a Sunday: rolled to Monday 2026-07-06``.

    Returns "" when the day did not move.
    """
    if original == rolled:
        return ""
    return (f"{original.isoformat()} is {closed_reason(original, calendar)}: "
            f"rolled to {_WEEKDAYS[rolled.weekday()]} {rolled.isoformat()}")
