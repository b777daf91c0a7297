"""Writing the append-only audit log: who changed which fields of what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import insert, inspect

from tracker.clock import utcnow
from tracker.db import db
from tracker.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is making a change: a user, or a named process such as the CLI."""

    user_id: int | None
    label: str

    @classmethod
    def of(cls, user) -> Actor:
        """The actor for a signed-in user."""
        return cls(user_id=user.id, label=user.email)


CLI = Actor(user_id=None, label="command line")
SYSTEM = Actor(user_id=None, label="system")
IDENTITY_PROVIDER = Actor(user_id=None, label="identity provider")

ENTITY_NAMES = {
    "Source": "source",
    "Event": "event",
    "Obligation": "obligation",
    "Team": "team",
    "User": "user",
    "Channel": "channel",
    "Watch": "watch",
    "Proposal": "proposal",
    "Vendor": "vendor",
    "VendorContact": "vendor_contact",
    "VendorRequest": "vendor_request",
    "Comment": "comment",
    "ObligationEvidence": "obligation_evidence",
    "ObligationVendorScope": "vendor_scope",
    "OidcGroupMapping": "group_mapping",
    "OutboxMessage": "outbox_message",
    "OrganizationSettings": "organization",
}
# Never copied into the log, whatever changed.
SECRET_FIELDS = {"password_hash"}


def jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO text, everything else as is."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` of a model instance, as JSON-able values."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [old, new]}, secrets masked."""
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = ["***", "***"] if name in SECRET_FIELDS else [old, new]
    return changes


def column_names(model: type) -> list[str]:
    """Every column attribute of a model, for creation and deletion snapshots."""
    return [attr.key for attr in inspect(model).column_attrs]


def log(actor: Actor, action: str, obj: Any, changes: dict[str, Any], at: datetime | None = None) -> None:
    """Append one entry for `obj`; the caller's transaction commits it."""
    db.session.flush()
    db.session.add(
        AuditEntry(
            at=at or utcnow(),
            actor_id=actor.user_id,
            actor=actor.label,
            action=action,
            entity=ENTITY_NAMES[type(obj).__name__],
            entity_id=obj.id,
            entity_key=getattr(obj, "key", None) or getattr(obj, "email", "") or "",
            changes=changes,
        )
    )


def log_created(actor: Actor, obj: Any, at: datetime | None = None) -> None:
    """Log a creation with every initial field value."""
    db.session.flush()
    values = snapshot(obj, column_names(type(obj)))
    log(actor, "create", obj, diff({}, {k: v for k, v in values.items() if v is not None}), at)


def entry(actor: Actor, at: datetime, action: str, entity: str, entity_id: int, changes: dict[str, Any],
          entity_key: str = "") -> dict[str, Any]:
    """One prepared entry for `log_many`: the log's columns are named here only, never by a caller."""
    return {"at": at, "actor_id": actor.user_id, "actor": actor.label, "action": action, "entity": entity,
            "entity_id": entity_id, "entity_key": entity_key or "", "changes": changes}


def log_many(rows: list[dict[str, Any]]) -> None:
    """Bulk-append prepared entries (one statement, for imports of thousands)."""
    if rows:
        db.session.execute(insert(AuditEntry), rows)


def update_fields(actor: Actor, obj: Any, values: dict[str, Any], now: datetime | None = None) -> bool:
    """Set the fields of `obj` that differ from `values`, bump `updated_at` and log them.

    Returns True when anything changed; nothing is written (not even the log)
    when nothing did. The caller owns the transaction.
    """
    changes = diff(snapshot(obj, values), {name: jsonable(value) for name, value in values.items()})
    if not changes:
        return False
    for name, value in values.items():
        setattr(obj, name, value)
    now = now or utcnow()
    obj.updated_at = now
    log(actor, "update", obj, changes, at=now)
    return True
