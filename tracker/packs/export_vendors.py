"""The vendor parts of an exported pack: the `vendors` section (without evidence) and, on each
vendor-scoped obligation, its `vendors` scope and the read-only `vendor_requests`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.db import db
from tracker.models import ObligationVendorScope, Vendor, VendorRequest
from tracker.vendors.fanout import scope_of


def vendors_section() -> list[dict[str, Any]]:
    """Every vendor, by key, with its contacts."""
    rows = []
    for v in db.session.scalars(select(Vendor).options(selectinload(Vendor.contacts), selectinload(Vendor.team),
                                                       selectinload(Vendor.owner)).order_by(Vendor.key)):
        data: dict[str, Any] = {"key": v.key, "name": v.name, "country": v.country,
                                "categories": list(v.categories or []), "markets": list(v.markets or []),
                                "status": v.status, "team": v.team.key}
        if v.website:
            data["website"] = v.website
        if v.owner is not None:
            data["owner"] = v.owner.email
        if v.notes:
            data["notes"] = v.notes
        data["contacts"] = [{"name": c.name, "email": c.email, "role": c.role} for c in v.contacts]
        rows.append(data)
    return rows


def add_vendor_fields(obligations: list[dict[str, Any]]) -> None:
    """Give each exported vendor-scoped obligation its scope and its requests (read-only)."""
    scopes = {row.obligation_id: scope_of(row) for row in db.session.scalars(select(ObligationVendorScope))}
    requests: dict[int, list[dict[str, Any]]] = {}
    query = (select(VendorRequest.obligation_id, Vendor.key, VendorRequest.due_date, VendorRequest.due_state,
                    VendorRequest.revision, VendorRequest.status)
             .join(Vendor, Vendor.id == VendorRequest.vendor_id).order_by(Vendor.key))
    for row in db.session.execute(query):
        requests.setdefault(row.obligation_id, []).append({
            "vendor": row.key, "due_date": row.due_date.isoformat() if row.due_date else None,
            "due_state": row.due_state, "revision": row.revision, "status": row.status})
    for data in obligations:
        obligation_id = data.pop("_id")
        # A request counts from its obligation's rule: it waits on the same stale estimate.
        for request in requests.get(obligation_id, []):
            request["stale_estimate"] = bool(data.get("stale_estimate")) and request["due_state"] == "projected"
        if obligation_id in scopes:
            data["vendors"] = scopes[obligation_id].as_dict()
        if obligation_id in requests:
            data["vendor_requests"] = requests[obligation_id]
