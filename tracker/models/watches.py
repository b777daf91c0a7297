"""Watches of regulator data, what they observed, the proposals made from it, and
where an event's recorded date came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import User
from tracker.models.register import Event, Source

WATCH_STATUSES = ("ok", "failing", "skipped", "new")
PROPOSAL_STATUSES = ("open", "accepted", "rejected", "superseded")
PROPOSED_EVENT_STATUSES = ("occurred", "expected", "speculative", "withdrawn")


class Watch(Base):
    """One item of a regulator API (a bill, a document, a docket) followed for a source.

    `stages` maps the provider's stage names to event ids of the source. The
    lease (`claimed_by`, `lease_expires_at`) lets one process poll the watch at a
    time, claimed like an outbox row; `next_poll_at` is when it is due again.
    """

    __tablename__ = "watches"
    __table_args__ = (
        CheckConstraint("status in ('ok', 'failing', 'skipped', 'new')", name="status"),
        UniqueConstraint("source_id", "provider", "item_kind", "item", name="uq_watches_item"),
        Index("ix_watches_next_poll", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(30))
    item_kind: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(200))
    stages: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    auto_apply: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="new")
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Source] = relationship()

    @property
    def key(self) -> str:
        """How the audit log and messages name the watch: 'congress bill 119-hr-3447'."""
        return f"{self.provider} {self.item_kind} {self.item}"

    def __repr__(self) -> str:
        return f"<Watch {self.key}>"


class WatchObservation(Base):
    """One observation a watch made, kept so the same data is recognised on the next poll."""

    __tablename__ = "watch_observations"
    __table_args__ = (UniqueConstraint("watch_id", "fingerprint", name="uq_watch_observations_fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(500))
    stage: Mapped[str] = mapped_column(String(40))
    # stage plus chamber: two observations of one occurrence with other dates disagree
    occurrence: Mapped[str] = mapped_column(String(80))
    observed_on: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    watch: Mapped[Watch] = relationship()


class Proposal(Base):
    """A change of an event that an observation suggests, for a person (or auto_apply) to decide.

    One proposal per observation and proposed status: a rejected or accepted
    observation is never proposed again; `conflicts_with` says, in words, which
    other report or recorded date it disagrees with.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("status in ('open', 'accepted', 'rejected', 'superseded')", name="status"),
        CheckConstraint("change_status in ('occurred', 'expected', 'speculative', 'withdrawn')",
                        name="change_status"),
        UniqueConstraint("observation_id", "event_id", "change_status", name="uq_proposals_observation"),
        Index("ix_proposals_status", "status", "id"),
        Index("ix_proposals_notified_at", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("watch_observations.id", ondelete="CASCADE"))
    change_status: Mapped[str] = mapped_column(String(12))
    change_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    conflicts_with: Mapped[str] = mapped_column(Text, default="")
    conflict_observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("watch_observations.id", ondelete="SET NULL"))
    # The deadlines that would have moved when it was proposed (what the mail said).
    moves_preview: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Empty until the teams were told (tracker.watches.notify): stored empty in the poll's own
    # transaction, so a pass that dies before telling leaves the notice planned, not lost.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    watch: Mapped[Watch] = relationship()
    source: Mapped[Source] = relationship()
    event: Mapped[Event] = relationship()
    observation: Mapped[WatchObservation] = relationship(foreign_keys=[observation_id])
    decider: Mapped[User | None] = relationship()

    @property
    def key(self) -> str:
        return f"proposal {self.id}"

    @property
    def is_conflict(self) -> bool:
        return bool(self.conflicts_with)


class EventProvenance(Base):
    """Where an event's recorded date came from, when a watch reported it."""

    __tablename__ = "event_provenance"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What was recorded from it; shown only while the event still says that.
    recorded_status: Mapped[str] = mapped_column(String(12))
    recorded_on: Mapped[date | None] = mapped_column(Date)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
