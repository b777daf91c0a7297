"""The narrow VEVENT serializer writes what the icalendar library wrote, and parsers read it the same.

The reference is the icalendar-based `vevent_bytes` the feeds used before (kept here verbatim).
Random titles, descriptions, dates, sequences and statuses, with text from every Unicode plane,
control characters and lines long enough to fold many times: the new bytes must equal the old
ones, pass the feed lint, and icalendar, vobject and `ical` must read the new calendar exactly as
they read the old one (same values, or the same refusal).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import icalendar
import vobject
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Event, vText

from tests.feed_checks import lint
from tracker.feeds.ical import VEventSpec, calendar_bytes, calendar_header, escape_text, fold, vevent_bytes


def icalendar_vevent_bytes(spec: VEventSpec) -> bytes:
    """The serializer the feeds used until issue 29: the icalendar library."""
    event = Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", spec.stamp.replace(microsecond=0))
    event.add("last-modified", spec.stamp.replace(microsecond=0))
    if spec.created is not None:
        event.add("created", spec.created.replace(microsecond=0))
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
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


# Every plane: the Basic Multilingual Plane, the supplementary planes 1-3 and 14-16 (private use),
# plus the characters that matter to escaping and folding, and the C0/C1 controls and DEL.
SPECIAL = st.sampled_from(["\\", ";", ",", ":", '"', "^", "\n", "\r", "\r\n", "\\N", "\\n", "\t", " ",
                           "\x00", "\x01", "\x0b", "\x1f", "\x7f", "\x85", "\u2028", "\ufeff", "é", "€", "𝄞"])
PLANES = st.one_of(*[st.characters(min_codepoint=low, max_codepoint=high, exclude_categories=("Cs",))
                     for low, high in [(0, 0x7F), (0x80, 0xFFFF), (0x10000, 0x3FFFF), (0xE0000, 0x10FFFF)]])
TEXT = st.lists(st.one_of(PLANES, SPECIAL, st.text(alphabet="ab ", min_size=60, max_size=80)),
                max_size=40).map("".join)
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31),
                       timezones=st.just(timezone.utc))
SPECS = st.builds(
    VEventSpec,
    uid=st.integers(1, 10**9).map(lambda n: f"obligation-{n}@deadline-tracker"),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 30)),
    summary=TEXT, description=TEXT,
    status=st.sampled_from(["TENTATIVE", "CONFIRMED", "CANCELLED"]),
    sequence=st.integers(0, 10**6), stamp=MOMENTS, created=st.none() | MOMENTS,
    url=st.none() | st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/:.-?=&,;",
                            max_size=120).map(lambda path: "https://tracker.example.test/" + path),
    categories=st.lists(TEXT, max_size=2).map(tuple),
)


def _calendar(fragments: list[bytes]) -> bytes:
    return calendar_bytes(calendar_header("Team deadlines", "A team's deadlines"), fragments)


def _read(body: bytes) -> dict:
    """What each parser reads: per UID the dates, text, status and sequence, or the error it raised."""
    text = body.decode("utf-8")
    readings = {}
    try:
        readings["icalendar"] = sorted(
            (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]), str(e["DESCRIPTION"]),
             str(e["STATUS"]), int(e["SEQUENCE"]), str(e.get("URL", "")), e.decoded("DTSTAMP"),
             e.decoded("LAST-MODIFIED"), e.decoded("CREATED") if "CREATED" in e else None)
            for e in icalendar.Calendar.from_ical(body).walk("VEVENT"))
    except Exception as error:  # noqa: BLE001 - the same refusal counts as the same reading
        readings["icalendar"] = type(error).__name__
    try:
        parsed = vobject.readOne(text)
        readings["vobject"] = sorted(
            (e.uid.value, e.dtstart.value, e.dtend.value, e.summary.value, e.description.value, e.status.value,
             e.sequence.value, e.url.value if hasattr(e, "url") else "")
            for e in getattr(parsed, "vevent_list", []))
    except Exception as error:  # noqa: BLE001
        readings["vobject"] = type(error).__name__
    try:
        readings["ical"] = sorted(
            (e.uid, e.dtstart, e.dtend, e.summary, e.description, str(e.status), e.sequence, e.url or "", e.dtstamp,
             e.last_modified, e.created)
            for e in IcsCalendarStream.calendar_from_ics(text).events)
    except Exception as error:  # noqa: BLE001
        readings["ical"] = type(error).__name__
    return readings


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SPECS, min_size=1, max_size=3, unique_by=lambda spec: spec.uid))
@example([VEventSpec(uid="obligation-1@deadline-tracker", day=date(2027, 1, 31), summary="x" * 73 + "\\;",
                     description="é" * 200, status="TENTATIVE", sequence=7,
                     stamp=datetime(2026, 11, 29, 12, 0, 1, 999, tzinfo=timezone.utc))])
def test_the_serializer_writes_the_bytes_icalendar_wrote_and_parsers_read_them_the_same(specs):
    new = _calendar([vevent_bytes(spec) for spec in specs])
    old = _calendar([icalendar_vevent_bytes(spec) for spec in specs])
    assert new == old
    lint(new)
    assert _read(new) == _read(old)


def test_a_plain_event_reads_back_with_every_value():
    spec = VEventSpec(uid="obligation-5-20270101@deadline-tracker", day=date(2027, 1, 1),
                      summary="Annual filing, part 1; see \\ notes", description="Firm date.\nStatus: Open.",
                      status="CONFIRMED", sequence=3, stamp=datetime(2026, 11, 29, 12, tzinfo=timezone.utc),
                      url="https://tracker.example.test/obligations/5")
    (event,) = icalendar.Calendar.from_ical(_calendar([vevent_bytes(spec)])).walk("VEVENT")
    assert str(event["SUMMARY"]) == spec.summary and str(event["DESCRIPTION"]) == spec.description
    assert event.decoded("DTSTART") == date(2027, 1, 1) and event.decoded("DTEND") == date(2027, 1, 2)
    assert int(event["SEQUENCE"]) == 3 and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == spec.stamp and str(event["URL"]) == spec.url


@given(st.text(st.characters(exclude_categories=("Cs",))))
@settings(max_examples=200, deadline=None)
def test_folded_lines_stay_within_75_octets_and_unfold_to_the_line(text):
    line = ("DESCRIPTION:" + escape_text(text)).encode()
    folded = fold(line)
    physical = folded.split(b"\r\n")
    assert all(len(part) <= 75 for part in physical)
    assert all(part.startswith(b" ") for part in physical[1:])
    for part in physical:
        part.decode("utf-8")  # no fold inside a character
    assert folded.replace(b"\r\n ", b"") == line


def test_an_escape_is_never_split_by_a_fold():
    line = ("SUMMARY:" + "a" * 65 + "\\,b").encode()
    assert fold(line).split(b"\r\n")[1].startswith(b" \\,")
