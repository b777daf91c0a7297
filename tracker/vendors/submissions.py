"""A vendor's submission through its response link: attestation and files, all or nothing.

Every file is checked before anything is written (size, emptiness, type from
the bytes); any problem refuses the whole submission with field errors that
name the file, and nothing of it is stored. A request can be answered while
it is owed (open, or rejected: a rejection reopens it); once submitted it is
read-only for the vendor until a reviewer rejects it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_line, line_value
from tracker.models import VendorAttestation, VendorLink, VendorRequest
from tracker.models.vendors import REQUEST_OWED_STATUSES
from tracker.txn import owns_transaction
from tracker.vendors.requests import set_request_status
from tracker.vendors.filenames import safe_filename, stored_filename
from tracker.vendors.sniff import ACCEPTED_WORDS, sniff
from tracker.vendors.uploads import MAX_FILE_BYTES, MAX_FILES, Upload, store_file

CONFIRM_LABEL = "I confirm"


def statement_for(request: VendorRequest) -> str:
    """The attestation the signer confirms (stored with the submission, word for word)."""
    return (f"I confirm that the statements and files submitted for “{request.obligation.title}” are accurate "
            f"and complete, and that I am authorised to submit them on behalf of {request.vendor.name}.")


def accepts_answers(request: VendorRequest) -> bool:
    """Whether the vendor may submit now (owed: open, or rejected)."""
    return request.status in REQUEST_OWED_STATUSES


def _file_problems(uploads: list[Upload]) -> tuple[list[str], list[str]]:
    problems, types = [], []
    if len(uploads) > MAX_FILES:
        # Refused before any file is read: sniffing the rest would only cost time.
        return [f"at most {MAX_FILES} files per submission ({len(uploads)} were sent)"], []
    for upload in uploads:
        name = safe_filename(upload.filename)
        if upload.received > MAX_FILE_BYTES:
            problems.append(f"“{name}” is larger than 25 MB ({upload.received / (1024 * 1024):.1f} MB)")
            types.append("")
            continue
        if upload.received == 0:
            problems.append(f"“{name}” is empty")
            types.append("")
            continue
        content_type = sniff(upload.stream, name)
        if content_type is None:
            problems.append(f"“{name}” is not a {ACCEPTED_WORDS} file (judged by its content, not its name)")
        types.append(content_type or "")
    return problems, types


@owns_transaction
def submit(request: VendorRequest, name: str, title: str, confirmed: bool, uploads: list[Upload],
           now: datetime | None = None, commit: bool = True, link: VendorLink | None = None) -> str:
    """Store an attested submission and mark the request submitted; returns the submission id.

    Raises ValidationFailed (fields 'name', 'title', 'confirm', 'files',
    'request') and stores nothing when anything is wrong.
    """
    errors: dict[str, str] = {}
    if not accepts_answers(request):
        raise ValidationFailed({"request": "this request was already answered; it can be answered again "
                                           "only if the reviewer rejects it"})
    if problem := check_line(name, 300, required=True):
        errors["name"] = problem
    if problem := check_line(title, 300):
        errors["title"] = problem
    if not confirmed:
        errors["confirm"] = f"tick “{CONFIRM_LABEL}” to sign the statement"
    problems, types = _file_problems(uploads)
    if problems:
        errors["files"] = "; ".join(problems) + ". Nothing was stored: send the submission again."
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    submission_id = uuid.uuid4().hex
    signer = line_value(name)
    issuer = link.issued_by if link is not None else None
    via = f"response link re-issued by {issuer.email}" if issuer is not None else "response link"
    actor = Actor(user_id=None, label=f"{signer[:150]} ({via})")
    db.session.add(VendorAttestation(request_id=request.id, submission_id=submission_id, signer_name=signer,
                                     signer_title=line_value(title), statement=statement_for(request),
                                     signed_at=now, link_issued_by_id=issuer.id if issuer else None))
    stored = [store_file(request.id, submission_id, upload, content_type,
                         filename=stored_filename(upload.filename, content_type))
              for upload, content_type in zip(uploads, types)]
    audit.log(actor, "update", request, {"submission": [None, {
        "id": submission_id, "signer": signer, "link_issued_by": issuer.email if issuer else None, "files": [f"{e.filename} ({e.size} bytes, sha256 {e.sha256})"
                                                         for e in stored]}]}, at=now)
    set_request_status(request, "submitted", actor, now=now, commit=False)
    from tracker.vendors.mail.notices import queue_receipt

    queue_receipt(request, submission_id, now)
    _tell_channels(request, submission_id, signer, len(stored), now)
    return submission_id


def _tell_channels(request: VendorRequest, submission_id: str, signer: str, files: int, now: datetime) -> None:
    """`vendor_request.submitted` to the managing team's channels that take it (same transaction)."""
    from sqlalchemy import select

    from tracker.channels.operations import enqueue
    from tracker.models import Channel
    from tracker.vendors.mail.progress import request_page_url

    item = {"title": f"{request.vendor.name}: {request.obligation.title}", "url": request_page_url(request.id),
            "due_date": request.due_date.isoformat() if request.due_date else None,
            "detail": f"attested by {signer}, {files} file{'s' if files != 1 else ''}"}
    for channel in db.session.scalars(select(Channel).where(Channel.team_id == request.obligation.team_id,
                                                            Channel.status == "active")):
        enqueue(channel, "vendor_request.submitted", f"vendor_request.submitted:{submission_id}", [item], now,
                commit=False)
