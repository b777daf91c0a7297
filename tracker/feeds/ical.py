"""iCalendar output: VEVENT fragments, whole feeds, single-event attachments.

A VEVENT is written by a narrow serializer of exactly the properties the
feeds emit (`vevent_bytes`): TEXT escaping per RFC 5545 section 3.3.11,
folding before 75 octets on UTF-8 character boundaries, CRLF. Its bytes are
those the icalendar library writes for the same values (same property order,
escapes and fold points; tests/unit/test_ical_serializer.py checks it with
random text of every Unicode plane), at a tenth of the cost: a cold render of
2,500 events spent ~80% of its time inside icalendar. The calendar header,
one per feed, is still built by icalendar. Feeds are assembled from
per-event fragments (bytes) so that an unchanged obligation is never
serialized twice; see tracker.feeds.render.
Every deadline is an all-day event: DTSTART;VALUE=DATE and an exclusive
DTEND the next day, built from the local calendar date, never from an instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, vDuration, vText

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


# Folding: icalendar ends a line before it would reach 75 octets (so at most 74 octets of
# content, plus the leading space on continuation lines), never inside a UTF-8 sequence, and
# never right after a backslash or caret (so an escape such as "\\," stays on one line).
FOLD_OCTETS = 74
_NO_FOLD_AFTER = (ord("\\"), ord("^"))


def escape_text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 section 3.3.11 (and icalendar) writes it.

    Backslash, semicolon and comma get a backslash; a line break (CRLF, LF or a
    lone CR) becomes the two characters "\\n". A literal "\\N" in the input
    is read as a line break first, as icalendar does.
    """
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: bytes) -> bytes:
    """One content line (UTF-8, without its CRLF) folded into physical lines of at most 75 octets."""
    if len(line) <= FOLD_OCTETS:
        return line
    parts, start, end = [], 0, len(line)
    while end - start > FOLD_OCTETS:
        cut = start + FOLD_OCTETS
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            cut -= 1
        if line[cut - 1] in _NO_FOLD_AFTER and cut - 1 > start:
            cut -= 1
        parts.append(line[start:cut])
        start = cut
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def _line(name: str, value: str) -> bytes:
    # icalendar decodes each serialized value as "utf-8-sig", which drops one leading U+FEFF.
    if value.startswith("\ufeff"):
        value = value[1:]
    return fold(f"{name}:{value}".encode())


def _text_line(name: str, value: str) -> bytes:
    return _line(name, escape_text(value))


def _utc_stamp(moment: datetime) -> str:
    """A UTC DATE-TIME, to the second: 20261129T120000Z."""
    if moment.tzinfo is None:
        raise ValueError("a VEVENT time must be timezone-aware")
    if moment.utcoffset():
        moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y%m%dT%H%M%S}Z"


def vevent_bytes(spec: VEventSpec) -> bytes:
    """One VEVENT, serialized, ending with CRLF.

    Properties in icalendar's order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID,
    SEQUENCE, then the rest alphabetically), so the bytes are the ones the
    icalendar library writes for the same values.
    """
    stamp = _utc_stamp(spec.stamp)
    end = spec.day + timedelta(days=1)
    lines = [b"BEGIN:VEVENT", _text_line("SUMMARY", spec.summary),
             f"DTSTART;VALUE=DATE:{spec.day:%Y%m%d}\r\nDTEND;VALUE=DATE:{end:%Y%m%d}\r\n"
             f"DTSTAMP:{stamp}".encode(),
             _text_line("UID", spec.uid), b"SEQUENCE:%d" % spec.sequence]
    if spec.categories:
        lines.append(_line("CATEGORIES", ",".join(escape_text(c) for c in spec.categories)))
    if spec.created is not None:
        lines.append(f"CREATED:{_utc_stamp(spec.created)}".encode())
    lines.append(_text_line("DESCRIPTION", spec.description))
    lines.append(f"LAST-MODIFIED:{stamp}".encode())
    lines.append(_text_line("STATUS", spec.status))
    # Deadlines do not block time: shown as free, never as busy.
    lines.append(b"TRANSP:TRANSPARENT")
    if spec.url:
        lines.append(_line("URL", spec.url))
    lines.append(b"END:VEVENT\r\n")
    return b"\r\n".join(lines)


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
