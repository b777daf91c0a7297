"""The words people read on screen for the codes the product stores (pure: no Flask, no database).

One place for event types, due states, statuses, roles and the audit trail's field names, so a
page, an email and a channel message call the same thing by the same name. Codes stay in the
database, the API and packs; these words are only for people.
"""

from __future__ import annotations

from datetime import date, datetime

from tracker.models.vocabulary import SOURCE_KIND_LABELS, STATUS_LABELS

__all__ = ["DUE_STATE_LABELS", "DUE_STATE_MEANINGS", "STATUS_LABELS", "SOURCE_KIND_LABELS",
           "EVENT_TYPE_LABELS", "CHANNEL_KIND_LABELS", "ROLE_LABELS", "EVENT_STATUS_LABELS",
           "REQUEST_STATUS_WORDS", "FIELD_LABELS", "event_type_words", "role_words", "field_label",
           "format_value"]

# A deadline's due state, as a badge ("Confirmed") and as a sentence (for vendors and tooltips).
DUE_STATE_LABELS = {
    "firm": "Firm",
    "projected": "Projected",
    "undated": "Undated",
    "void": "Void",
}
DUE_STATE_MEANINGS = {
    "firm": "confirmed date: it will not move unless a rule or event changes",
    "projected": "estimated date: it depends on an event that has not happened yet",
    "undated": "no date yet: it depends on an event with no expected date",
    "void": "no deadline: the rule gives none",
}
EVENT_STATUS_LABELS = {"occurred": "Happened", "expected": "Expected", "cancelled": "Cancelled"}
REQUEST_STATUS_WORDS = {
    "open": "Waiting for the vendor",
    "submitted": "Awaiting review",
    "accepted": "Accepted",
    "rejected": "Changes requested",
    "waived": "Waived",
    "not_applicable": "Not applicable",
}
# Channel and notification event types ("deadline.upcoming") in words.
EVENT_TYPE_LABELS = {
    "deadline.upcoming": "Upcoming deadlines",
    "deadline.overdue": "Overdue deadlines",
    "deadline.changed": "Deadline moved",
    "event.recorded": "Event recorded",
    "event.stale": "Estimate out of date",
    "proposal.created": "New proposal from a regulator watch",
    "vendor_request.submitted": "Vendor submitted an answer",
    "digest.weekly": "Weekly digest",
    "comment.created": "New comment",
    "obligation.assigned": "Obligation assigned",
    "channel.test": "Test message",
}
CHANNEL_KIND_LABELS = {"slack": "Slack", "teams": "Microsoft Teams", "webhook": "Webhook"}
ROLE_LABELS = {"admin": "Administrator", "editor": "Editor", "viewer": "Viewer"}

# The audit trail's field names ("obligation_id") as labels ("Obligation").
FIELD_LABELS = {
    "title": "Title", "key": "Key", "description": "Description", "status": "Status",
    "status_note": "Status note", "team_id": "Team", "team": "Team", "owner_id": "Owner",
    "owner": "Owner", "due_date": "Due date", "due_state": "Due state", "due_precision": "Date precision",
    "revision": "Revision", "rule": "Deadline rule", "rule_date": "Rule date", "offset": "Offset",
    "unit": "Offset unit", "anchor_event_id": "Counted from", "anchor": "Counted from",
    "events": "Source events", "event_ids": "Source events", "source_id": "Source", "source": "Source",
    "obligation_id": "Obligation", "vendor_id": "Vendor", "vendor": "Vendor", "vendors": "Vendors",
    "contact_id": "Contact", "request_id": "Request", "name": "Name", "email": "Email",
    "role": "Role", "active": "Active", "timezone": "Time zone", "kind": "Kind",
    "jurisdiction": "Jurisdiction", "citation": "Citation", "url": "Web address", "summary": "Summary",
    "expected_on": "Expected date", "occurred_on": "Date it happened", "precision": "Date precision",
    "valid_until": "Valid until", "markets": "Markets", "tags": "Tags", "priority": "Priority",
    "calendar": "Holiday calendar", "roll": "Non-working days", "rrule": "Repeats",
    "notes": "Notes", "website": "Website", "reason": "Reason", "deleted_at": "Deleted",
}


def event_type_words(code: str) -> str:
    """'deadline.upcoming' -> 'Upcoming deadlines' (an unknown code in readable form)."""
    return EVENT_TYPE_LABELS.get(code) or code.replace("_", " ").replace(".", ": ").capitalize()


def role_words(code: str) -> str:
    """'admin' -> 'Administrator'."""
    return ROLE_LABELS.get(code, code.replace("_", " ").capitalize())


def field_label(name: str) -> str:
    """An audit field name as a label: 'obligation_id' -> 'Obligation', 'foo_bar' -> 'Foo bar'."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = name[:-3] if name.endswith("_id") else name
    return words.replace("_", " ").strip().capitalize()


def format_value(value, names: dict | None = None) -> str:
    """An audit value for people: lists joined, mappings as 'Label: value', dates in ISO, no reprs.

    `names` maps an id to a name when the caller resolved it (an obligation id to its title).
    """
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {format_value(v, names)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(format_value(v, names) for v in value)
    if names and value in names:
        return str(names[value])
    text = str(value)
    if text in STATUS_LABELS:
        return STATUS_LABELS[text]
    return text
