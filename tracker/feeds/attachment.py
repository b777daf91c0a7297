"""The one-event calendar attached to reminder and change emails."""

from __future__ import annotations

from tracker.feeds.ical import calendar_bytes, calendar_header, vevent_bytes
from tracker.feeds.items import single_spec


def single_event_calendar(obligation, *, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR with `method` and the obligation's one VEVENT, for email.

    The VEVENT is the one the feeds show (same UID, SEQUENCE and text); for a
    recurring obligation, its current occurrence.
    """
    spec = single_spec(obligation)
    header = calendar_header(obligation.title, "", method=method)
    return calendar_bytes(header, [vevent_bytes(spec)] if spec else [])
