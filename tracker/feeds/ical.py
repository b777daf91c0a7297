"""iCalendar output: VEVENT fragments, whole feeds, single-event attachments.

Serialization (escaping, 75-octet folding, CRLF) is done by the icalendar
library. Feeds are assembled from per-event fragments (bytes) so that an
unchanged obligation is never serialized twice; see tracker.feeds.render.
Every deadline is an all-day event: DTSTART;VALUE=DATE and an exclusive
DTEND the next day, built from the local calendar date, never from an instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vDuration, vText

PRODID = "-//Compliance Deadline Tracker//Calendar feeds 1.0//EN"
REFRESH = timedelta(hours=1)
END_CALENDAR = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class VEventSpec:
    """Plain values of one all-day VEVENT."""

    uid: str
    day: date
    summary: str
    description: str
    status: str  # TENTATIVE, CONFIRMED or CANCELLED
    sequence: int
    stamp: datetime  # the row's last change (UTC): DTSTAMP and LAST-MODIFIED
    created: datetime | None = None
    url: str | None = None
    categories: tuple[str, ...] = ()


def _utc_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def vevent_bytes(spec: VEventSpec) -> bytes:
    """One VEVENT, serialized, ending with CRLF."""
    event = Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", _utc_seconds(spec.stamp))
    event.add("last-modified", _utc_seconds(spec.stamp))
    if spec.created is not None:
        event.add("created", _utc_seconds(spec.created))
    event.add("dtstart", spec.day)
    event.add("dtend", spec.day + timedelta(days=1))
    event.add("summary", vText(spec.summary))
    event.add("description", vText(spec.description))
    if spec.url:
        event.add("url", spec.url)
    if spec.categories:
        event.add("categories", list(spec.categories))
    event.add("status", spec.status)
    event.add("sequence", spec.sequence)
    # Deadlines do not block time: shown as free, never as busy.
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


def calendar_header(name: str, description: str, method: str | None = None) -> bytes:
    """BEGIN:VCALENDAR and its properties (without the END line).

    Feeds carry no METHOD (RFC 5545 section 3.7.2: a subscription is not an
    iTIP message); email attachments pass METHOD:PUBLISH. icalendar 7 writes
    REFRESH-INTERVAL without its required VALUE=DURATION and a bare timedelta
    as '1:00:00', so both are given explicitly.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    if description:
        calendar.add("description", vText(description))
        calendar.add("x-wr-caldesc", vText(description))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    body = calendar.to_ical()
    assert body.endswith(END_CALENDAR)
    return body[: -len(END_CALENDAR)]


def calendar_bytes(header: bytes, fragments: list[bytes]) -> bytes:
    """A whole VCALENDAR from its header and serialized VEVENTs."""
    return b"".join([header, *fragments, END_CALENDAR])
