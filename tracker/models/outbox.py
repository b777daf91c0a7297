"""The mail outbox and the record of reminder passes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import User

# Every kind of email the tracker sends. The first four are the team's deadline
# mail; the rest are reserved for channels (an admin told a channel was
# disabled), regulator watches (a new proposal) and vendor contacts.
MESSAGE_KINDS = ("reminder", "overdue", "change", "digest", "channel_disabled", "proposal",
                 "vendor_request", "vendor_reminder", "vendor_overdue", "vendor_change",
                 "vendor_receipt", "vendor_rejected", "vendor_reopened", "vendor_progress",
                 "stale_estimate")
KIND_CHECK = "kind in (" + ", ".join(f"'{kind}'" for kind in MESSAGE_KINDS) + ")"
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


class OutboxMessage(Base):
    """One rendered email to one recipient, and what happened to it.

    `dedupe_key` is the at-most-once guarantee: the planner inserts with
    ON CONFLICT DO NOTHING, so a second pass (or a second scheduler) can never
    queue the same reminder twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(KIND_CHECK, name="kind"),
        CheckConstraint("status in ('pending', 'sending', 'sent', 'failed', 'cancelled')", name="status"),
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    obligation_id: Mapped[int | None] = mapped_column(
        ForeignKey("obligations.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revision: Mapped[int | None] = mapped_column(Integer)
    # Lead time in days (reminders), days overdue (overdue notices).
    lead_days: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    unsubscribe_url: Mapped[str] = mapped_column(String(2000), default="")
    # The complete message as sent, built once when planned: the same bytes
    # (Message-ID, Date, body) on every attempt, and no MIME work while sending.
    mime: Mapped[bytes] = mapped_column(LargeBinary)

    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Mail to a vendor contact (not a user): the contact and the request it is about.
    # Added to an existing table by a plain ADD COLUMN, so no ON DELETE (see
    # migration 0017): removing a contact clears these first.
    vendor_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendor_contacts.id"), index=True)
    vendor_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendor_requests.id"), index=True)

    recipient_user: Mapped[User | None] = relationship()
    items: Mapped[list[OutboxItem]] = relationship(back_populates="message", order_by="OutboxItem.id")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.dedupe_key} {self.status}>"


ITEM_KINDS = ("reminder", "overdue", "change")
ITEM_STATUSES = ("queued", "left_out")


class OutboxItem(Base):
    """One deadline in one email: the unit of the at-most-once and nothing-lost guarantees.

    The unique key (obligation, revision, kind, lead time, recipient) is what a
    reminder owes. The planner inserts items with ON CONFLICT DO NOTHING; the
    grouping step puts items with no message yet into one message per
    recipient and cause (or send time), so an item is in at most one message.
    An item whose obligation is done, waived, deleted or moved by the time its
    message goes out is `left_out` (the message is rebuilt without it).
    """

    __tablename__ = "outbox_items"
    __table_args__ = (
        UniqueConstraint("obligation_id", "revision", "kind", "lead_days", "recipient_id"),
        CheckConstraint("kind in ('reminder', 'overdue', 'change')", name="kind"),
        CheckConstraint("status in ('queued', 'left_out')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer)
    # Lead time in days (reminders), days overdue (overdue notices), 0 (change notices).
    lead_days: Mapped[int] = mapped_column(Integer)
    # What moved the deadline (change notices): change_causes.id, or none for an older history row.
    cause_id: Mapped[int | None] = mapped_column(Integer)
    history_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[OutboxMessage | None] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<OutboxItem {self.kind}:{self.obligation_id}:{self.revision}:{self.lead_days}:{self.recipient_id}>"


class ReminderRun(Base):
    """One reminder pass (planning + dispatch), for /healthz and the outbox page."""

    __tablename__ = "reminder_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planned: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    retried: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
