"""The evidence behind each obligation, as it stood at a cutoff.

One function, `evidence_for`, is where every kind of evidence joins a report:
the files vendors uploaded against their requests, and the team's own evidence
on an obligation (files and links, tracker.evidence), as it stood at the cutoff.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import or_, select

from tracker.db import db
from tracker.models import ObligationEvidence, Vendor, VendorEvidence, VendorRequest
from tracker.reports.history import as_date
from tracker.reports.model import EvidenceRow, ObligationRow
from tracker.reports.queries import audit_changes, chunks
from tracker.vendors.queries import evidence_url


def _valid_until_set(request_ids: Iterable[int]) -> dict[tuple[int, date], datetime]:
    """When each request's evidence got each valid-until date (a reviewer sets it on acceptance)."""
    first: dict[tuple[int, date], datetime] = {}
    for request_id, entries in audit_changes("vendor_request", request_ids).items():
        for change, _ in entries:
            pair = change.fields.get("valid_until")
            if isinstance(pair, list) and len(pair) == 2 and (day := as_date(pair[1])) is not None:
                first.setdefault((request_id, day), change.at)
    return first


def _vendor_uploads(obligations: dict[int, ObligationRow], as_of: datetime) -> list[EvidenceRow]:
    rows = []
    for part in chunks(obligations):
        rows += db.session.execute(
            select(VendorEvidence, VendorRequest.obligation_id, Vendor.id, Vendor.name)
            .join(VendorRequest, VendorRequest.id == VendorEvidence.request_id)
            .join(Vendor, Vendor.id == VendorRequest.vendor_id)
            .where(VendorRequest.obligation_id.in_(part), VendorEvidence.uploaded_at < as_of)
            .order_by(VendorEvidence.uploaded_at, VendorEvidence.id)).all()
    set_at = _valid_until_set({evidence.request_id for evidence, *_ in rows if evidence.valid_until})
    found = []
    for evidence, obligation_id, vendor_id, vendor_name in rows:
        valid_until = evidence.valid_until
        if valid_until is not None:
            when = set_at.get((evidence.request_id, valid_until))
            if when is not None and when >= as_of:
                valid_until = None  # accepted with that date only after the cutoff
        ob = obligations[obligation_id]
        found.append(EvidenceRow(obligation_id, ob.key, ob.title, f"Vendor: {vendor_name}", evidence.filename,
                                 evidence.sha256, evidence.size, evidence.uploaded_at, valid_until,
                                 evidence_url(evidence.id), vendor_id))
    return found


def _own_evidence(obligations: dict[int, ObligationRow], as_of: datetime) -> list[EvidenceRow]:
    """The team's own files and links added before the cutoff and not removed by then."""
    from flask import current_app

    base = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    rows = []
    for part in chunks(obligations):
        rows += db.session.scalars(
            select(ObligationEvidence)
            .where(ObligationEvidence.obligation_id.in_(part), ObligationEvidence.added_at < as_of,
                   or_(ObligationEvidence.removed_at.is_(None), ObligationEvidence.removed_at >= as_of))
            .order_by(ObligationEvidence.added_at, ObligationEvidence.id)).all()
    found = []
    for evidence in rows:
        ob = obligations[evidence.obligation_id]
        is_file = evidence.kind == "file"
        found.append(EvidenceRow(
            evidence.obligation_id, ob.key, ob.title, "Team",
            evidence.filename if is_file else (evidence.title or evidence.url),
            evidence.sha256 if is_file else "", evidence.size if is_file else None, evidence.added_at,
            evidence.valid_until,
            f"{base}/api/v1/evidence/{evidence.id}/download" if is_file else evidence.url))
    return found


def evidence_for(obligations: Iterable[ObligationRow], as_of: datetime) -> list[EvidenceRow]:
    """Every piece of evidence of `obligations` added before the instant `as_of`, oldest first.

    Valid-until dates set after `as_of` are left out (they were not known then).
    """
    by_id = {row.id: row for row in obligations}
    if not by_id:
        return []
    return sorted(_vendor_uploads(by_id, as_of) + _own_evidence(by_id, as_of),
                  key=lambda row: (row.added_at, row.origin != "Team"))
