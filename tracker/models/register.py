"""Sources, their events, the obligations they create, and deadline history."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    JSON,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, UTCDateTime
from tracker.deadlines import Anchor, DeadlineRule, PartialDate, partial_from
from tracker.models.people import Team, User
from tracker.models.vocabulary import ACTIVE_STATUSES, OBLIGATION_STATUSES, SOURCE_KINDS  # noqa: F401 (re-exported)


class _StaleEstimateCheck:
    """Whether a row waits on a stale estimate: a question about the whole event graph, answered
    by the register (tracker.register.estimates installs its query here when it is imported, as
    every app does), so the tables do not import a service package. Unanswered, it refuses to
    guess: a wrong False would show such a deadline as overdue."""

    def __init__(self):
        self.query = None

    def check(self, obligation, today: date) -> bool:
        if self.query is None:
            raise RuntimeError("tracker.register.estimates is not loaded: cannot tell a stale estimate")
        return self.query(obligation, today)


STALE_ESTIMATE = _StaleEstimateCheck()

# "Plan this obligation at the next pass": earlier than any real clock.
PLAN_NOW = datetime(1970, 1, 1, tzinfo=timezone.utc)

obligation_events = Table(
    "obligation_events",
    Base.metadata,
    Column("obligation_id", ForeignKey("obligations.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Source(Base):
    """A legal or market instrument: bill, executive order, rule, case, program."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), default="other")
    jurisdiction: Mapped[str] = mapped_column(String(10), default="US")
    citation: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(back_populates="source")

    def __repr__(self) -> str:
        return f"<Source {self.key}>"


class Event(Base):
    """A dated (or not yet dated) milestone of a source."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            "status in ('occurred', 'expected', 'speculative', 'withdrawn')", name="status"
        ),
        CheckConstraint("precision in ('day', 'month', 'quarter', 'year')", name="precision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    # The occurrence date when occurred, the estimate when expected; the first
    # day of its window, with `precision` saying how wide the window is.
    occurred_on: Mapped[date | None] = mapped_column(Date)
    expected_on: Mapped[date | None] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(8), default="day")
    # A derived event ("takes effect 90 days after enactment") is dated by an
    # offset from another event. Its status and date columns then hold the
    # resolved values (precision 'day', the exact computed day), kept in step by
    # tracker.register.chains whenever an event up the chain moves.
    derived_from_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    derived_offset: Mapped[int | None] = mapped_column(Integer)
    derived_unit: Mapped[str | None] = mapped_column(String(16))
    derived_calendar: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Source] = relationship(back_populates="events")
    derived_from: Mapped[Event | None] = relationship(remote_side="Event.id")

    @property
    def is_derived(self) -> bool:
        """True when the event's date follows another event by an offset."""
        return self.derived_from_event_id is not None

    @property
    def on(self) -> date | None:
        """The date that counts for the event's current status."""
        if self.status == "occurred":
            return self.occurred_on
        if self.status in ("expected", "withdrawn"):
            return self.expected_on
        return None

    @property
    def partial_date(self) -> PartialDate | None:
        """The current date with its precision, or None when undated."""
        return partial_from(self.on, self.precision) if self.on else None

    def anchor(self, jurisdiction: str | None = None) -> Anchor:
        """The pure-engine view of this event as a deadline anchor."""
        return Anchor(
            status=self.status,
            on=self.on if self.status in ("occurred", "expected") else None,
            precision=self.precision,
            jurisdiction=jurisdiction,
        )

    def __repr__(self) -> str:
        return f"<Event {self.key} {self.status}>"


def rule_of(row) -> DeadlineRule:
    """The pure rule of an obligation, or of a selected row with the rule columns."""
    return DeadlineRule(
        kind=row.rule,
        date=row.rule_date,
        precision=row.rule_precision,
        offset=row.rule_offset,
        unit=row.rule_unit,
        calendar=row.rule_calendar,
        rrule=row.rule_rrule,
    )


class Obligation(Base):
    """Something a team must do, with its deadline rule and the computed due date."""

    __tablename__ = "obligations"
    __table_args__ = (
        CheckConstraint("rule in ('fixed', 'relative', 'recurring')", name="rule"),
        CheckConstraint(
            "due_state in ('firm', 'projected', 'undated', 'void')", name="due_state"
        ),
        CheckConstraint(
            "status in ('open', 'in_progress', 'done', 'waived', 'not_applicable')",
            name="status",
        ),
        Index("ix_obligations_team_due", "team_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    # The deadline rule (see tracker.deadlines.DeadlineRule).
    rule: Mapped[str] = mapped_column(String(10))
    rule_date: Mapped[date | None] = mapped_column(Date)
    rule_precision: Mapped[str] = mapped_column(String(8), default="day")
    anchor_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    rule_offset: Mapped[int] = mapped_column(Integer, default=0)
    rule_unit: Mapped[str] = mapped_column(String(16), default="days")
    rule_calendar: Mapped[str | None] = mapped_column(String(10))
    rule_rrule: Mapped[str | None] = mapped_column(String(200))
    # "none", "following" or "preceding": move a due day off a non-working day.
    rule_roll: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    # Earliest / latest of several parts. The `rule` check constraint cannot be
    # widened on SQLite without a table copy (which would cascade), so a
    # combination keeps rule = 'fixed' (no rule_date) as a placeholder and lives
    # here: the kind, and the parts in their JSON form with `anchor` an event id.
    rule_combination: Mapped[str | None] = mapped_column(String(10))
    rule_parts: Mapped[list | None] = mapped_column(JSON)
    # Recurring: the last occurrence completed; the next one is due.
    completed_through: Mapped[date | None] = mapped_column(Date)

    # Computed from the rule and its anchor; stored so it can be searched.
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_state: Mapped[str] = mapped_column(String(10), default="firm")
    due_precision: Mapped[str] = mapped_column(String(8), default="day")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    due_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When the reminder planner must next look at this obligation (None: never).
    # Any change of its inputs resets it to PLAN_NOW (see tracker.mail.timing),
    # so a pass reads only the obligations that have something due.
    next_reminder_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=PLAN_NOW, index=True)

    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # low, normal, high or critical (tracker.work.vocabulary): orders a day's deadlines.
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal", index=True)
    # Short free labels, kept sorted and unique (tracker.work.vocabulary.clean_tags).
    tags: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    status_note: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Deleted obligations are kept (history, audit, CANCELLED in feeds).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    team: Mapped[Team] = relationship()
    owner: Mapped[User | None] = relationship()
    anchor_event: Mapped[Event | None] = relationship()
    events: Mapped[list[Event]] = relationship(
        secondary=obligation_events, order_by="Event.id"
    )
    history: Mapped[list[DeadlineHistory]] = relationship(
        back_populates="obligation", order_by="DeadlineHistory.id.desc()"
    )

    @property
    def deadline_kind(self) -> str:
        """fixed, relative, recurring, earliest or latest."""
        return self.rule_combination or self.rule

    @property
    def deadline_rule(self) -> DeadlineRule:
        """The pure-engine view of this obligation's rule."""
        return rule_of(self)

    @property
    def is_active(self) -> bool:
        """Open or in progress: still work to do."""
        return self.status in ACTIVE_STATUSES and self.deleted_at is None

    def waits_on_stale_estimate(self, today: date) -> bool:
        """Projected from an expected event whose estimate passed by `today` (see tracker.register.estimates)."""
        return STALE_ESTIMATE.check(self, today)

    def is_overdue(self, today: date) -> bool:
        """Due before `today` (the team's local date), not finished, and not waiting on a stale estimate."""
        return (self.is_active and self.due_date is not None and self.due_date < today
                and not self.waits_on_stale_estimate(today))

    def __repr__(self) -> str:
        return f"<Obligation {self.key} {self.due_date} {self.due_state}>"


class ChangeCause(Base):
    """One thing that moved deadlines: an event recorded, a pack import, a rule edit, a proposal."""

    __tablename__ = "change_causes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadlineHistory(Base):
    """One change of an obligation's due date or due state, and why."""

    __tablename__ = "deadline_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    old_due_date: Mapped[date | None] = mapped_column(Date)
    old_due_state: Mapped[str | None] = mapped_column(String(10))
    new_due_date: Mapped[date | None] = mapped_column(Date)
    new_due_state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    # What moved it (an event recorded, a pack import, a rule edit...): the change
    # notices of one cause go out as one email per recipient.
    # (A plain column, no foreign key: SQLite cannot add one to an existing table in place.)
    cause_id: Mapped[int | None] = mapped_column(Integer, index=True)

    obligation: Mapped[Obligation] = relationship(back_populates="history")
