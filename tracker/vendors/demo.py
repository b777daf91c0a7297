"""The demo's vendor answers: some requests answered, accepted, rejected or late on first run,
so the matrix shows something real. Made through the same services as real answers (an
attested submission with a file, then the reviewer's decision), so every accepted, rejected
or submitted request has the submission it was judged on. Applied once (a request whose
status was ever changed is left alone, so seed-demo stays idempotent)."""

from __future__ import annotations

import io

from sqlalchemy import select

from tracker.audit import Actor
from tracker.db import db
from tracker.models import Obligation, Vendor, VendorRequest
from tracker.vendors import review
from tracker.vendors.submissions import submit
from tracker.vendors.uploads import Upload

# (obligation key, vendor key, signer, signer's title, decision, reason); the rest stay open
# (and so, past their date, late). Decision: "" (left submitted), "accept" or "reject".
DEMO_ANSWERS = (
    ("ca-vendor-self-certification", "frontier-api", "Dana Frontier", "Chief Compliance Officer", "accept", ""),
    ("ca-vendor-self-certification", "openweights-hub", "Oli Weights", "General Counsel", "", ""),
    ("ca-vendor-self-certification", "stratus-cloud", "Sam Stratus", "Account Manager", "reject",
     "The statement is not signed by an officer of the company; please have it signed and send it again."),
    ("bis-vendor-supply-chain-audit", "northbridge-servers", "Nia North", "VP Supply Chain", "", ""),
    ("csa-vendor-location-verification", "stratus-cloud", "Sam Stratus", "Chief Security Officer", "accept", ""),
)


def _document(obligation_key: str, vendor_key: str, signer: str) -> Upload:
    text = (f"Demo evidence for {obligation_key}, from {vendor_key}.\n"
            f"Signed by {signer}. This file was made by seed-demo.\n").encode()
    return Upload(filename=f"{obligation_key}-{vendor_key}.txt", stream=io.BytesIO(text), received=len(text))


def seed_demo_answers(actor: Actor) -> int:
    """Apply DEMO_ANSWERS to requests never answered yet; the number of requests touched."""
    pairs = {(entry[0], entry[1]) for entry in DEMO_ANSWERS}
    rows = db.session.execute(
        select(VendorRequest, Obligation.key, Vendor.key)
        .join(Obligation, Obligation.id == VendorRequest.obligation_id)
        .join(Vendor, Vendor.id == VendorRequest.vendor_id)
        .where(Obligation.key.in_({p[0] for p in pairs}), Vendor.key.in_({p[1] for p in pairs}))).all()
    fresh = {(ob_key, vendor_key): request for request, ob_key, vendor_key in rows
             if request.status == "open" and request.submitted_at is None
             and request.status_changed_at == request.created_at}
    touched = 0
    for ob_key, vendor_key, signer, title, decision, reason in DEMO_ANSWERS:
        request = fresh.get((ob_key, vendor_key))
        if request is None:
            continue
        submit(request, signer, title, True, [_document(ob_key, vendor_key, signer)], commit=False)
        if decision == "accept":
            review.accept(request, actor, commit=False)
        elif decision == "reject":
            review.reject(request, actor, reason, commit=False)
        touched += 1
    db.session.commit()
    return touched
