"""POST /api/v1/vendor-requests/<id>/accept and /reject, and evidence downloads for API token holders.

Through the same review services as the web page (tracker.vendors.review):
the audit log, the vendor's notices and the re-planning of reminders are
theirs. A missing or empty reason is a 422 naming `reason`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from tracker.api.core import ApiProblem, api_user, lock_row, operation, respond
from tracker.api.schemas import Body
from tracker.api.vendor_schemas import VendorRequestOut
from tracker.api.vendors import _request_query, _requests_out
from tracker.audit import Actor
from tracker.db import db
from tracker.models import VendorEvidence, VendorRequest
from tracker.people import permissions
from tracker.vendors import review
from tracker.vendors.downloads import evidence_response

Reason = Annotated[str, Field(max_length=2000)]


class AcceptBody(Body):
    """Optionally a note, and when the accepted evidence must be renewed (re-certification)."""

    reason: Reason = ""
    valid_until: dt.date | None = None


class RejectBody(Body):
    """Why the submission is rejected: the vendor's contacts are told."""

    reason: Reason


def _locked(request_id: int) -> VendorRequest:
    """The live request, its row locked first (a concurrent review waits, then sees the result)."""
    lock_row(VendorRequest, request_id)
    row = db.session.scalar(_request_query().where(VendorRequest.id == request_id))
    if row is None:
        raise ApiProblem(404, f"no vendor request {request_id}")
    permissions.require(permissions.may_edit_request(api_user(), row),
                        "this request belongs to another team: this needs the editor role in the team that "
                        "collects it or manages the vendor")
    return row


def _out(request_id: int):
    db.session.expire_all()
    return respond(_requests_out([db.session.scalar(_request_query().where(VendorRequest.id == request_id))])[0])


@operation("POST", "/vendor-requests/<int:request_id>/accept", summary="Accept a vendor's submission",
           tag="vendors", role="editor", body=AcceptBody, response=VendorRequestOut, errors=(404, 422),
           description="Only a submitted request can be accepted. `valid_until` (optional) reopens it for "
                       "re-certification the day after that date.")
def accept_vendor_request(request_id: int, body: AcceptBody):
    review.accept(_locked(request_id), Actor.of(api_user()), valid_until=body.valid_until, reason=body.reason)
    return _out(request_id)


@operation("POST", "/vendor-requests/<int:request_id>/reject", summary="Reject a vendor's submission",
           tag="vendors", role="editor", body=RejectBody, response=VendorRequestOut, errors=(404, 422),
           description="`reason` is required; the request is owed again and its contacts get the reason.")
def reject_vendor_request(request_id: int, body: RejectBody):
    review.reject(_locked(request_id), Actor.of(api_user()), body.reason)
    return _out(request_id)


@operation("GET", "/vendor-evidence/<int:evidence_id>", summary="Download an evidence file", tag="vendors",
           media_type="application/octet-stream", errors=(403, 404),
           description="The file's bytes as an attachment, with its sniffed content type and "
                       "X-Content-Type-Options: nosniff.")
def download_vendor_evidence(evidence_id: int):
    evidence = db.session.get(VendorEvidence, evidence_id)
    if evidence is None:
        raise ApiProblem(404, f"no evidence file {evidence_id}")
    permissions.require(permissions.may_read_answers(api_user(), evidence.request),
                        "evidence files are readable by the members of the team that collects them")
    return evidence_response(evidence)
