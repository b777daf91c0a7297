"""The calendars attached to reminder and change emails: one event, or all of a grouped email's."""

from __future__ import annotations

from tracker.feeds.ical import calendar_bytes, calendar_header, vevent_bytes
from tracker.feeds.items import PlannedItem, build_spec, load_details, single_spec
from tracker.feeds.sequence import cancelled_since, flips_for, stored_states


def single_event_calendar(obligation, *, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR with `method` and the obligation's one VEVENT, for email.

    The VEVENT is the one the feeds show (same UID, SEQUENCE and text); for a
    recurring obligation, its current occurrence.
    """
    spec = single_spec(obligation)
    header = calendar_header(obligation.title, "", method=method)
    return calendar_bytes(header, [vevent_bytes(spec)] if spec else [])


def calendar_of(obligations: list, name: str, *, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR with the feeds' VEVENT of each obligation (same UIDs and SEQUENCEs), for a grouped email.

    The same as `single_event_calendar` per obligation, read in a few queries
    for all of them instead of a few each.
    """
    ids = [obligation.id for obligation in obligations]
    states = stored_states(ids)
    details = load_details(ids)
    fragments = []
    for obligation in obligations:
        cancelled = cancelled_since(obligation) is not None
        sequence = obligation.revision + flips_for(cancelled, states.get(obligation.id))
        if obligation.rule == "recurring" and obligation.due_date is not None:
            item = PlannedItem(obligation.due_date, obligation.due_date, "current")
        elif obligation.due_date is not None or obligation.due_state == "void":
            item = PlannedItem(None, obligation.due_date, "current")
        else:
            continue
        spec = build_spec(details[obligation.id], item, sequence)
        if spec is not None:
            fragments.append(vevent_bytes(spec))
    return calendar_bytes(calendar_header(name, "", method=method), fragments)
