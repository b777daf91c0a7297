"""Teams, users and their memberships."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.models.vocabulary import ROLES  # noqa: F401 (re-exported)

DEFAULT_LEAD_DAYS = "30,7,1,0"

team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The member's role in this team: 'editor' or 'viewer'. NULL (a membership
    # added without a role) counts as the user's own role (tracker.people.permissions).
    Column("role", String(10), nullable=True),
)


class Team(Base):
    """A group that owns obligations, with its time zone and reminder policy."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Reminder policy (defaults from the SPEC): lead times in days before the due
    # date, overdue repeat interval (0 = no overdue notices), reminders for
    # projected deadlines, weekly digest day (0 = Monday, None = no digest).
    reminder_lead_days: Mapped[str] = mapped_column(String(200), default=DEFAULT_LEAD_DAYS)
    overdue_every_days: Mapped[int] = mapped_column(Integer, default=7)
    remind_projected: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_weekday: Mapped[int | None] = mapped_column(Integer, default=0)
    # "Marking done needs evidence": an obligation of this team is done only with
    # evidence attached (tracker.work.policy).
    done_needs_evidence: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", order_by="User.email"
    )

    @property
    def lead_days(self) -> list[int]:
        """The lead times as integers, largest first."""
        values = {int(part) for part in self.reminder_lead_days.split(",") if part.strip()}
        return sorted(values, reverse=True)

    def __repr__(self) -> str:
        return f"<Team {self.key}>"


class User(UserMixin, Base):
    """A person: signs in (when a password is set), owns obligations, gets email."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role in ('admin', 'editor', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10), default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Opt-outs, one per kind of email.
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    email_overdue: Mapped[bool] = mapped_column(Boolean, default=True)
    email_changes: Mapped[bool] = mapped_column(Boolean, default=True)
    email_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    # One email per deadline instead of one per cause (change notices) or per
    # send time (reminders and overdue notices).
    email_one_per_deadline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on an account whose password others know (the demo admin): every page
    # but the account page asks for a new password until it is changed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )

    # UserMixin compares users by id, which makes every unsaved user (id None)
    # "equal" to every other; the identity map already gives one object per row.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        """The id kept in the session: the user id plus a fingerprint of the password.

        Changing the password changes the fingerprint, so sessions signed in
        with the old password (other browsers, a stolen cookie) stop working.
        """
        fingerprint = hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]
        return f"{self.id}.{fingerprint}"

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot sign in
        return self.active

    def can_edit(self) -> bool:
        """Admins, and editors of at least one team (the register-wide objects: sources, events).

        A team's own objects need editor in that team: tracker.people.permissions.
        """
        return self.role in ("admin", "editor")

    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email}>"
