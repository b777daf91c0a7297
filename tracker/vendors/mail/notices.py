"""Notices the vendor services queue in their own transaction: receipts, rejections, reopenings.

A resend, with its new link, is queued by tracker.vendors.links.replace_and_resend.

Each goes to every contact of the vendor, one message per contact, under an
item key of its cause (the submission, the status change).
"""

from __future__ import annotations

from datetime import datetime

from tracker.audit import SYSTEM
from tracker.models import VendorRequest
from tracker.vendors.links import ensure_link, link_id_of, placeholder_url
from tracker.vendors.mail.queue import queue
from tracker.vendors.mail.render import contacts_of, outbox_values, request_line, team_name_of

__all__ = ["contacts_of", "link_for", "queue_receipt", "queue_status_notice", "team_name_of"]


def link_for(request: VendorRequest, now: datetime) -> str:
    """The placeholder of the request's current link (made if needed): mail never holds the token."""
    return placeholder_url(link_id_of(ensure_link(request, SYSTEM, now=now, commit=False)))


def queue_receipt(request: VendorRequest, submission_id: str, now: datetime) -> int:
    """A receipt to every contact of the vendor for one submission (the caller's transaction)."""
    queued = 0
    for contact in contacts_of(request.vendor):
        line = request_line(request, notes=["Received: your answer is with the team for review. "
                                            f"Submission {submission_id[:12]}, {now:%Y-%m-%d %H:%M} UTC."])
        values = outbox_values("vendor_receipt", contact, f"Received: {request.obligation.title}",
                               "We received your answer", f"Thank you. {team_name_of(request)} will review it.",
                               [line], now, team_name=team_name_of(request), request_id=request.id)
        queued += queue(values, [f"vendor_receipt:{submission_id}:{contact.contact_id}"])
    return queued


def queue_status_notice(request: VendorRequest, kind: str, now: datetime) -> int:
    """A rejection (with its reason) or a reopening (re-certification) to every contact, with the link."""
    stamp = f"{request.status_changed_at:%Y%m%d%H%M%S%f}" if request.status_changed_at else "0"
    if kind == "vendor_rejected":
        subject, heading = f"Please answer again: {request.obligation.title}", "Your answer was not accepted"
        intro = f"{team_name_of(request)} reviewed your answer and needs another one. The reason is below."
        notes = [f"Reason: {request.status_reason}"]
    else:
        subject, heading = f"Re-certification due: {request.obligation.title}", "Please certify again"
        intro = f"The evidence {team_name_of(request)} accepted from you is no longer valid."
        notes = [f"Why: {request.status_reason}"]
    link = link_for(request, now)
    queued = 0
    for contact in contacts_of(request.vendor):
        values = outbox_values(kind, contact, subject, heading, intro, [request_line(request, link, notes)], now,
                               team_name=team_name_of(request), request_id=request.id)
        queued += queue(values, [f"{kind}:{request.id}:{stamp}:{contact.contact_id}"])
    return queued
