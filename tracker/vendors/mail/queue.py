"""Putting one vendor email into the outbox together with the items it carries.

The outbox row's `dedupe_key` is derived from the sorted item keys, and each
item key is unique in `vendor_mail_items`: a message is queued once, and an
item is never in two messages (a second planner that raced us to some of the
items gives its message up). Both inserts happen in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select

from tracker.db import db
from tracker.models import OutboxMessage, VendorMailItem
from tracker.txn import in_chunks, insert_ignoring


# The kinds of item that are about one vendor request (its id is the item's `about`).
REQUEST_ITEM_KINDS = frozenset({"vendor_request", "vendor_reminder", "vendor_overdue", "vendor_change"})


@dataclass(frozen=True)
class ItemKey:
    """The key of one item of vendor mail, unique in `vendor_mail_items`: what kind of notice, the
    row it is about (a vendor request for REQUEST_ITEM_KINDS) and what makes it once-only (the
    revision, the lead time, the contact...). Stored as its text, "vendor_reminder:12:3:7:5"."""

    kind: str
    about: int
    once: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        return ":".join(str(part) for part in (self.kind, self.about, *self.once))

    @classmethod
    def parse(cls, text: str) -> ItemKey | None:
        """The key stored as `text`, or None for one that names no row (none is written so)."""
        kind, _, rest = text.partition(":")
        about, _, once = rest.partition(":")
        if not about.isdigit():
            return None
        return cls(kind, int(about), tuple(once.split(":")) if once else ())

    @property
    def request_id(self) -> int | None:
        """The vendor request the item is about, or None for another kind (a receipt, a summary)."""
        return self.about if self.kind in REQUEST_ITEM_KINDS else None


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


def request_ids_of(outbox_id: int) -> set[int]:
    """The vendor requests a queued message's items are about."""
    keys = (ItemKey.parse(text) for text in items_of(outbox_id))
    return {key.request_id for key in keys if key is not None and key.request_id is not None}
