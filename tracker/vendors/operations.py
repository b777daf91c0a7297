"""Vendor use cases: create, edit, offboard, and the contacts; each owns its transaction.

Every change that can move a vendor into or out of a scope (categories,
markets, status) re-evaluates the vendor's requests in the same transaction
(tracker.vendors.fanout).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.fields import (
    TITLE_MAX,
    check_category,
    check_country,
    check_jurisdiction,
    check_key,
    check_line,
    check_list,
    check_text,
    check_url,
    line_value,
    normalize_email,
    text_value,
)
from tracker.models import OutboxMessage, Team, User, Vendor, VendorContact
from tracker.models.vendors import CONTACT_ROLES, VENDOR_STATUSES
from tracker.register.queries import require_unique
from tracker.txn import owns_transaction
from tracker.vendors.fanout import sync_vendor

VENDOR_FIELDS = ("key", "name", "website", "country", "categories", "markets", "status",
                 "team_id", "owner_id", "notes")
CONTACT_FIELDS = ("name", "email", "role", "reminders_opt_out")


def _cleaned(values: dict) -> dict:
    """Values as they are stored: text stripped, lists without duplicates."""
    out = {}
    for name in VENDOR_FIELDS:
        value = values.get(name)
        if name in ("categories", "markets"):
            # Stripped and without duplicates, never re-cased: a pack refuses 'us-ca', so do the
            # services (the form upper-cases what is typed, as for a source's jurisdiction).
            items = [item.strip() if isinstance(item, str) else item for item in list(value or [])]
            out[name] = list(dict.fromkeys(items))
        elif name in ("team_id", "owner_id"):
            out[name] = value
        elif name == "notes":
            out[name] = text_value(value)
        else:
            out[name] = line_value(value)
    out["status"] = out["status"] or "active"
    return out


def _check_vendor(values: dict) -> None:
    errors = {}
    if problem := check_key(values["key"]):
        errors["key"] = problem
    if problem := check_line(values["name"], TITLE_MAX, required=True):
        errors["name"] = problem
    if problem := check_url(values["website"]):
        errors["website"] = problem
    if problem := check_country(values["country"]):
        errors["country"] = problem
    if problem := check_list(values["categories"], check_category, "categories"):
        errors["categories"] = problem
    if problem := check_list(values["markets"], check_jurisdiction, "markets"):
        errors["markets"] = problem
    if values["status"] not in VENDOR_STATUSES:
        errors["status"] = f"unknown status '{values['status']}' (expected one of {', '.join(VENDOR_STATUSES)})"
    if values["team_id"] is None or db.session.get(Team, values["team_id"]) is None:
        errors["team_id"] = "choose the team that manages this vendor"
    if values["owner_id"] is not None and db.session.get(User, values["owner_id"]) is None:
        errors["owner_id"] = "unknown user"
    if problem := check_text(values["notes"], 10000):
        errors["notes"] = problem
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_vendor(actor: Actor, now: datetime | None = None, commit: bool = True,
                  contacts: list[dict] | None = None, **values) -> Vendor:
    """Add a vendor (and its contacts); it gains a request for every scope it falls in."""
    values = _cleaned(values)
    _check_vendor(values)
    require_unique(Vendor.key, values["key"], noun="a vendor")
    now = now or utcnow()
    vendor = Vendor(created_at=now, updated_at=now, **values)
    db.session.add(vendor)
    audit.log_created(actor, vendor, at=now)
    for index, contact in enumerate(contacts or []):
        try:
            add_contact(vendor, actor, now=now, commit=False, **contact)
        except ValidationFailed as exc:
            raise ValidationFailed({f"contacts/{index}/{name}": reason
                                    for name, reason in exc.errors.items()}) from None
    sync_vendor(vendor, actor, now)
    return vendor


@owns_transaction
def update_vendor(vendor: Vendor, actor: Actor, now: datetime | None = None, commit: bool = True,
                  **values) -> bool:
    """Edit a vendor's fields; True when anything changed. Scopes are re-evaluated."""
    merged = _cleaned({name: values.get(name, getattr(vendor, name)) for name in VENDOR_FIELDS})
    _check_vendor(merged)
    require_unique(Vendor.key, merged["key"], noun="a vendor", except_id=vendor.id)
    now = now or utcnow()
    offboarding = merged.get("status") == "offboarded" and vendor.status != "offboarded"
    changed = audit.update_fields(actor, vendor, merged, now)
    if changed:
        db.session.flush()
        sync_vendor(vendor, actor, now)
    if offboarding:
        from tracker.vendors.contact_feeds import revoke_vendor_feeds

        revoke_vendor_feeds(vendor.id, actor, "vendor offboarded", now)
    return changed


@owns_transaction
def offboard_vendor(vendor: Vendor, actor: Actor, now: datetime | None = None, commit: bool = True) -> bool:
    """Mark a vendor offboarded: it leaves every scope; its requests are kept, not applicable."""
    if vendor.status == "offboarded":
        return False
    return update_vendor(vendor, actor, now=now, commit=False, status="offboarded")


@owns_transaction
def delete_vendor(vendor: Vendor, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete a vendor that never had a request (otherwise offboard it: its history stays)."""
    from tracker.models import VendorRequest

    if db.session.scalar(select(VendorRequest.id).where(VendorRequest.vendor_id == vendor.id).limit(1)):
        raise Conflict("this vendor has requests; offboard it instead, so their history is kept")
    now = now or utcnow()
    audit.log(actor, "delete", vendor, audit.diff(audit.snapshot(vendor, VENDOR_FIELDS), {}), at=now)
    for contact in list(vendor.contacts):
        _forget_contact_mail(contact)
    db.session.delete(vendor)


# ---- contacts ----

def _contact_values(values: dict) -> dict:
    errors = {}
    name = line_value(values.get("name"))
    if problem := check_line(name, TITLE_MAX):
        errors["name"] = problem
    email, problem = normalize_email(values.get("email"))
    if problem:
        errors["email"] = problem
    role = line_value(values.get("role")) or "primary"
    if role not in CONTACT_ROLES:
        errors["role"] = f"unknown role '{role}' (expected primary or secondary)"
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "email": email, "role": role,
            "reminders_opt_out": bool(values.get("reminders_opt_out", False))}


@owns_transaction
def add_contact(vendor: Vendor, actor: Actor, now: datetime | None = None, commit: bool = True,
                **values) -> VendorContact:
    """Add a contact (name, email, role primary or secondary) to a vendor."""
    values = _contact_values(values)
    db.session.flush()
    if db.session.scalar(select(VendorContact.id).where(VendorContact.vendor_id == vendor.id,
                                                         VendorContact.email == values["email"])):
        raise Conflict(f"this vendor already has a contact with email '{values['email']}'", field="email")
    now = now or utcnow()
    contact = VendorContact(vendor=vendor, created_at=now, **values)
    db.session.add(contact)
    db.session.flush()
    audit.log(actor, "update", vendor, {"contacts": [None, f"+{contact.email} ({contact.role})"]}, at=now)
    vendor.updated_at = now
    return contact


@owns_transaction
def update_contact(contact: VendorContact, actor: Actor, now: datetime | None = None, commit: bool = True,
                   **values) -> bool:
    """Edit a contact; True when anything changed."""
    merged = _contact_values({name: values.get(name, getattr(contact, name)) for name in CONTACT_FIELDS})
    if merged["email"] != contact.email and db.session.scalar(select(VendorContact.id).where(
            VendorContact.vendor_id == contact.vendor_id, VendorContact.email == merged["email"])):
        raise Conflict(f"this vendor already has a contact with email '{merged['email']}'", field="email")
    changes = audit.diff(audit.snapshot(contact, CONTACT_FIELDS), merged)
    if not changes:
        return False
    for name, value in merged.items():
        setattr(contact, name, value)
    now = now or utcnow()
    contact.vendor.updated_at = now
    audit.log(actor, "update", contact.vendor,
              {f"contact {contact.id} {name}": change for name, change in changes.items()}, at=now)
    return True


def _forget_contact_mail(contact: VendorContact) -> None:
    # The outbox keeps what was sent (with the address); only the link to the contact goes.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.vendor_contact_id == contact.id)
                       .values(vendor_contact_id=None).execution_options(synchronize_session=False))


@owns_transaction
def remove_contact(contact: VendorContact, actor: Actor, now: datetime | None = None,
                   commit: bool = True) -> None:
    """Remove a contact from its vendor (mail already sent to them stays in the outbox)."""
    vendor = contact.vendor
    now = now or utcnow()
    audit.log(actor, "update", vendor, {"contacts": [f"-{contact.email} ({contact.role})", None]}, at=now)
    _forget_contact_mail(contact)
    vendor.contacts.remove(contact)
    db.session.delete(contact)  # its feed tokens go with it
    vendor.updated_at = now
    _rotate_links(vendor, actor, now)


def _rotate_links(vendor, actor: Actor, now: datetime) -> None:
    """A removed contact still knows the vendor's response links (they are per request, shared):
    every live link of an owed request is replaced, and the new one mailed to the remaining contacts."""
    from tracker.models import VendorLink, VendorRequest
    from tracker.models.vendors import REQUEST_OWED_STATUSES
    from tracker.vendors.links import replace_and_resend

    db.session.flush()
    requests = db.session.scalars(select(VendorRequest).where(
        VendorRequest.vendor_id == vendor.id, VendorRequest.status.in_(REQUEST_OWED_STATUSES),
        VendorRequest.id.in_(select(VendorLink.request_id).where(VendorLink.revoked_at.is_(None),
                                                                 VendorLink.replaced_at.is_(None))))).all()
    for request in requests:
        replace_and_resend(request, actor, now=now, commit=False)
