"""Sign-in with an identity provider: linked identities and the group mapping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.people import Team, User

group_mapping_teams = Table(
    "oidc_group_mapping_teams",
    Base.metadata,
    Column("mapping_id", ForeignKey("oidc_group_mappings.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class OidcIdentity(Base):
    """A person at the identity provider (issuer + subject) linked to one tracker user.

    The link is made once, at the first sign-in; after that the subject finds the
    user, never the email, so a changed or reused address at the provider cannot
    move the sign-in to another account.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The teams the groups gave at the last sign-in, so a team is left when no group gives it
    # any more, even after its mapping was removed; memberships made by hand are not in it.
    granted_team_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    user: Mapped[User] = relationship()


class OidcGroupMapping(Base):
    """An identity-provider group and what it gives: a role and team memberships."""

    __tablename__ = "oidc_group_mappings"
    __table_args__ = (CheckConstraint("role in ('admin', 'editor', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(300), unique=True)
    role: Mapped[str] = mapped_column(String(10), default="viewer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(secondary=group_mapping_teams, order_by="Team.name")

    @property
    def key(self) -> str:
        """The audit log's key for a mapping: its group's name."""
        return self.group_name

    def __repr__(self) -> str:
        return f"<OidcGroupMapping {self.group_name}>"
