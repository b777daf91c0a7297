"""Fan-out: one vendor request per vendor in a vendor-scoped obligation's scope.

Re-evaluated whenever its inputs change: the scope (set_scope / clear_scope),
or a vendor (created, edited, offboarded: sync_vendor). A vendor entering the
scope gains a request carrying the obligation's current due date; a vendor
leaving it keeps its request, marked `not_applicable` with SCOPE_LEFT as the
reason (and reopened if the vendor comes back). The statements do not grow
with the number of vendors: one read of the vendors, one of the requests,
then one bulk INSERT and at most two UPDATEs. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from tracker import audit
from tracker.audit import Actor
from tracker.db import db
from tracker.models import Obligation, ObligationVendorScope, Vendor, VendorRequest
from tracker.models.register import PLAN_NOW
from tracker.vendors.scope import Scope, VendorFacts, in_scope, matches

SCOPE_LEFT = "no longer in the obligation's vendor scope"


def scope_of(row: ObligationVendorScope | None) -> Scope | None:
    """The pure scope of a stored scope row (None: the obligation is not vendor-scoped)."""
    if row is None:
        return None
    return Scope.of(row.categories, row.markets, row.keys)


def _facts(vendor_id: int | None = None) -> list[VendorFacts]:
    query = select(Vendor.id, Vendor.key, Vendor.status, Vendor.categories, Vendor.markets)
    if vendor_id is not None:
        query = query.where(Vendor.id == vendor_id)
    return [VendorFacts(row.id, row.key, row.status, tuple(row.categories or ()), tuple(row.markets or ()))
            for row in db.session.execute(query)]


def _audit_rows(actor: Actor, now: datetime, rows: list[tuple[int, str, dict]]) -> list[dict]:
    return [audit.entry(actor, now, action, "vendor_request", request_id, changes)
            for request_id, action, changes in rows]


def _apply(obligation_rows: dict[int, object], wanted: set[tuple[int, int]], existing: list,
           actor: Actor, now: datetime) -> dict[str, int]:
    """Create, close and reopen requests so that exactly the `wanted` (obligation, vendor) pairs are live.

    `existing` are the current requests of the pairs under consideration.
    """
    have = {(row.obligation_id, row.vendor_id): row for row in existing}
    new_pairs = sorted(wanted - set(have))
    leaving = [row.id for pair, row in have.items()
               if pair not in wanted and row.status != "not_applicable"]
    returning = [row.id for pair, row in have.items()
                 if pair in wanted and row.status == "not_applicable" and row.status_reason == SCOPE_LEFT]
    if new_pairs:
        db.session.execute(insert(VendorRequest), [{
            "obligation_id": ob_id, "vendor_id": vendor_id,
            "due_date": obligation_rows[ob_id].due_date, "due_state": obligation_rows[ob_id].due_state,
            "due_precision": obligation_rows[ob_id].due_precision, "revision": 0,
            "due_changed_at": now, "status": "open", "status_reason": "", "status_changed_at": now,
            "next_reminder_at": PLAN_NOW, "created_at": now, "updated_at": now,
        } for ob_id, vendor_id in new_pairs])
        created = db.session.execute(select(VendorRequest.id, VendorRequest.obligation_id, VendorRequest.vendor_id)
                                     .where(VendorRequest.created_at == now,
                                            VendorRequest.obligation_id.in_({p[0] for p in new_pairs}))).all()
        fresh = set(new_pairs)
        audit.log_many(_audit_rows(actor, now, [
            (row.id, "create", {"obligation_id": [None, row.obligation_id], "vendor_id": [None, row.vendor_id],
                                "status": [None, "open"]})
            for row in created if (row.obligation_id, row.vendor_id) in fresh]))
    if leaving:
        db.session.execute(update(VendorRequest).where(VendorRequest.id.in_(leaving)).values(
            status="not_applicable", status_reason=SCOPE_LEFT, status_changed_at=now, updated_at=now,
            next_reminder_at=None).execution_options(synchronize_session=False))
        audit.log_many(_audit_rows(actor, now, [
            (request_id, "update", {"status": [have_status, "not_applicable"], "status_reason": [None, SCOPE_LEFT]})
            for request_id, have_status in ((row.id, row.status) for row in have.values() if row.id in set(leaving))]))
    if returning:
        db.session.execute(update(VendorRequest).where(VendorRequest.id.in_(returning)).values(
            status="open", status_reason="", status_changed_at=now, updated_at=now,
            next_reminder_at=PLAN_NOW).execution_options(synchronize_session=False))
        audit.log_many(_audit_rows(actor, now, [
            (request_id, "update", {"status": ["not_applicable", "open"], "status_reason": [SCOPE_LEFT, ""]})
            for request_id in returning]))
    if leaving or returning:
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, VendorRequest):
                db.session.expire(obj)
    return {"created": len(new_pairs), "closed": len(leaving), "reopened": len(returning)}


def _request_rows(where) -> list:
    return list(db.session.execute(select(VendorRequest.id, VendorRequest.obligation_id, VendorRequest.vendor_id,
                                          VendorRequest.status, VendorRequest.status_reason).where(where)))


def _live_obligation_columns():
    return (Obligation.id, Obligation.due_date, Obligation.due_state, Obligation.due_precision)


def sync_obligation(obligation_id: int, actor: Actor, now: datetime) -> dict[str, int]:
    """Re-evaluate one obligation's scope against every vendor."""
    db.session.flush()
    row = db.session.scalar(select(ObligationVendorScope).where(ObligationVendorScope.obligation_id == obligation_id))
    ob = db.session.execute(select(*_live_obligation_columns()).where(Obligation.id == obligation_id)).one()
    scope = scope_of(row)
    wanted = set() if scope is None else {(obligation_id, vendor_id) for vendor_id in in_scope(scope, _facts())}
    return _apply({obligation_id: ob}, wanted, _request_rows(VendorRequest.obligation_id == obligation_id),
                  actor, now)


def sync_vendor(vendor: Vendor, actor: Actor, now: datetime) -> dict[str, int]:
    """Re-evaluate every live scope against one vendor (after it was created or edited)."""
    db.session.flush()
    facts = _facts(vendor.id)[0]
    scopes = db.session.execute(
        select(ObligationVendorScope, *_live_obligation_columns())
        .join(Obligation, Obligation.id == ObligationVendorScope.obligation_id)
        .where(Obligation.deleted_at.is_(None))).all()
    obligations = {row.id: row for row in scopes}
    wanted = {(row.id, vendor.id) for row in scopes if matches(scope_of(row[0]), facts)}
    existing = [row for row in _request_rows(VendorRequest.vendor_id == vendor.id)
                if row.obligation_id in obligations]
    return _apply(obligations, wanted, existing, actor, now)
