"""One summary of vendor progress per vendor-scoped obligation for its team, never one email per vendor.

Once a day (from 09:00 in the team's time zone), an obligation whose requests
changed status since its last summary gets one message per member (and the
owner): where the collection stands ("12 of 40 accepted, 5 overdue") and
which vendors answered, were accepted, rejected or reopened. Items are
(obligation, local date, member); members who turned off the digest do not
get it (the summary travels with the digest preference).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.mail.planning import changes_since, members_by_team, recipients_of, wants
from tracker.mail.render import base_url
from tracker.mail.timing import SEND_TIME
from tracker.models import Obligation, ObligationVendorScope, OutboxMessage, Vendor, VendorRequest
from tracker.vendors.mail.queue import present_keys, queue
from tracker.vendors.mail.render import Line, Recipient, outbox_values
from tracker.vendors.queries import REQUEST_STATUS_LABELS, progress_of

FIRST_LOOK_BACK = timedelta(days=1)


def request_page_url(request_id: int) -> str:
    return f"{base_url()}/vendor-requests/{request_id}"


def plan_progress(now: datetime) -> int:
    """Queue the day's progress summaries that are due; returns how many messages were added."""
    obligations = list(db.session.scalars(
        select(Obligation).join(ObligationVendorScope, ObligationVendorScope.obligation_id == Obligation.id)
        .where(Obligation.deleted_at.is_(None)).options(joinedload(Obligation.team), joinedload(Obligation.owner))))
    if not obligations:
        return 0
    members = members_by_team()
    added = 0
    for obligation in obligations:
        local = now.astimezone(ZoneInfo(obligation.team.timezone))
        if local.time() < SEND_TIME:
            continue
        since = db.session.scalar(select(func.max(OutboxMessage.created_at)).where(
            OutboxMessage.kind == "vendor_progress", OutboxMessage.obligation_id == obligation.id))
        # The first summary looks back to the last pass however long ago (an outage of a
        # month must not drop the answers it came in), and at least a day.
        since = since or min(now - FIRST_LOOK_BACK, changes_since(now))
        requests = list(db.session.scalars(
            select(VendorRequest).join(Vendor, Vendor.id == VendorRequest.vendor_id)
            .where(VendorRequest.obligation_id == obligation.id)
            .options(joinedload(VendorRequest.vendor)).order_by(Vendor.name)))
        # Answers, reviews and reopenings since the last summary (a request just created is not news).
        # Everything committed up to this read, whatever the pass's clock (as tracker.mail.planning).
        moved = [r for r in requests if since < r.status_changed_at and (r.status != "open" or r.status_reason)]
        if not moved:
            continue
        summary = progress_of(requests, local.date()).summary()
        lines = [Line(title=r.vendor.name, vendor="", due=r.due_date.isoformat() if r.due_date else "no date yet",
                      state=f"Now {REQUEST_STATUS_LABELS[r.status].lower()}"
                            + (f": {r.status_reason}" if r.status_reason else ""),
                      explanation=f"changed {r.status_changed_at:%Y-%m-%d %H:%M} UTC", link=request_page_url(r.id))
                 for r in moved]
        for user in recipients_of(obligation, members):
            if not wants(user, "digest"):
                continue
            key = f"vendor_progress:{obligation.id}:{local.date().isoformat()}:{user.id}"
            if key in present_keys([key]):
                continue
            values = outbox_values("vendor_progress", Recipient(user.email, user.name or "", user_id=user.id),
                                   f"Vendor progress: {obligation.title}", f"Vendor progress: {obligation.title}",
                                   f"{summary}. What changed since the last summary:", lines, now,
                                   team_name=obligation.team.name, obligation_id=obligation.id,
                                   team_id=obligation.team_id)
            added += queue(values, [key])
    db.session.commit()
    return added
