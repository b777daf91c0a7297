"""Vendor-scoped obligations and the status of their requests; each use case owns its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_category, check_jurisdiction, check_key, check_list, check_text, text_value
from tracker.models import Obligation, ObligationVendorScope, Vendor, VendorRequest
from tracker.models.register import PLAN_NOW
from tracker.models.vendors import REQUEST_STATUSES
from tracker.txn import owns_transaction
from tracker.vendors.fanout import scope_of, sync_obligation
from tracker.vendors.scope import Scope, scope_problem

# Statuses that need a reason when set by a person.
REASON_REQUIRED = ("rejected", "waived", "not_applicable")


def check_scope(scope: Scope, known_keys: set[str] | None = None) -> dict[str, str]:
    """Field errors of a scope ({} when it can be stored): its lists, then its shape, then unknown keys."""
    errors = {}
    for name, check, what in (("categories", check_category, "categories"),
                              ("markets", check_jurisdiction, "markets"),
                              ("keys", check_key, "vendor keys")):
        values = getattr(scope, name)
        if values is not None and (problem := check_list(list(values), check, what)):
            errors[name] = problem
    if not errors and (problem := scope_problem(scope)):
        errors["vendors"] = problem
    if not errors and scope.keys is not None:
        known = known_keys if known_keys is not None else set(
            db.session.scalars(select(Vendor.key).where(Vendor.key.in_(scope.keys))))
        unknown = [key for key in scope.keys if key not in known]
        if unknown:
            errors["keys"] = "unknown vendor " + ", ".join(f"'{key}'" for key in unknown)
    return errors


def normalized_scope(categories=None, markets=None, keys=None) -> Scope:
    """A scope from typed lists: stripped, duplicates dropped, empty lists left out."""
    def clean(values):
        if values is None:
            return None
        items = [v.strip() if isinstance(v, str) else v for v in values]
        return list(dict.fromkeys(item for item in items if item != ""))
    return Scope.of(clean(categories), clean(markets), clean(keys))


def scope_row(obligation: Obligation) -> ObligationVendorScope | None:
    """The obligation's stored vendor scope, if it is vendor-scoped."""
    return db.session.scalar(select(ObligationVendorScope)
                             .where(ObligationVendorScope.obligation_id == obligation.id))


@owns_transaction
def set_scope(obligation: Obligation, scope: Scope, actor: Actor, now: datetime | None = None,
              commit: bool = True) -> dict[str, int]:
    """Make the obligation vendor-scoped (or change its scope) and fan out; counts of requests touched."""
    errors = check_scope(scope)
    if errors:
        raise ValidationFailed(errors)
    if obligation.deleted_at is not None:
        raise ValidationFailed({"vendors": "this obligation was deleted"})
    now = now or utcnow()
    row = scope_row(obligation)
    before = scope_of(row).as_dict() if row is not None else {}
    after = scope.as_dict()
    if row is None:
        row = ObligationVendorScope(obligation_id=obligation.id, created_at=now)
        db.session.add(row)
    row.categories = list(scope.categories) if scope.categories is not None else None
    row.markets = list(scope.markets) if scope.markets is not None else None
    row.keys = list(scope.keys) if scope.keys is not None else None
    row.updated_at = now
    if before != after:
        audit.log(actor, "update", obligation, {"vendors": [before or None, after]}, at=now)
    return sync_obligation(obligation.id, actor, now)


@owns_transaction
def clear_scope(obligation: Obligation, actor: Actor, now: datetime | None = None,
                commit: bool = True) -> dict[str, int]:
    """Make the obligation the team's own again; its requests are kept, not applicable."""
    row = scope_row(obligation)
    if row is None:
        return {"created": 0, "closed": 0, "reopened": 0}
    now = now or utcnow()
    audit.log(actor, "update", obligation, {"vendors": [scope_of(row).as_dict(), None]}, at=now)
    db.session.delete(row)
    return sync_obligation(obligation.id, actor, now)


@owns_transaction
def set_request_status(request: VendorRequest, status: str, actor: Actor, reason: str = "",
                       now: datetime | None = None, commit: bool = True) -> bool:
    """Set a request's status (with a reason for rejected, waived and n/a); True when it changed.

    The review pages and the response link build on this; it records who and
    when, and re-plans the request's vendor mail.
    """
    if status not in REQUEST_STATUSES:
        raise ValidationFailed({"status": f"unknown status '{status}'"})
    reason = text_value(reason).strip()
    if problem := check_text(reason, 2000):
        raise ValidationFailed({"reason": problem})
    if status in REASON_REQUIRED and not reason:
        raise ValidationFailed({"reason": f"say why this request is {status.replace('_', ' ')}"})
    before = audit.snapshot(request, ("status", "status_reason"))
    after = {"status": status, "status_reason": reason}
    changes = audit.diff(before, after)
    if not changes:
        return False
    now = now or utcnow()
    request.status, request.status_reason = status, reason
    request.status_changed_at = request.updated_at = now
    if status == "submitted":
        request.submitted_at = now
    if status in ("accepted", "rejected", "waived", "not_applicable"):
        request.reviewed_by_id, request.reviewed_at = actor.user_id, now
    request.next_reminder_at = PLAN_NOW
    db.session.flush()
    db.session.add(_entry(actor, request, changes, now))
    return True


def _entry(actor: Actor, request: VendorRequest, changes: dict, now: datetime):
    from tracker.models import AuditEntry

    return AuditEntry(at=now, actor_id=actor.user_id, actor=actor.label, action="update",
                      entity="vendor_request", entity_id=request.id, entity_key="", changes=changes)
