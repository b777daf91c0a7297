"""Reviewing vendor submissions: accept, reject (reopens it for the vendor), waive, not applicable,
and re-certification when accepted evidence expires. Each writes the audit log (through
requests.set_request_status) and queues the contacts' notices in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import SYSTEM, Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Obligation, Team, VendorEvidence, VendorRequest
from tracker.txn import owns_transaction
from tracker.vendors.requests import set_request_status

REVIEW_ACTIONS = {"accept": "accepted", "reject": "rejected", "waive": "waived",
                  "not_applicable": "not_applicable"}


ACTION_LABELS = {"accept": "Accept", "reject": "Reject", "waive": "Waive", "not_applicable": "Not applicable",
                 "reopen": "Reopen"}


def allowed_actions(request: VendorRequest) -> dict[str, str]:
    """The review actions that can succeed on the request now, and why each other one cannot.

    Returns {action: ""} for those allowed and {action: reason} for the rest, so a
    page shows only the first and a forced post is refused with the reason.
    """
    status = request.status.replace("_", " ")
    submitted = request.status == "submitted"
    return {
        "accept": "" if submitted else
        ("nothing has been submitted yet" if request.status in ("open", "rejected") else f"the request is {status}"),
        "reject": "" if request.status in ("submitted", "accepted") else
        ("nothing has been submitted yet" if request.status in ("open", "rejected") else f"the request is {status}"),
        "waive": "" if request.status != "waived" else "the request is already waived",
        "not_applicable": "" if request.status != "not_applicable" else "the request is already not applicable",
        "reopen": "" if request.status in ("waived", "not_applicable") else f"the request is {status}, not closed",
    }


def latest_submission(request: VendorRequest) -> str | None:
    """The id of the request's newest submission (files and attestation sent together)."""
    from tracker.models import VendorAttestation

    return db.session.scalar(select(VendorAttestation.submission_id).where(VendorAttestation.request_id == request.id)
                             .order_by(VendorAttestation.signed_at.desc(), VendorAttestation.id.desc()).limit(1))


@owns_transaction
def accept(request: VendorRequest, actor: Actor, valid_until: date | None = None, reason: str = "",
           now: datetime | None = None, commit: bool = True) -> bool:
    """Accept the submitted answer; `valid_until` (optional) is when its evidence must be renewed."""
    if request.status != "submitted":
        raise ValidationFailed({"status": f"only a submitted request can be accepted (this one is "
                                          f"{request.status.replace('_', ' ')})"})
    now = now or utcnow()
    if valid_until is not None:
        if valid_until <= now.date():
            raise ValidationFailed({"valid_until": "must be a date in the future"})
        submission = latest_submission(request)
        db.session.execute(update(VendorEvidence).where(VendorEvidence.request_id == request.id,
                                                        VendorEvidence.submission_id == submission)
                           .values(valid_until=valid_until).execution_options(synchronize_session=False))
        audit.log(actor, "update", request, {"valid_until": [None, valid_until.isoformat()]}, at=now)
    set_request_status(request, "accepted", actor, reason=reason, now=now, commit=False)
    request.evidence_expires_on = valid_until
    return True


@owns_transaction
def reject(request: VendorRequest, actor: Actor, reason: str, now: datetime | None = None,
           commit: bool = True) -> bool:
    """Reject the answer with a reason: the request is owed again and the contacts are told why."""
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "say why the submission is rejected (the vendor is told)"})
    if request.status not in ("submitted", "accepted"):
        raise ValidationFailed({"status": f"only a submitted or accepted request can be rejected (this one is "
                                          f"{request.status.replace('_', ' ')})"})
    now = now or utcnow()
    set_request_status(request, "rejected", actor, reason=reason, now=now, commit=False)
    request.evidence_expires_on = None
    from tracker.vendors.mail.notices import queue_status_notice

    queue_status_notice(request, "vendor_rejected", now)
    return True


@owns_transaction
def close(request: VendorRequest, status: str, actor: Actor, reason: str, now: datetime | None = None,
          commit: bool = True) -> bool:
    """Waive the request or mark it not applicable (a reason is required)."""
    if status not in ("waived", "not_applicable"):
        raise ValidationFailed({"status": f"unknown status '{status}'"})
    changed = set_request_status(request, status, actor, reason=reason, now=now or utcnow(), commit=False)
    if changed:
        request.evidence_expires_on = None
    return changed


@owns_transaction
def reopen(request: VendorRequest, actor: Actor, now: datetime | None = None, commit: bool = True) -> bool:
    """Open a waived or n/a request again."""
    if request.status not in ("waived", "not_applicable"):
        raise ValidationFailed({"status": "only a waived or not applicable request can be reopened"})
    return set_request_status(request, "open", actor, now=now or utcnow(), commit=False)


def expiry_reason(expired_on: date) -> str:
    return f"accepted evidence expired on {expired_on.isoformat()}: re-certification needed"


def reopen_expired(now: datetime | None = None) -> int:
    """Reopen every accepted request whose evidence's valid_until has passed (the day after it in its team's time zone).

    Called by each reminder pass, so it happens without anyone acting; each
    reopening is audited (by 'system') and its contacts get a notice.
    """
    now = now or utcnow()
    candidates = db.session.execute(
        select(VendorRequest.id, VendorRequest.evidence_expires_on, Team.timezone)
        .join(Obligation, Obligation.id == VendorRequest.obligation_id).join(Team, Team.id == Obligation.team_id)
        .where(VendorRequest.status == "accepted", VendorRequest.evidence_expires_on.is_not(None),
               VendorRequest.evidence_expires_on < now.date() + timedelta(days=1))).all()
    due = [row for row in candidates if row.evidence_expires_on < now.astimezone(ZoneInfo(row.timezone)).date()]
    from tracker.vendors.mail.notices import queue_status_notice

    for row in due:
        # Locked (PostgreSQL), then checked again: two scheduler processes reopen it once.
        request = db.session.get(VendorRequest, row.id, with_for_update=True, populate_existing=True)
        if request is None or request.status != "accepted":
            db.session.commit()
            continue
        set_request_status(request, "open", SYSTEM, reason=expiry_reason(row.evidence_expires_on), now=now,
                           commit=False)
        request.evidence_expires_on = None
        queue_status_notice(request, "vendor_reopened", now)
        db.session.commit()
    return len(due)
