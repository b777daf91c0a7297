"""The calendar attachment of a deadline email (same UID and SEQUENCE as the feeds)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event as VEvent

from tracker.ical_ids import obligation_uid

PRODID = "-//Compliance deadline tracker//Email//EN"


def deadline_ics(obligation, url: str, summary: str, description: str, stamp: datetime) -> str:
    """One all-day VEVENT for the obligation's current due date, METHOD:PUBLISH.

    Recurring obligations use the UID of the current occurrence, as the feeds do.
    """
    due: date = obligation.due_date
    occurrence = due if obligation.rule == "recurring" else None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", obligation_uid(obligation.id, occurrence))
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", due)
    vevent.add("dtend", due + timedelta(days=1))
    vevent.add("summary", summary)
    vevent.add("description", description)
    vevent.add("url", url)
    vevent.add("sequence", obligation.revision)
    vevent.add("status", "TENTATIVE" if obligation.due_state == "projected" else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT")
    calendar.add_component(vevent)
    return calendar.to_ical().decode("utf-8")
