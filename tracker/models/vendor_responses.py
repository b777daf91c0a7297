"""Tables of the vendor response side: contacts' calendar feed tokens and vendor mail items.

A vendor email may list several requests (one email per contact per cause);
`vendor_mail_items` holds one row per (request, revision, kind, lead time,
contact) that went into a message, under a unique key, so no item is ever put
into two messages and a pass can tell which items are still owed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.vendors import VendorContact


class VendorContactFeedToken(Base):
    """The secret of a contact's own calendar feed (what their company owes us); stored as for team feeds."""

    __tablename__ = "vendor_contact_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("vendor_contacts.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[VendorContact] = relationship()

    @property
    def token(self) -> str | None:
        from tracker.sealing import unseal

        return unseal(self.digest, self.sealed)


class VendorMailItem(Base):
    """One item (a request at a revision, a kind, a lead time, a contact or member) put into one outbox message."""

    __tablename__ = "vendor_mail_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), unique=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
