"""Response schemas and the functions that build them from the register's rows.

The same models are the OpenAPI components of every response, so a response
that drifts from the document fails here (and in the schemathesis run).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from tracker.clock import local_today
from tracker.deadlines import due_wording, partial_from
from tracker.models import DeadlineHistory, Event, Obligation, Source, Team
from tracker.register.queries import obligation_page_url
from tracker.register.recompute import DueChange
from tracker.api.schemas import (
    DueStateName, EventStatusName, ObligationStatusName, Precision, PriorityName, SourceKind,
)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Links(Out):
    self: str
    html: str | None = None
    history: str | None = None


class TeamRef(Out):
    id: int
    key: str
    name: str


class UserRef(Out):
    id: int
    email: str
    name: str


class DeadlineOut(Out):
    """The obligation's rule; fields that do not apply to the rule are null."""

    rule: str
    date: str | None
    precision: Precision
    anchor_event_id: int | None
    offset: int | None
    unit: str | None
    calendar: str | None
    rrule: str | None
    roll: str = "none"
    of: list[DeadlineOut] | None = None


class DerivedOut(Out):
    from_event_id: int
    offset: int
    unit: str
    calendar: str | None


class ObligationOut(Out):
    id: int
    key: str
    title: str
    description: str
    team: TeamRef
    owner: UserRef | None
    deadline: DeadlineOut
    due_date: dt.date | None
    due_state: DueStateName
    due_precision: Precision
    due_label: str | None
    stale_estimate: bool = Field(description="Projected from an expected event whose estimated date has passed "
                                             "and is not recorded: never overdue ('estimate passed: record what "
                                             "happened or move the estimate').")
    overdue: bool = Field(description="Due before today in the team's time zone, open or in progress, and not "
                                      "waiting on a stale estimate.")
    revision: int
    status: ObligationStatusName
    status_note: str
    completed_through: dt.date | None
    priority: PriorityName
    tags: list[str]
    event_ids: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime
    links: Links


class SourceOut(Out):
    id: int
    key: str
    title: str
    kind: SourceKind
    jurisdiction: str
    citation: str
    url: str
    summary: str
    created_at: dt.datetime
    updated_at: dt.datetime
    links: Links


class EventOut(Out):
    id: int
    key: str
    source_id: int
    title: str
    description: str
    status: EventStatusName
    date: str | None
    precision: Precision
    date_label: str | None
    derived: DerivedOut | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    links: Links


class TeamOut(Out):
    id: int
    key: str
    name: str
    timezone: str
    reminder_lead_days: list[int]
    overdue_every_days: int
    remind_projected: bool
    digest_weekday: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    links: Links


class HistoryEntry(Out):
    revision: int
    changed_at: dt.datetime
    actor_id: int | None
    old_due_date: dt.date | None
    old_due_state: str | None
    new_due_date: dt.date | None
    new_due_state: str
    reason: str


class HistoryList(Out):
    items: list[HistoryEntry]


class Move(Out):
    """A deadline that moves, or would (a proposal's dry run): from what to what, in words."""

    obligation_id: int
    key: str
    title: str
    old_due_date: dt.date | None
    old_due_state: str
    new_due_date: dt.date | None
    new_due_state: str
    summary: str


class DueChangeOut(Move):
    new_due_precision: str
    revision: int
    via: str | None = None  # the chain of derived events it moves through, when not counted from the event itself


class OccurrenceResult(Out):
    dry_run: bool
    event: EventOut
    changes: list[DueChangeOut]
    derived_events: list[str] = []  # derived events down the chain that move, in words
    # A dry run: what depends on the event (the same count as the dashboard, the event page and the
    # preview: direct, through derived events, and their vendor requests) and who the change would tell.
    dependents: dict | None = None
    told: dict | None = None


class ObligationPage(Out):
    items: list[ObligationOut]
    next: str | None


class SourcePage(Out):
    items: list[SourceOut]
    next: str | None


class EventPage(Out):
    items: list[EventOut]
    next: str | None


class TeamPage(Out):
    items: list[TeamOut]
    next: str | None


class ImportResult(Out):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    moved_deadlines: int


class ProblemItem(Out):
    path: str
    message: str


class Problem(Out):
    """RFC 9457 problem details, with one item per refused field."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem]
    request_id: str | None = Field(None, description="The request's X-Request-ID, also in the server's log lines")


def etag_of(model: BaseModel) -> str:
    """A strong ETag: the hash of the representation, so it changes with any change."""
    digest = hashlib.sha256(model.model_dump_json().encode()).hexdigest()[:32]
    return f'"{digest}"'


def _part_out(part: dict) -> DeadlineOut:
    relative = part["rule"] == "relative"
    return DeadlineOut(rule=part["rule"], date=part.get("date"), precision=part.get("precision", "day"),
                       anchor_event_id=part.get("anchor"), offset=part.get("offset") if relative else None,
                       unit=part.get("unit", "days") if relative else None, calendar=part.get("calendar"),
                       rrule=None, roll=part.get("roll", "none"))


def deadline_out(ob: Obligation) -> DeadlineOut:
    """The obligation's rule as the API's `deadline` union (anchors as event ids)."""
    if ob.rule_combination:
        return DeadlineOut(rule=ob.rule_combination, date=None, precision="day", anchor_event_id=None, offset=None,
                           unit=None, calendar=ob.rule_calendar, rrule=None, roll=ob.rule_roll or "none",
                           of=[_part_out(p) for p in ob.rule_parts or []])
    relative = ob.rule == "relative"
    rule_date = None
    if ob.rule_date is not None:
        rule_date = partial_from(ob.rule_date, ob.rule_precision).iso() if ob.rule == "fixed" else ob.rule_date.isoformat()
    return DeadlineOut(
        rule=ob.rule, date=rule_date, precision=ob.rule_precision,
        anchor_event_id=ob.anchor_event_id if relative else None,
        offset=ob.rule_offset if relative else None, unit=ob.rule_unit if relative else None,
        calendar=ob.rule_calendar, rrule=ob.rule_rrule if ob.rule == "recurring" else None,
        roll=ob.rule_roll or "none")


def obligation_out(ob: Obligation) -> ObligationOut:
    """Load team, owner and events first (the list does, in three statements)."""
    today = local_today(ob.team.timezone)
    return ObligationOut(
        id=ob.id, key=ob.key, title=ob.title, description=ob.description or "",
        team=TeamRef(id=ob.team.id, key=ob.team.key, name=ob.team.name),
        owner=UserRef(id=ob.owner.id, email=ob.owner.email, name=ob.owner.name) if ob.owner else None,
        deadline=deadline_out(ob),
        due_date=ob.due_date, due_state=ob.due_state, due_precision=ob.due_precision,
        due_label=due_wording(ob.due_date, ob.due_precision, state=ob.due_state) if ob.due_date else None,
        stale_estimate=ob.waits_on_stale_estimate(today), overdue=ob.is_overdue(today),
        revision=ob.revision, status=ob.status,
        status_note=ob.status_note or "", completed_through=ob.completed_through,
        priority=ob.priority or "normal", tags=list(ob.tags or []),
        event_ids=[event.id for event in ob.events], created_at=ob.created_at, updated_at=ob.updated_at,
        links=Links(self=url_for("api.get_obligation", obligation_id=ob.id),
                    html=obligation_page_url(ob.id),
                    history=url_for("api.obligation_history", obligation_id=ob.id)),
    )


def source_out(source: Source) -> SourceOut:
    return SourceOut(
        id=source.id, key=source.key, title=source.title, kind=source.kind,
        jurisdiction=source.jurisdiction, citation=source.citation or "", url=source.url or "",
        summary=source.summary or "", created_at=source.created_at, updated_at=source.updated_at,
        links=Links(self=url_for("api.get_source", source_id=source.id)),
    )


def event_out(event: Event) -> EventOut:
    partial = event.partial_date
    return EventOut(
        id=event.id, key=event.key, source_id=event.source_id, title=event.title,
        description=event.description or "", status=event.status,
        date=partial.iso() if partial else None, precision=event.precision,
        date_label=partial.label() if partial else None,
        derived=DerivedOut(from_event_id=event.derived_from_event_id, offset=event.derived_offset or 0,
                           unit=event.derived_unit or "days", calendar=event.derived_calendar)
        if event.is_derived else None,
        created_at=event.created_at, updated_at=event.updated_at,
        links=Links(self=url_for("api.get_event", event_id=event.id)),
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id, key=team.key, name=team.name, timezone=team.timezone,
        reminder_lead_days=team.lead_days, overdue_every_days=team.overdue_every_days,
        remind_projected=team.remind_projected, digest_weekday=team.digest_weekday,
        created_at=team.created_at, updated_at=team.updated_at,
        links=Links(self=url_for("api.get_team", team_id=team.id)),
    )


def history_out(row: DeadlineHistory) -> HistoryEntry:
    return HistoryEntry(
        revision=row.revision, changed_at=row.changed_at, actor_id=row.actor_id,
        old_due_date=row.old_due_date, old_due_state=row.old_due_state,
        new_due_date=row.new_due_date, new_due_state=row.new_due_state, reason=row.reason,
    )


def due_change_out(change: DueChange) -> DueChangeOut:
    return DueChangeOut(
        obligation_id=change.obligation_id, key=change.key, title=change.title,
        old_due_date=change.old_date, old_due_state=change.old_state,
        new_due_date=change.new.date, new_due_state=change.new.state,
        new_due_precision=change.new.precision, revision=change.revision, summary=change.summary(),
        via=change.reason,
    )


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    ObligationOut, ObligationPage, SourceOut, SourcePage, EventOut, EventPage, TeamOut, TeamPage,
    HistoryList, OccurrenceResult, ImportResult, Problem,
)

