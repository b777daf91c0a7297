"""The demo's vendor answers: some requests answered, accepted, rejected or late on first run,
so the matrix shows something real. Set through the request service, once (a request
whose status was ever changed is left alone, so seed-demo stays idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.audit import Actor
from tracker.db import db
from tracker.models import Obligation, Vendor, VendorRequest
from tracker.vendors.requests import set_request_status

# (obligation key, vendor key, status, reason); the rest stay open (and so, past their date, late).
DEMO_ANSWERS = (
    ("ca-vendor-self-certification", "frontier-api", "submitted", ""),
    ("ca-vendor-self-certification", "frontier-api", "accepted", ""),
    ("ca-vendor-self-certification", "openweights-hub", "submitted", ""),
    ("ca-vendor-self-certification", "stratus-cloud", "submitted", ""),
    ("ca-vendor-self-certification", "stratus-cloud", "rejected",
     "The statement is not signed by an officer of the company; please have it signed and send it again."),
    ("bis-vendor-supply-chain-audit", "northbridge-servers", "submitted", ""),
    ("csa-vendor-location-verification", "stratus-cloud", "submitted", ""),
    ("csa-vendor-location-verification", "stratus-cloud", "accepted", ""),
)


def seed_demo_answers(actor: Actor) -> int:
    """Apply DEMO_ANSWERS to requests never answered yet; the number of requests touched."""
    pairs = {(ob, vendor) for ob, vendor, _, _ in DEMO_ANSWERS}
    rows = db.session.execute(
        select(VendorRequest, Obligation.key, Vendor.key)
        .join(Obligation, Obligation.id == VendorRequest.obligation_id)
        .join(Vendor, Vendor.id == VendorRequest.vendor_id)
        .where(Obligation.key.in_({p[0] for p in pairs}), Vendor.key.in_({p[1] for p in pairs}))).all()
    fresh = {(ob_key, vendor_key): request for request, ob_key, vendor_key in rows
             if request.status == "open" and request.submitted_at is None
             and request.status_changed_at == request.created_at}
    touched = set()
    for ob_key, vendor_key, status, reason in DEMO_ANSWERS:
        request = fresh.get((ob_key, vendor_key))
        if request is not None:
            set_request_status(request, status, actor, reason=reason, commit=False)
            touched.add(request.id)
    db.session.commit()
    return len(touched)
