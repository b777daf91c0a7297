"""Notification channels of a team and the queue of deliveries to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import Team

CHANNEL_KINDS = ("slack", "teams", "webhook")
CHANNEL_STATUSES = ("active", "disabled")
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


class Channel(Base):
    """Where a team's notifications go: a Slack or Teams webhook, or a signed HTTPS endpoint.

    A webhook's signing secret is kept as (`secret_digest`, `secret_sealed`):
    encrypted under a key derived from SECRET_KEY with the feed-token sealing
    functions (tracker.feeds.tokens), never in the clear.
    """

    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint("kind in ('slack', 'teams', 'webhook')", name="kind"),
        CheckConstraint("status in ('active', 'disabled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    secret_sealed: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="active")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()

    @property
    def secret(self) -> str | None:
        """The whsec_ signing secret, decrypted (None for Slack/Teams, or if SECRET_KEY changed)."""
        if not self.secret_digest or not self.secret_sealed:
            return None
        from tracker.sealing import unseal

        return unseal(self.secret_digest, self.secret_sealed)

    @property
    def key(self) -> str:
        """How the audit log names the channel (never its URL)."""
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        return self.name or f"{self.kind} channel {self.id}"

    def __repr__(self) -> str:  # never shows the URL or the secret
        return f"<Channel {self.id} {self.kind} {self.status}>"


class ChannelDelivery(Base):
    """One notification to one channel, retried until delivered or given up.

    `unique_key` (unique per channel) is the at-most-once guarantee: queueing
    the same notification twice finds the first row. `body` is the exact JSON
    sent and `webhook_id` the Standard Webhooks message id, both fixed when
    queued so every retry (and a replay) sends the same message.
    """

    __tablename__ = "channel_deliveries"
    __table_args__ = (
        UniqueConstraint("channel_id", "unique_key"),
        CheckConstraint("status in ('pending', 'sending', 'delivered', 'failed')", name="status"),
        Index("ix_channel_deliveries_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_channel_deliveries_channel_created", "channel_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    unique_key: Mapped[str] = mapped_column(String(200))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()

    def __repr__(self) -> str:
        return f"<ChannelDelivery {self.id} {self.event_type} {self.status}>"
