"""Comments on obligations and vendor requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import User


class Comment(Base):
    """One comment (a Markdown subset, rendered safely) on an obligation or a vendor request.

    A deleted comment keeps its row with an empty body: the thread shows
    "comment deleted" where it was.
    """

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("(obligation_id IS NULL) <> (vendor_request_id IS NULL)", name="one_target"),
        Index("ix_comments_obligation_id", "obligation_id"),
        Index("ix_comments_vendor_request_id", "vendor_request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    vendor_request_id: Mapped[int | None] = mapped_column(ForeignKey("vendor_requests.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()
