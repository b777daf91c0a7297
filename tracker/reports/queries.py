"""The few reads the report assembly shares: audit changes by row, users by id, chunked IN lists."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator

from sqlalchemy import String, cast, select

from tracker.db import db
from tracker.models import AuditEntry, User
from tracker.reports.history import Change
from tracker.txn import in_chunks

def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """`ids` sorted and unique, in slices short enough for an IN list (txn.in_chunks)."""
    return in_chunks(sorted(set(ids)))


def audit_changes(entity: str, ids: Iterable[int]) -> dict[int, list[tuple[Change, str]]]:
    """Each row's audit entries as (Change, actor label), oldest first."""
    found: dict[int, list[tuple[Change, str]]] = defaultdict(list)
    for part in chunks(ids):
        rows = db.session.execute(
            select(AuditEntry.entity_id, AuditEntry.at, AuditEntry.changes, AuditEntry.actor)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(part))
            .order_by(AuditEntry.at, AuditEntry.id))
        for entity_id, at, changes, actor in rows:
            found[entity_id].append((Change(at, changes or {}), actor))
    return found


def ids_with_changed_field(entity: str, field_name: str):
    """A select of the ids of `entity` rows whose audit log ever changed `field_name`.

    The changes are JSON; matching the quoted name in their text works alike on
    SQLite and PostgreSQL, and only narrows candidates (the reconstruction decides).
    """
    return (select(AuditEntry.entity_id)
            .where(AuditEntry.entity == entity, AuditEntry.action == "update",
                   cast(AuditEntry.changes, String).like(f'%"{field_name}"%')))


def user_labels(ids: Iterable[int | None]) -> dict[int, str]:
    """Users by id as their email (how packs and the API name owners)."""
    wanted = {i for i in ids if i is not None}
    labels: dict[int, str] = {}
    for part in chunks(wanted):
        labels.update((user_id, email) for user_id, email in db.session.execute(select(User.id, User.email).where(User.id.in_(part))))
    return labels
