"""Evidence on our own obligations: files (bytes in chunks, as vendor evidence) and links."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import User


class ObligationEvidence(Base):
    """One piece of evidence that an obligation was done: a file or a link, maybe valid until a day."""

    __tablename__ = "obligation_evidence"
    __table_args__ = (CheckConstraint("kind in ('file', 'link')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300), default="")
    # A file: its name, sniffed type, size and SHA-256 (bytes in obligation_evidence_chunks).
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # A link: where the evidence is kept (a document system, a ticket).
    url: Mapped[str] = mapped_column(String(2000), default="")
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    # When its expiry reopened the obligation (at most once).
    expiry_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    added_by: Mapped[User | None] = relationship()


class ObligationEvidenceChunk(Base):
    """A slice of an evidence file's bytes, in order (`seq` from 0)."""

    __tablename__ = "obligation_evidence_chunks"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("obligation_evidence.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
