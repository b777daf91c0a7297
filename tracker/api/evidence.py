"""/api/v1: evidence on our own obligations — list, add a file (base64) or a link, download, remove."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from typing import Annotated

from pydantic import Field
from sqlalchemy import select

from tracker.api.core import ApiProblem, api_user, load_row, no_content, operation, respond, service_errors
from tracker.api.representations import Out
from tracker.api.schemas import Body, Title, Url, _line
from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.evidence.operations import add_file, add_link, remove_evidence
from tracker.models import Obligation, ObligationEvidence, ObligationEvidenceChunk
from tracker.people import permissions
from tracker.vendors.downloads import evidence_response
from tracker.vendors.uploads import MAX_FILE_BYTES, Upload
from tracker.work.policy import may_edit_obligation

TAG = "evidence"
# A 25 MB file in base64 and the other fields.
FILE_BODY_LIMIT = (MAX_FILE_BYTES * 4) // 3 + 64 * 1024


class EvidenceOut(Out):
    id: int
    kind: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str
    valid_until: dt.date | None
    added_at: dt.datetime
    download: str | None


class EvidenceList(Out):
    items: list[EvidenceOut]


class LinkIn(Body):
    url: Annotated[Url, Field(min_length=1)]
    title: _line(300) = ""
    valid_until: dt.date | None = None


class FileIn(Body):
    """The file's bytes in base64 (at most 25 MB once decoded); its type is judged from the bytes."""

    filename: Title
    content_base64: Annotated[str, Field(max_length=FILE_BODY_LIMIT)]
    title: _line(300) = ""
    valid_until: dt.date | None = None


def evidence_out(evidence: ObligationEvidence) -> EvidenceOut:
    from flask import url_for

    return EvidenceOut(id=evidence.id, kind=evidence.kind, title=evidence.title, filename=evidence.filename,
                       content_type=evidence.content_type, size=evidence.size, sha256=evidence.sha256,
                       url=evidence.url, valid_until=evidence.valid_until, added_at=evidence.added_at,
                       download=url_for("api.download_evidence", evidence_id=evidence.id)
                       if evidence.kind == "file" else None)


def _obligation(obligation_id: int) -> Obligation:
    return load_row(Obligation, obligation_id, "obligation", gone="deleted_at")


def _require_editor_of(ob: Obligation, user) -> None:
    """403 (not a 422 about the body) for a token whose user may not change this obligation."""
    permissions.require(may_edit_obligation(user, ob), "evidence needs the editor role in the obligation's team")


def _evidence(evidence_id: int) -> ObligationEvidence:
    return load_row(ObligationEvidence, evidence_id, "evidence", gone="removed_at")


@operation("GET", "/obligations/<int:obligation_id>/evidence", summary="Evidence of an obligation", tag=TAG,
           response=EvidenceList, description="Files (with SHA-256) and links, newest first; removed ones left out.")
def list_evidence(obligation_id: int):
    ob = _obligation(obligation_id)
    rows = db.session.scalars(select(ObligationEvidence).where(ObligationEvidence.obligation_id == ob.id,
                                                               ObligationEvidence.removed_at.is_(None))
                              .order_by(ObligationEvidence.id.desc()))
    return respond(EvidenceList(items=[evidence_out(e) for e in rows]), etag=False)


@operation("POST", "/obligations/<int:obligation_id>/evidence/links", summary="Add a link as evidence", tag=TAG,
           role="editor", body=LinkIn, response=EvidenceOut, status=201)
def add_link_view(obligation_id: int, body: LinkIn):
    user = api_user()
    ob = _obligation(obligation_id)
    _require_editor_of(ob, user)
    try:
        evidence = add_link(ob, body.url, user, Actor.of(user), title=body.title,
                            valid_until=body.valid_until)
    except ValidationFailed as exc:
        raise service_errors(exc.errors) from None
    return respond(evidence_out(evidence), 201, etag=False)


@operation("POST", "/obligations/<int:obligation_id>/evidence/files", summary="Upload an evidence file", tag=TAG,
           role="editor", body=FileIn, response=EvidenceOut, status=201, body_limit=FILE_BODY_LIMIT + 4096,
           description="The same checks as the page: PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text judged by "
                       "the bytes, at most 25 MB; nothing is stored when refused.")
def add_file_view(obligation_id: int, body: FileIn):
    ob = _obligation(obligation_id)
    _require_editor_of(ob, api_user())
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise service_errors({"content_base64": "not valid base64"}) from None
    user = api_user()
    try:
        evidence = add_file(ob, Upload(body.filename, io.BytesIO(data), len(data)), user, Actor.of(user),
                            title=body.title, valid_until=body.valid_until)
    except ValidationFailed as exc:
        raise service_errors(exc.errors, {"file": "content_base64"}) from None
    return respond(evidence_out(evidence), 201, etag=False)


@operation("GET", "/evidence/<int:evidence_id>/download", summary="Download an evidence file", tag=TAG,
           media_type="application/octet-stream", description="Always as an attachment, with the sniffed type.")
def download_evidence(evidence_id: int):
    evidence = _evidence(evidence_id)
    if evidence.kind != "file":
        raise ApiProblem(404, f"evidence {evidence_id} is a link, not a file")
    permissions.require(permissions.may_read_evidence(api_user(), evidence),
                        "evidence files are readable by the members of the obligation's team")
    return evidence_response(evidence, ObligationEvidenceChunk)


@operation("DELETE", "/evidence/<int:evidence_id>", summary="Remove evidence", tag=TAG, role="editor", status=204)
def remove_evidence_view(evidence_id: int):
    user = api_user()
    try:
        remove_evidence(_evidence(evidence_id), user, Actor.of(user))
    except ValidationFailed as exc:
        raise ApiProblem(403, next(iter(exc.errors.values()))) from None
    return no_content()
