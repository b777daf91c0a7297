"""Putting one vendor email into the outbox together with the items it carries.

The outbox row's `dedupe_key` is derived from the sorted item keys, and each
item key is unique in `vendor_mail_items`: a message is queued once, and an
item is never in two messages (a second planner that raced us to some of the
items gives its message up). Both inserts happen in the caller's transaction.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select

from tracker.db import db
from tracker.models import OutboxMessage, VendorMailItem
from tracker.txn import in_chunks, insert_ignoring


def present_keys(keys: list[str]) -> set[str]:
    """Which of these item keys are already in some message."""
    found: set[str] = set()
    for chunk in in_chunks(keys):
        found.update(db.session.scalars(select(VendorMailItem.item_key).where(VendorMailItem.item_key.in_(chunk))))
    return found


def queue(values: dict, item_keys: list[str]) -> bool:
    """Insert the message and its items; False (nothing kept) when any item is already taken."""
    keys = sorted(set(item_keys))
    if not keys:
        return False
    who = f"c{values['vendor_contact_id']}" if values.get("vendor_contact_id") else f"u{values['recipient_id']}"
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
    values = dict(values, dedupe_key=f"{values['kind']}:{who}:{digest}")
    outbox = OutboxMessage.__table__
    inserted = db.session.execute(insert_ignoring(outbox, ["dedupe_key"]).returning(outbox.c.id), [values]).all()
    if not inserted:
        return False
    outbox_id = inserted[0][0]
    items = VendorMailItem.__table__
    rows = [{"item_key": key, "outbox_id": outbox_id, "created_at": values["created_at"]} for key in keys]
    taken = db.session.execute(insert_ignoring(items, ["item_key"]).returning(items.c.item_key), rows).all()
    if len(taken) != len(keys):
        # Another planner queued some of these items meanwhile: undo ours, theirs stands.
        db.session.execute(delete(items).where(items.c.outbox_id == outbox_id))
        db.session.execute(delete(outbox).where(outbox.c.id == outbox_id))
        return False
    return True


def items_of(outbox_id: int) -> list[str]:
    return list(db.session.scalars(select(VendorMailItem.item_key).where(VendorMailItem.outbox_id == outbox_id)))
