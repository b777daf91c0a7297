"""Writing the whole register as a regulation pack (the import format)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.db import db
from tracker.deadlines import partial_from
from tracker.models import Event, Obligation, Source, Team
from tracker.packs.export_vendors import add_vendor_fields, vendors_section


def _deadline(obligation: Obligation) -> dict[str, Any]:
    if obligation.rule == "fixed":
        when = partial_from(obligation.rule_date, obligation.rule_precision)
        return {"rule": "fixed", "date": when.iso(), "precision": when.precision}
    if obligation.rule == "recurring":
        return {"rule": "recurring", "date": obligation.rule_date.isoformat(), "rrule": obligation.rule_rrule}
    rule = {"rule": "relative", "anchor": obligation.anchor_event.key,
            "offset": obligation.rule_offset, "unit": obligation.rule_unit}
    if obligation.rule_calendar:
        rule["calendar"] = obligation.rule_calendar
    return rule


def _event(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {"key": event.key, "source": event.source.key, "title": event.title,
                            "status": event.status}
    if event.on is not None:
        when = partial_from(event.on, event.precision)
        data["date"] = when.iso()
        data["precision"] = when.precision
    if event.description:
        data["description"] = event.description
    return data


def export_pack(name: str = "register") -> dict[str, Any]:
    """The register as a pack dict; obligations carry read-only computed fields."""
    teams = db.session.scalars(select(Team).options(selectinload(Team.members)).order_by(Team.key))
    sources = db.session.scalars(select(Source).order_by(Source.key))
    events = db.session.scalars(select(Event).options(selectinload(Event.source)).order_by(Event.id))
    obligations = db.session.scalars(
        select(Obligation)
        .where(Obligation.deleted_at.is_(None))
        .options(selectinload(Obligation.events), selectinload(Obligation.team),
                 selectinload(Obligation.owner), selectinload(Obligation.anchor_event))
        .order_by(Obligation.id)
    )
    exported = [_obligation(o) | {"_id": o.id} for o in obligations]
    add_vendor_fields(exported)
    pack = {
        "pack": name,
        "teams": [
            {"key": t.key, "name": t.name, "timezone": t.timezone,
             "members": [{"email": u.email, "name": u.name, "role": u.role} for u in t.members]}
            for t in teams
        ],
        "sources": [
            {"key": s.key, "title": s.title, "kind": s.kind, "jurisdiction": s.jurisdiction,
             "citation": s.citation, "url": s.url, "summary": s.summary}
            for s in sources
        ],
        "events": [_event(e) for e in events],
        "obligations": exported,
    }
    vendors = vendors_section()
    if vendors:
        pack["vendors"] = vendors
    return pack


def _obligation(o: Obligation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": o.key, "title": o.title, "team": o.team.key,
        "events": [e.key for e in o.events], "deadline": _deadline(o),
    }
    if o.owner is not None:
        data["owner"] = o.owner.email
    if o.description:
        data["description"] = o.description
    data.update({
        "due_date": o.due_date.isoformat() if o.due_date else None,
        "due_state": o.due_state, "revision": o.revision, "status": o.status,
    })
    return data


def export_pack_json(name: str = "register") -> str:
    """The register as pack JSON text (UTF-8, stable key order)."""
    return json.dumps(export_pack(name), indent=2, ensure_ascii=False) + "\n"
