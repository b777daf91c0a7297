"""Reading a Retry-After header (RFC 9110 10.2.3): one rule for channels and regulator providers.

Pure: no Flask, no database. A receiver's or provider's header is remote
input, so a value like '²', 5,000 digits or a date in the past never raises.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from tracker.fields import whole_number


def retry_after(value: str | None, now: datetime, cap: timedelta) -> timedelta | None:
    """The wait the header asks for, at most `cap`; None when there is no readable value.

    delay-seconds or an HTTP date; a date already past is no wait at all.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = whole_number(value, int(cap.total_seconds()))
        return cap if seconds is None else timedelta(seconds=seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return min(max(when - now, timedelta(0)), cap)
