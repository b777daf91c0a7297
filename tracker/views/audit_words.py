"""The audit trail in words: field labels and formatted values, ids replaced by names.

Used by every page that shows an audit trail (obligation, vendor, vendor request). Names are
looked up in one query per kind of id for the whole trail, not per line.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from tracker.db import db
from tracker.vocabulary import field_label, format_value

ACTION_WORDS = {"create": "Created", "update": "Changed", "delete": "Deleted", "status": "Status changed",
                "record": "Recorded", "link": "Link", "review": "Reviewed"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


def _id_models():
    from tracker.models import Event, Obligation, Source, Team, User
    from tracker.models.vendors import Vendor, VendorContact

    return {"team_id": (Team, "name"), "owner_id": (User, "name"), "actor_id": (User, "name"),
            "obligation_id": (Obligation, "title"), "vendor_id": (Vendor, "name"), "source_id": (Source, "title"),
            "anchor_event_id": (Event, "title"), "event_id": (Event, "title"), "event_ids": (Event, "title"),
            "contact_id": (VendorContact, "name")}


def _names(entries) -> dict[str, dict]:
    models = _id_models()
    wanted: dict[str, set] = {}
    for entry in entries:
        for name, pair in (entry.changes or {}).items():
            if name in models and isinstance(pair, (list, tuple)):
                for value in pair:
                    values = value if isinstance(value, list) else [value]
                    wanted.setdefault(name, set()).update(v for v in values if isinstance(v, int))
    names: dict[str, dict] = {}
    for field, ids in wanted.items():
        model, column = models[field]
        rows = db.session.execute(select(model.id, getattr(model, column)).where(model.id.in_(ids))).all()
        names[field] = {row[0]: row[1] for row in rows}
    return names


def audit_words(entries) -> dict[int, list[Change]]:
    """Each entry's changes as (label, old, new) in words, keyed by the entry's id."""
    names = _names(entries)
    out = {}
    for entry in entries:
        changes = []
        for name, pair in (entry.changes or {}).items():
            old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
            lookup = names.get(name)
            changes.append(Change(field_label(name), format_value(old, lookup), format_value(new, lookup)))
        out[entry.id] = changes
    return out


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())


def register(app: Flask) -> None:
    app.jinja_env.globals.update(audit_words=audit_words, action_words=action_words)
