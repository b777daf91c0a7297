"""The vendor side of a report: the vendors, and each request with its due date, status and answers."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import Vendor, VendorAttestation, VendorEvidence, VendorRequest, VendorRequestHistory
from tracker.reports.history import Change, as_date, fields_as_of
from tracker.reports.model import Answer, ObligationRow, RequestRow, VendorRow
from tracker.reports.queries import audit_changes, chunks


def _requests(obligation_ids: list[int], cutoff: datetime, vendor_id: int | None) -> list[VendorRequest]:
    found = []
    for part in chunks(obligation_ids):
        query = (select(VendorRequest).options(joinedload(VendorRequest.vendor))
                 .where(VendorRequest.obligation_id.in_(part), VendorRequest.created_at < cutoff))
        if vendor_id is not None:
            query = query.where(VendorRequest.vendor_id == vendor_id)
        found += db.session.scalars(query).all()
    return found


def _due_moves(request_ids: list[int]) -> dict[int, list[Change]]:
    moves: dict[int, list[Change]] = defaultdict(list)
    for part in chunks(request_ids):
        for row in db.session.scalars(select(VendorRequestHistory).where(VendorRequestHistory.request_id.in_(part))
                                      .order_by(VendorRequestHistory.changed_at, VendorRequestHistory.id)):
            moves[row.request_id].append(Change(row.changed_at, {"due_date": [row.old_due_date, row.new_due_date],
                                                                 "due_state": [row.old_due_state, row.new_due_state]}))
    return moves


def _answers(request_ids: list[int], cutoff: datetime) -> dict[int, list[Answer]]:
    files: dict[str, list[str]] = defaultdict(list)
    answers: dict[int, list[Answer]] = defaultdict(list)
    for part in chunks(request_ids):
        for submission, name in db.session.execute(
                select(VendorEvidence.submission_id, VendorEvidence.filename)
                .where(VendorEvidence.request_id.in_(part), VendorEvidence.uploaded_at < cutoff)
                .order_by(VendorEvidence.id)):
            files[submission].append(name)
        for row in db.session.scalars(select(VendorAttestation).where(VendorAttestation.request_id.in_(part),
                                                                      VendorAttestation.signed_at < cutoff)
                                      .order_by(VendorAttestation.signed_at, VendorAttestation.id)):
            answers[row.request_id].append(Answer(row.signed_at, row.signer_name, row.signer_title, row.statement,
                                                  tuple(files.get(row.submission_id, ()))))
    return answers


def _vendor_rows(vendor_ids: set[int], cutoff: datetime) -> list[VendorRow]:
    vendors = list(db.session.scalars(select(Vendor).options(joinedload(Vendor.team), joinedload(Vendor.owner))
                                      .where(Vendor.id.in_(vendor_ids), Vendor.created_at < cutoff)))
    audit = audit_changes("vendor", [v.id for v in vendors])
    rows = []
    for vendor in vendors:
        state = fields_as_of({"name": vendor.name, "status": vendor.status},
                             [change for change, _ in audit.get(vendor.id, [])], cutoff)
        rows.append(VendorRow(vendor.key, state["name"] or vendor.name, state["status"] or vendor.status,
                              vendor.country, tuple(vendor.categories or ()), tuple(vendor.markets or ()),
                              vendor.team.name if vendor.team else "", vendor.owner.email if vendor.owner else ""))
    return sorted(rows, key=lambda row: (row.name.lower(), row.key))


def vendor_part(obligations: list[ObligationRow], cutoff: datetime,
                vendor_id: int | None) -> tuple[list[VendorRow], list[RequestRow]]:
    """The vendors and requests of `obligations` (of one vendor when `vendor_id`) as they stood at `cutoff`."""
    by_id = {row.id: row for row in obligations}
    requests = _requests(list(by_id), cutoff, vendor_id)
    ids = [r.id for r in requests]
    audit = audit_changes("vendor_request", ids)
    moves = _due_moves(ids)
    answers = _answers(ids, cutoff)
    rows = []
    for request in requests:
        status = fields_as_of({"status": request.status, "status_reason": request.status_reason},
                              [change for change, _ in audit.get(request.id, [])], cutoff)
        due = fields_as_of({"due_date": request.due_date, "due_state": request.due_state},
                           moves.get(request.id, []), cutoff)
        ob = by_id[request.obligation_id]
        rows.append(RequestRow(ob.id, ob.key, ob.title, request.vendor.key, request.vendor.name,
                               as_date(due["due_date"]), due["due_state"] or request.due_state,
                               status["status"] or request.status, status["status_reason"] or "",
                               answers.get(request.id, [])))
    rows.sort(key=lambda r: (r.vendor_name.lower(), r.vendor_key, r.due_date is None, r.due_date or cutoff.date(),
                             r.obligation_title.lower(), r.obligation_id))
    vendor_ids = {r.vendor_id for r in requests} | ({vendor_id} if vendor_id else set())
    return _vendor_rows(vendor_ids, cutoff), rows
