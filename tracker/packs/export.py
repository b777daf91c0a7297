"""Writing the whole register as a regulation pack (the import format)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.clock import local_today
from tracker.db import db
from tracker.deadlines import partial_from
from tracker.register.chains import deadline_json
from tracker.models import Event, Obligation, Source, Team
from tracker.packs.watches import watch_of
from tracker.packs.export_vendors import add_vendor_fields, vendors_section


def _deadline(obligation: Obligation, key_of: dict[int, str]) -> dict[str, Any]:
    """The obligation's rule in the pack's JSON form (the engine's), anchors as event keys."""
    return deadline_json(obligation, key_of)


def _event(event: Event, key_of: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"key": event.key, "source": event.source.key, "title": event.title}
    if event.is_derived:
        data["derived"] = {"from": key_of[event.derived_from_event_id], "offset": event.derived_offset,
                           "unit": event.derived_unit}
        if event.derived_calendar:
            data["derived"]["calendar"] = event.derived_calendar
        if event.description:
            data["description"] = event.description
        return data
    data["status"] = event.status
    if event.on is not None:
        when = partial_from(event.on, event.precision)
        data["date"] = when.iso()
        data["precision"] = when.precision
    if event.description:
        data["description"] = event.description
    return data


def _source(s: Source, keys: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"key": s.key, "title": s.title, "kind": s.kind, "jurisdiction": s.jurisdiction,
                            "citation": s.citation, "url": s.url, "summary": s.summary}
    watch = watch_of(s, keys)
    if watch is not None:
        data["watch"] = watch
    return data


def export_pack(name: str = "register") -> dict[str, Any]:
    """The register as a pack dict; obligations carry read-only computed fields."""
    teams = db.session.scalars(select(Team).options(selectinload(Team.members)).order_by(Team.key))
    sources = db.session.scalars(select(Source).order_by(Source.key))
    events = list(db.session.scalars(select(Event).options(selectinload(Event.source)).order_by(Event.id)))
    key_of = {e.id: e.key for e in events}
    obligations = db.session.scalars(
        select(Obligation)
        .where(Obligation.deleted_at.is_(None))
        .options(selectinload(Obligation.events), selectinload(Obligation.team),
                 selectinload(Obligation.owner), selectinload(Obligation.anchor_event))
        .order_by(Obligation.id)
    )
    evidence = _evidence_by_obligation()
    exported = [_obligation(o, key_of, evidence) | {"_id": o.id} for o in obligations]
    member_role = _member_roles()
    add_vendor_fields(exported)
    pack = {
        "pack": name,
        "teams": [
            {"key": t.key, "name": t.name, "timezone": t.timezone,
             "members": [{"email": u.email, "name": u.name, "role": member_role(t, u)} for u in t.members]}
            for t in teams
        ],
        "sources": [_source(s, key_of) for s in sources],
        "events": [_event(e, key_of) for e in _bases_first(events)],
        "obligations": exported,
    }
    vendors = vendors_section()
    if vendors:
        pack["vendors"] = vendors
    return pack


def _bases_first(events: list[Event]) -> list[Event]:
    """Events by id, but each derived event after the event it derives from (a pack refers back only)."""
    placed: set[int] = set()
    ordered: list[Event] = []
    pending = list(events)
    while pending:
        rest = []
        for e in pending:
            if e.derived_from_event_id is None or e.derived_from_event_id in placed:
                ordered.append(e)
                placed.add(e.id)
            else:
                rest.append(e)
        if len(rest) == len(pending):  # pragma: no cover - cycles are refused on the way in
            ordered.extend(rest)
            break
        pending = rest
    return ordered


def _evidence_by_obligation() -> dict[int, list[dict]]:
    """Each obligation's current evidence as the pack shows it (one query)."""
    from tracker.models import ObligationEvidence

    found: dict[int, list[dict]] = {}
    for e in db.session.scalars(select(ObligationEvidence).where(ObligationEvidence.removed_at.is_(None))
                                .order_by(ObligationEvidence.obligation_id, ObligationEvidence.id)):
        item = {"kind": e.kind, "title": e.title}
        if e.kind == "file":
            item.update(filename=e.filename, content_type=e.content_type, size=e.size, sha256=e.sha256)
        else:
            item["url"] = e.url
        item["valid_until"] = e.valid_until.isoformat() if e.valid_until else None
        found.setdefault(e.obligation_id, []).append(item)
    return found


def _obligation(o: Obligation, key_of: dict[int, str],
                evidence_by_obligation: dict[int, list[dict]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": o.key, "title": o.title, "team": o.team.key,
        "events": [e.key for e in o.events], "deadline": _deadline(o, key_of),
    }
    if o.owner is not None:
        data["owner"] = o.owner.email
    if o.description:
        data["description"] = o.description
    data["priority"] = o.priority or "normal"
    if o.tags:
        data["tags"] = list(o.tags)
    if evidence_by_obligation and o.id in evidence_by_obligation:
        # Read-only on import, like the computed fields: the proof, with each file's SHA-256.
        data["evidence"] = evidence_by_obligation[o.id]
    data.update({
        "due_date": o.due_date.isoformat() if o.due_date else None,
        "due_state": o.due_state, "revision": o.revision, "status": o.status,
        # Read-only, as of the export: projected from an estimate that has passed (tracker.register.estimates).
        "stale_estimate": o.waits_on_stale_estimate(local_today(o.team.timezone)),
    })
    return data


def export_pack_json(name: str = "register") -> str:
    """The register as pack JSON text (UTF-8, stable key order)."""
    return json.dumps(export_pack(name), indent=2, ensure_ascii=False) + "\n"


def _member_roles():
    """role(team, user): 'admin' for a deployment admin, else the user's role in that team (one query)."""
    from tracker.models import team_members
    from tracker.people.permissions import _membership_role

    stored = {(team_id, user_id): role for team_id, user_id, role in db.session.execute(
        select(team_members.c.team_id, team_members.c.user_id, team_members.c.role))}

    def role(team, user) -> str:
        if user.role == "admin":
            return "admin"
        return _membership_role(stored.get((team.id, user.id)), user)

    return role
