"""Vendors, their contacts, vendor-scoped obligations and the requests they fan out into.

A vendor request is the per-vendor copy of a vendor-scoped obligation's
deadline: its due date, due state and revision come from the obligation's rule
through the same engine and recompute path, so they are stored, indexed columns
like the obligation's own. Evidence files are kept in the database (in chunks,
so an upload can stream) so every web worker and every backup has them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import Team, User
from tracker.models.register import PLAN_NOW, Obligation

VENDOR_STATUSES = ("active", "prospective", "offboarded")
CONTACT_ROLES = ("primary", "secondary")
REQUEST_STATUSES = ("open", "submitted", "accepted", "rejected", "waived", "not_applicable")
# Statuses in which the vendor still owes an answer: these can be overdue.
REQUEST_OWED_STATUSES = ("open", "rejected")
# Statuses whose contacts hear that the deadline moved (accepted, waived and n/a: nothing is owed).
TOLD_OF_CHANGES = ("open", "rejected", "submitted")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in (" + ", ".join(f"'{value}'" for value in values) + ")"


class Vendor(Base):
    """A supplier we collect certifications and evidence from."""

    __tablename__ = "vendors"
    __table_args__ = (CheckConstraint(_in("status", VENDOR_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    website: Mapped[str] = mapped_column(String(2000), default="")
    country: Mapped[str] = mapped_column(String(10), default="")
    categories: Mapped[list] = mapped_column(JSON, default=list)
    markets: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    owner: Mapped[User | None] = relationship()
    contacts: Mapped[list[VendorContact]] = relationship(
        back_populates="vendor", order_by="(VendorContact.role, VendorContact.id)",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Vendor {self.key} {self.status}>"


class VendorContact(Base):
    """A person at a vendor who answers our requests. Never a user: no sign-in."""

    __tablename__ = "vendor_contacts"
    __table_args__ = (
        CheckConstraint(_in("role", CONTACT_ROLES), name="role"),
        UniqueConstraint("vendor_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(10), default="primary")
    # Reminders and overdue notices only; the request itself and change notices still go.
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<VendorContact {self.email} of {self.vendor_id}>"


class ObligationVendorScope(Base):
    """Which vendors an obligation is collected from: makes it vendor-scoped.

    Either `keys` (explicit vendor keys) or `categories` (all must match) and
    `markets` (one must match); a None list matches every vendor. See
    tracker.vendors.scope for the matching rule.
    """

    __tablename__ = "obligation_vendor_scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("obligations.id", ondelete="CASCADE"), unique=True)
    categories: Mapped[list | None] = mapped_column(JSON)
    markets: Mapped[list | None] = mapped_column(JSON)
    keys: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    obligation: Mapped[Obligation] = relationship()


class VendorRequest(Base):
    """One vendor's copy of a vendor-scoped obligation: its own due date, revision and status."""

    __tablename__ = "vendor_requests"
    __table_args__ = (
        UniqueConstraint("obligation_id", "vendor_id"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("due_state in ('firm', 'projected', 'undated', 'void')", name="due_state"),
        Index("ix_vendor_requests_vendor_status", "vendor_id", "status"),
        Index("ix_vendor_requests_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))

    due_date: Mapped[date | None] = mapped_column(Date)
    due_state: Mapped[str] = mapped_column(String(10), default="firm")
    due_precision: Mapped[str] = mapped_column(String(8), default="day")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    due_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    status: Mapped[str] = mapped_column(String(16), default="open")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The earliest valid_until of the accepted evidence: the day it reopens (re-certification).
    evidence_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    # When the vendor-mail planner must next look at this request (None: never).
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=PLAN_NOW, index=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    obligation: Mapped[Obligation] = relationship()
    vendor: Mapped[Vendor] = relationship()
    reviewed_by: Mapped[User | None] = relationship()
    history: Mapped[list[VendorRequestHistory]] = relationship(
        back_populates="request", order_by="VendorRequestHistory.id.desc()")

    def is_overdue(self, today: date) -> bool:
        """Due before `today` (the team's local date), still owed, and not waiting on a stale estimate."""
        return (self.status in REQUEST_OWED_STATUSES and self.due_date is not None and self.due_date < today
                and not self.waits_on_stale_estimate(today))

    def waits_on_stale_estimate(self, today: date) -> bool:
        """The request counts from its obligation's rule: projected from an estimate passed by `today`."""
        return self.due_state == "projected" and self.obligation.waits_on_stale_estimate(today)

    def __repr__(self) -> str:
        return f"<VendorRequest {self.obligation_id}x{self.vendor_id} {self.status}>"


class VendorRequestHistory(Base):
    """One change of a request's due date or due state, and why (as DeadlineHistory)."""

    __tablename__ = "vendor_request_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    old_due_date: Mapped[date | None] = mapped_column(Date)
    old_due_state: Mapped[str | None] = mapped_column(String(10))
    new_due_date: Mapped[date | None] = mapped_column(Date)
    new_due_state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)

    request: Mapped[VendorRequest] = relationship(back_populates="history")


class SubmissionPart:
    """What each part of a vendor's submission carries (a file, the attestation): the request it
    answers, the submission it came in (files sent together share a submission id and an
    attestation) and the contact who sent it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(String(32), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("vendor_contacts.id", ondelete="SET NULL"))

    @declared_attr
    def request(cls) -> Mapped[VendorRequest]:
        return relationship(VendorRequest)


class VendorEvidence(SubmissionPart, Base):
    """One uploaded file of a submission; its bytes are in vendor_evidence_chunks."""

    __tablename__ = "vendor_evidence"

    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VendorEvidenceChunk(Base):
    """A slice of an evidence file's bytes, in order (`seq` from 0)."""

    __tablename__ = "vendor_evidence_chunks"
    # Backups list a SHA-256 per evidence file (tracker/operations/backup.py).
    __table_args__ = {"info": {"stored_files": True}}

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_evidence.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class VendorAttestation(SubmissionPart, Base):
    """The signed statement that goes with a submission."""

    __tablename__ = "vendor_attestations"

    signer_name: Mapped[str] = mapped_column(String(300))
    signer_title: Mapped[str] = mapped_column(String(300), default="")
    statement: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sent through a link a team member re-issued ("send again"): who that was.
    link_issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    link_issued_by: Mapped[User | None] = relationship()


class VendorLink(Base):
    """A response link's secret, stored only as an HMAC digest found by its selector.

    The token's first characters are the `selector` (indexed, unique); the
    digest of the whole token is then compared with hmac.compare_digest.
    `sealed` optionally keeps the token encrypted (tracker.sealing) so the
    same URL can be printed again.
    """

    __tablename__ = "vendor_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="CASCADE"), index=True)
    selector: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The team member who re-issued it by hand ("send again"); None when the tracker made it.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    request: Mapped[VendorRequest] = relationship()
    issued_by: Mapped[User | None] = relationship()
