"""Importing a pack's vendors and the vendor scopes of its obligations (inside the pack's transaction).

Vendors are matched by key and contacts by email: a re-import changes nothing,
an edited pack updates in place through the vendor services (audit log, scopes
re-evaluated). Contacts missing from the pack are kept, as team members are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.audit import Actor
from tracker.db import db
from tracker.models import Obligation, User, Vendor
from tracker.packs.specs import Pack, VendorSpec
from tracker.vendors.fanout import scope_of
from tracker.vendors.operations import add_contact, create_vendor, update_contact, update_vendor
from tracker.vendors.requests import scope_row, set_scope
from tracker.vendors.scope import Scope


def _values(spec: VendorSpec, teams: dict, owners: dict) -> dict:
    owner = owners.get(spec.owner) if spec.owner else None
    return {"key": spec.key, "name": spec.name, "website": spec.website or "", "country": spec.country or "",
            "categories": list(spec.categories), "markets": list(spec.markets), "status": spec.status,
            "team_id": teams[spec.team].id, "owner_id": owner.id if owner else None, "notes": spec.notes or ""}


def import_vendors(pack: Pack, teams: dict, actor: Actor, now: datetime, report) -> None:
    """Create or update each vendor of the pack, with its contacts."""
    if not pack.vendors:
        return
    db.session.flush()
    existing = {v.key: v for v in db.session.scalars(select(Vendor).options(selectinload(Vendor.contacts)))}
    owners = {u.email: u for u in db.session.scalars(select(User))}
    for spec in pack.vendors:
        values = _values(spec, teams, owners)
        vendor = existing.get(spec.key)
        contacts = [{"name": c.name, "email": c.email, "role": c.role} for c in spec.contacts]
        if vendor is None:
            create_vendor(actor, now=now, commit=False, contacts=contacts, **values)
            report.created["vendors"] += 1
            continue
        changed = update_vendor(vendor, actor, now=now, commit=False, **values)
        by_email = {c.email: c for c in vendor.contacts}
        for contact in contacts:
            known = by_email.get(contact["email"])
            if known is None:
                add_contact(vendor, actor, now=now, commit=False, **contact)
                changed = True
            elif (known.name, known.role) != (contact["name"], contact["role"]):
                changed = update_contact(known, actor, now=now, commit=False, **contact) or changed
        (report.updated if changed else report.unchanged)["vendors"] += 1


def import_vendor_scopes(pack: Pack, actor: Actor, now: datetime, report) -> None:
    """Set the scope of each vendor-scoped obligation of the pack (fanning out its requests)."""
    if not pack.vendor_scopes:
        return
    db.session.flush()  # ids of the obligations created by the import
    keys = [spec.obligation for spec in pack.vendor_scopes]
    obligations = {o.key: o for o in db.session.scalars(select(Obligation).where(Obligation.key.in_(keys)))}
    for spec in pack.vendor_scopes:
        obligation = obligations[spec.obligation]
        wanted = Scope(spec.categories, spec.markets, spec.keys)
        if scope_of(scope_row(obligation)) == wanted:
            continue
        counts = set_scope(obligation, wanted, actor, now=now, commit=False)
        report.created["vendor requests"] += counts["created"]
