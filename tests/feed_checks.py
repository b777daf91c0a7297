"""Checks every feed built in the tests goes through: three parsers and a byte lint."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import icalendar
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream


def lint(body: bytes) -> None:
    """RFC 5545 rules the parsers are lenient about, checked on the raw bytes."""
    assert not body.startswith(b"\xef\xbb\xbf"), "byte order mark"
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in body.replace(b"\r\n", b""), "bare CR"
    lines = body.split(b"\r\n")[:-1]
    for line in lines:
        assert len(line) <= 75, f"line of {len(line)} octets: {line[:40]!r}"
        line.decode("utf-8")  # every line (so every fold) is valid UTF-8 on its own
    unfolded = body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8")
    content = unfolded.split("\r\n")
    assert content[0] == "BEGIN:VCALENDAR" and content[-2] == "END:VCALENDAR"
    assert "METHOD" not in [c.split(":")[0].split(";")[0] for c in content]
    uids = [c[4:] for c in content if c.startswith("UID:")]
    assert len(uids) == len(set(uids)), "duplicate UID"
    defined = {c[5:] for c in content if c.startswith("TZID:")}
    for tzid in re.findall(r";TZID=([^;:]+)", unfolded):
        assert tzid in defined, f"TZID {tzid} without VTIMEZONE"
    for block in unfolded.replace("\r\n", "\n").split("BEGIN:VEVENT")[1:]:
        block = block.split("END:VEVENT")[0]
        start = re.search(r"^DTSTART(;[^:]*)?:(\S+)$", block, re.M)
        end = re.search(r"^DTEND(;[^:]*)?:(\S+)$", block, re.M)
        assert start and end
        assert end.group(2) > start.group(2), "DTEND not after DTSTART"
        if start.group(1) == ";VALUE=DATE":
            assert end.group(1) == ";VALUE=DATE"
        for stamp in re.findall(r"^(?:DTSTAMP|LAST-MODIFIED|CREATED):(\S+)$", block, re.M):
            assert stamp.endswith("Z"), "timestamps in UTC"
        for name in ("DTSTAMP", "UID", "SEQUENCE", "STATUS", "SUMMARY", "DESCRIPTION"):
            assert re.search(rf"^{name}[:;]", block, re.M), f"VEVENT without {name}"
        assert "BEGIN:VALARM" not in block


def parse_all(body: bytes) -> list[dict]:
    """Parse with vobject, ical and icalendar + recurring-ical-events; return the events.

    Each event is a dict of uid, start, end, summary, description, status,
    sequence, url, as read by icalendar; the other parsers must agree on the set
    of UIDs, the dates and the summaries.
    """
    lint(body)
    text = body.decode("utf-8")
    parsed_vobject = vobject.readOne(text, validate=True)
    vobject_events = {e.uid.value: e for e in getattr(parsed_vobject, "vevent_list", [])}
    parsed_ical = IcsCalendarStream.calendar_from_ics(text)
    ical_events = {e.uid: e for e in parsed_ical.events}
    calendar = icalendar.Calendar.from_ical(body)
    events = []
    for component in calendar.walk("VEVENT"):
        events.append({
            "uid": str(component["UID"]),
            "start": component.decoded("DTSTART"),
            "end": component.decoded("DTEND"),
            "summary": str(component["SUMMARY"]),
            "description": str(component["DESCRIPTION"]),
            "status": str(component["STATUS"]),
            "sequence": int(component["SEQUENCE"]),
            "url": str(component.get("URL", "")),
            "dtstamp": component.decoded("DTSTAMP"),
        })
    expanded = recurring_ical_events.of(calendar).between(date(1990, 1, 1), date(2100, 1, 1))
    assert sorted(str(e["UID"]) for e in expanded) == sorted(e["uid"] for e in events)
    assert set(vobject_events) == {e["uid"] for e in events} == set(ical_events)
    for event in events:
        assert vobject_events[event["uid"]].dtstart.value == event["start"]
        assert vobject_events[event["uid"]].summary.value == event["summary"]
        assert ical_events[event["uid"]].dtstart == event["start"]
        assert ical_events[event["uid"]].summary == event["summary"]
        assert ical_events[event["uid"]].description == event["description"]
        assert type(event["start"]) is date and event["end"] == event["start"] + timedelta(days=1)
        assert isinstance(event["dtstamp"], datetime)
    return events


def by_uid(events: list[dict]) -> dict[str, dict]:
    return {event["uid"]: event for event in events}


def calendar_property(body: bytes, name: str) -> str | None:
    """The raw (unfolded) value line of a VCALENDAR property, e.g. 'REFRESH-INTERVAL;VALUE=DURATION:PT1H'."""
    unfolded = body.replace(b"\r\n ", b"").decode("utf-8")
    header = unfolded.split("BEGIN:VEVENT")[0]
    for line in header.split("\r\n"):
        if line.split(":")[0].split(";")[0] == name:
            return line
    return None


def fetch_feed(client, owner, *, query: str = "", headers: dict | None = None):
    """GET the feed of a team or user (token created if needed) through the real route."""
    from tracker.audit import SYSTEM
    from tracker.feeds import tokens

    url = tokens.feed_url(tokens.ensure_token(owner, SYSTEM))
    return client.get("/" + url.split("/", 3)[3] + query, headers=headers or {})


def feed_events(client, owner, query: str = "") -> list[dict]:
    """The parsed events of a feed (after all parser checks)."""
    response = fetch_feed(client, owner, query=query)
    assert response.status_code == 200
    return parse_all(response.data)
