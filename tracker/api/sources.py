"""/api/v1/sources and /api/v1/events: the instruments and their dated milestones."""

from __future__ import annotations

from sqlalchemy import select

from tracker.mail.audience import audience
from tracker.register.dependents import dependents
from tracker.api.core import (
    ApiProblem, api_user, check_if_match, created, list_page, load_row, locked_row, no_content, operation, respond,
    service_errors,
)
from tracker.api.representations import (
    EventOut, EventPage, OccurrenceResult, SourceOut, SourcePage, due_change_out, event_out, source_out,
)
from tracker.api.schemas import (
    EventCreate, EventPatch, EventQuery, Occurrence, OccurrenceQuery, SourceCreate, SourcePatch, SourceQuery,
)
from tracker.audit import Actor
from tracker.db import db
from tracker.people import permissions
from tracker.errors import ValidationFailed
from tracker.deadlines import parse_partial_date
from tracker.register.events import EventDate, plan_event_change, record_event, record_event_change
from tracker.models import Event, Source
from tracker.register.events import create_event, delete_event, update_event
from tracker.register.derived_events import Derivation, set_derivation
from tracker.register.sources import create_source, delete_source, update_source


def _event_date(status: str, text: str | None, precision: str | None) -> EventDate:
    """The service's EventDate from the client's partial date text."""
    if text is None:
        return EventDate(status=status, on=None, precision=precision or "day")
    try:
        partial = parse_partial_date(text, precision)
    except ValueError as exc:
        raise service_errors({"precision" if precision else "date": str(exc)}) from None
    return EventDate(status=status, on=partial.first, precision=partial.precision)


DERIVED_PATHS = {"derived_from_event_id": "derived/from_event_id", "derived_offset": "derived/offset",
                 "derived_unit": "derived/unit", "derived_calendar": "derived/calendar"}


def _derivation(body) -> Derivation:
    return Derivation(body.from_event_id, body.offset, body.unit, body.calendar)


# ---- sources ----

@operation("GET", "/sources", summary="List sources", tag="sources", query=SourceQuery,
           response=SourcePage, errors=(422,))
def list_sources(query: SourceQuery):
    return list_page(select(Source), Source, query, SourcePage, source_out,
                     {Source.kind: query.kind, Source.jurisdiction: query.jurisdiction}, Source.title, Source.key)


@operation("POST", "/sources", summary="Create a source", tag="sources", role="editor",
           body=SourceCreate, response=SourceOut, status=201, errors=(409,))
def create_source_view(body: SourceCreate):
    source = create_source(Actor.of(api_user()), **body.model_dump())
    return created(source_out(source))


@operation("GET", "/sources/<int:source_id>", summary="Read a source", tag="sources",
           response=SourceOut, etag=True)
def get_source(source_id: int):
    return respond(source_out(load_row(Source, source_id, "source")))


@operation("PATCH", "/sources/<int:source_id>", summary="Edit a source", tag="sources", role="editor",
           body=SourcePatch, response=SourceOut, etag=True, if_match=True, errors=(409,))
def update_source_view(source_id: int, body: SourcePatch):
    source = locked_row(Source, source_id, "source", source_out)
    update_source(source, Actor.of(api_user()), **body.model_dump(exclude_none=True))
    return respond(source_out(load_row(Source, source_id, "source")))


@operation("DELETE", "/sources/<int:source_id>", summary="Delete a source", tag="sources", role="editor",
           status=204, if_match=True, errors=(409,), description="Refused (409) while the source has events.")
def delete_source_view(source_id: int):
    source = locked_row(Source, source_id, "source", source_out)
    delete_source(source, Actor.of(api_user()))
    return no_content()


# ---- events ----

@operation("GET", "/events", summary="List events", tag="events", query=EventQuery,
           response=EventPage, errors=(422,))
def list_events(query: EventQuery):
    return list_page(select(Event), Event, query, EventPage, event_out,
                     {Event.source_id: query.source_id, Event.status: query.status}, Event.title, Event.key)


@operation("POST", "/events", summary="Create an event", tag="events", role="editor",
           body=EventCreate, response=EventOut, status=201, errors=(409,))
def create_event_view(body: EventCreate):
    derived = None
    if body.derived is not None:
        if body.status is not None or body.date is not None or body.precision is not None:
            raise service_errors({"status" if body.status is not None else "date":
                                  "not used by a derived event (its date follows the event it derives from)"})
        derived = _derivation(body.derived)
        when = None
    elif body.status is None:
        raise service_errors({"status": "required unless the event is derived"})
    else:
        when = _event_date(body.status, body.date, body.precision)
    try:
        event = create_event(Actor.of(api_user()), when, key=body.key, source_id=body.source_id,
                             title=body.title, description=body.description, derived=derived)
    except ValidationFailed as exc:
        raise service_errors(exc.errors, DERIVED_PATHS) from None
    return created(event_out(event))


@operation("GET", "/events/<int:event_id>", summary="Read an event", tag="events",
           response=EventOut, etag=True)
def get_event(event_id: int):
    return respond(event_out(load_row(Event, event_id, "event")))


@operation("PATCH", "/events/<int:event_id>", summary="Edit an event or move its date", tag="events",
           role="editor", body=EventPatch, response=EventOut, etag=True, if_match=True, errors=(409,),
           description="`status`, `date` and `precision` record a change of the event's date (a new "
                       "estimate, an occurrence, a withdrawal): every anchored deadline moves, with history.")
def update_event_view(event_id: int, body: EventPatch):
    event = locked_row(Event, event_id, "event", event_out)
    actor = Actor.of(api_user())
    moved = []
    texts = body.model_dump(include={"key", "source_id", "title", "description"}, exclude_none=True)
    if texts:
        update_event(event, actor, commit=False, **texts)
    if body.derived is not None:
        try:
            moved += set_derivation(event, _derivation(body.derived), actor, commit=False)
        except ValidationFailed as exc:
            db.session.rollback()
            raise service_errors(exc.errors, DERIVED_PATHS) from None
    if body.status is not None or body.date is not None or body.precision is not None:
        status = body.status or event.status
        if body.date is not None:
            when = _event_date(status, body.date, body.precision)
        elif status == "speculative":
            when = EventDate(status=status)
        else:  # keep the current date (first day of its window), maybe with a new precision
            when = EventDate(status=status, on=event.on or event.expected_on,
                             precision=body.precision or event.precision)
        moved += record_event_change(event, when, actor, commit=False)
    _require_moves(moved)
    db.session.commit()
    return respond(event_out(load_row(Event, event_id, "event")))


def _require_moves(moves) -> None:
    """403 naming the teams (nothing written) unless the token's user is editor in every team whose
    deadlines these moves change."""
    try:
        permissions.require_deadline_moves(api_user(), [move.obligation_id for move in moves])
    except permissions.NotAllowed:
        db.session.rollback()
        raise


@operation("DELETE", "/events/<int:event_id>", summary="Delete an event", tag="events", role="editor",
           status=204, if_match=True, errors=(409,),
           description="Refused (409) while obligations count their deadline from the event.")
def delete_event_view(event_id: int):
    event = locked_row(Event, event_id, "event", event_out)
    delete_event(event, Actor.of(api_user()))
    return no_content()


@operation("POST", "/events/<int:event_id>/occurred", summary="Record that an event happened", tag="events",
           role="editor", body=Occurrence, query=OccurrenceQuery, response=OccurrenceResult, if_match=True,
           errors=(422,),
           description="Every deadline counted from the event moves (revision + 1, history). With "
                       "`dry_run=1` nothing is written: the answer lists the deadlines that would move.")
def record_occurrence(event_id: int, body: Occurrence, query: OccurrenceQuery):
    change = _event_date("occurred", body.date, body.precision)
    if query.dry_run:
        event = load_row(Event, event_id, "event")
        check_if_match(event_out(event))  # a preview of a version the client never saw would mislead
        try:
            plan = plan_event_change(event, change)
        except ValidationFailed as exc:
            raise service_errors(exc.errors) from None
        return respond(OccurrenceResult(dry_run=True, event=event_out(event),
                                        changes=[due_change_out(m) for m in plan.moves],
                                        derived_events=plan.event_lines(),
                                        dependents=dependents(event.id).as_dict(),
                                        told=audience(m.obligation_id for m in plan.moves).as_dict()), etag=False)
    # One locked step: the If-Match comparison runs under the event's row lock, so of two
    # clients confirming the same version one records and the other gets 412.
    recorded = record_event(event_id, change, Actor.of(api_user()),
                            precondition=lambda event: check_if_match(event_out(event)), permit=_require_moves)
    if recorded is None:
        raise ApiProblem(404, f"no event {event_id}")
    _, moves = recorded
    return respond(OccurrenceResult(dry_run=False, event=event_out(load_row(Event, event_id, "event")),
                                    changes=[due_change_out(m) for m in moves]), etag=False)

