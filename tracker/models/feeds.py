"""Calendar feed tokens and the per-obligation state the feeds keep."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import Team, User


class FeedToken(Base):
    """The secret in a feed URL: one team's feed, or one user's personal feed.

    The token itself is never stored: `digest` (a keyed HMAC of it, unique) is
    what a request's token is found by, and `sealed` (the token encrypted with
    a key derived from SECRET_KEY) lets `feed-url` print the same URL every
    time. See tracker.feeds.tokens.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
        Index("ix_feed_tokens_team_active", "team_id", "revoked_at"),
        Index("ix_feed_tokens_user_active", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def token(self) -> str | None:
        """The secret, decrypted with the app's SECRET_KEY (None if that key changed)."""
        from tracker.sealing import unseal

        return unseal(self.digest, self.sealed)

    @property
    def kind(self) -> str:
        """'team' or 'personal'."""
        return "team" if self.team_id is not None else "personal"

    def __repr__(self) -> str:  # never shows the secret
        return f"<FeedToken {self.id} {self.kind}>"


class FeedSequence(Base):
    """How often an obligation flipped between cancelled and live in the feeds.

    Waiving, marking not applicable and deleting do not bump an obligation's
    revision, yet calendar apps need a higher SEQUENCE to take a cancellation
    (and again to take a reopening). The feeds add `flips` to the revision; it
    only ever grows, so SEQUENCE never decreases. A row exists only for
    obligations that were ever seen cancelled.
    """

    __tablename__ = "feed_sequences"

    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("obligations.id", ondelete="CASCADE"), primary_key=True
    )
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    flips: Mapped[int] = mapped_column(Integer, default=0)


class _RenderedVersion:
    """The columns a stored render is keyed and validated by: scope, variant, content version,
    the days it stays right for, and its ETag and Last-Modified."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    etag: Mapped[str] = mapped_column(String(80))
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedValidator(_RenderedVersion, Base):
    """The ETag and Last-Modified of a rendered feed, kept per content version.

    Rendering is deterministic, so the bytes of a feed are fixed by its content
    version (`version`: a hash of what the feed depends on) for as long as the
    date stays within [valid_from, valid_until). Keeping the validators here
    lets any worker, even right after a restart, answer a conditional request
    with 304 without rendering. A row is only a shortcut: losing it costs one
    render.
    """

    __tablename__ = "feed_validators"
    __table_args__ = (
        UniqueConstraint("scope_key", "variant", "version", "valid_from"),
        Index("ix_feed_validators_scope", "scope_key", "variant"),
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedBody(_RenderedVersion, Base):
    """The rendered bytes of a feed's current content version, zlib-compressed.

    Keyed like `FeedValidator` (scope, variant, content version, days it stays
    right for), but only one row per scope and variant: a new render replaces
    it. Any worker, even right after a restart, then answers an unconditional
    fetch of unchanged content by decompressing instead of rendering. Like the
    validators, a row is only a shortcut: a missing or unreadable one costs one
    render, never an error.
    """

    __tablename__ = "feed_bodies"
    __table_args__ = (UniqueConstraint("scope_key", "variant"),)

    body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedRenderClaim(Base):
    """Who is rendering a feed's content version right now, across the whole deployment.

    A worker (or the refresher after a commit) that finds no stored body for a
    version claims (scope, variant) for that version before rendering; another
    process that needs the same version meanwhile waits for the stored body
    instead of rendering it too. A claim ends when its body is stored, or when
    `expires_at` passes (its process died): then the next one takes it over.
    One row per feed and variant, reused for each new version.
    """

    __tablename__ = "feed_render_claims"

    scope_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    variant: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    claimed_by: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
