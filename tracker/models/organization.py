"""Who the tracker works for: the name vendors see and the address their replies go to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime


class OrganizationSettings(Base):
    """One row (id 1) once an admin saved it; until then the environment's defaults apply."""

    __tablename__ = "organization_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), default="organization")  # names the audit entries
    name: Mapped[str] = mapped_column(String(200))
    reply_to: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
