"""Calendar identifiers shared by the feeds and the email attachments.

A UID must never change, or calendar apps show a moved deadline twice; it is
built from the obligation's database id (never its title or date) and a fixed
domain-like suffix (not TRACKER_BASE_URL, which may change).
"""

from __future__ import annotations

from datetime import date

UID_DOMAIN = "deadline-tracker"


def obligation_uid(obligation_id: int, occurrence: date | None = None) -> str:
    """The VEVENT UID of an obligation, or of one occurrence of a recurring one."""
    if occurrence is None:
        return f"obligation-{obligation_id}@{UID_DOMAIN}"
    return f"obligation-{obligation_id}-{occurrence:%Y%m%d}@{UID_DOMAIN}"


def event_uid(event_id: int) -> str:
    """The VEVENT UID of a source event shown in a feed."""
    return f"event-{event_id}@{UID_DOMAIN}"


def vendor_request_uid(request_id: int) -> str:
    """The VEVENT UID of a vendor request in a contact's feed."""
    return f"vendor-request-{request_id}@{UID_DOMAIN}"
