"""The one place the current time comes from, so tests can move it."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """Return today's calendar date in the IANA time zone `tz_name`.

    Overdue is judged against the team's own calendar date, never UTC's:
    at 20:00 in Los Angeles it is already tomorrow in UTC.
    """
    moment = now or utcnow()
    return moment.astimezone(ZoneInfo(tz_name)).date()
