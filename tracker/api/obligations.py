"""/api/v1/obligations: list, read, create, edit, status, history, delete, CSV."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import Response, current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.api.core import (
    ApiProblem, api_user, created, decode_cursor, encode_cursor, locked_row, next_link, no_content, operation,
    respond, service_errors,
)
from tracker.api.representations import HistoryList, ObligationOut, ObligationPage, history_out, obligation_out
from tracker.api.schemas import (
    CsvQuery, EarliestRule, FixedRule, LatestRule, ObligationCreate, ObligationPatch, ObligationQuery, RelativeRule, StatusChange,
)
from tracker.audit import Actor
from tracker.db import db
from tracker.deadlines import check_deadline, parse_partial_date
from tracker.errors import ValidationFailed
from tracker.people import permissions
from tracker.register.exports import obligations_csv
from tracker.register.queries import text_match, undated_last
from tracker.register.owners import owner_condition, tag_condition, user_by_email
from tracker.models import DeadlineHistory, Event, Obligation, Team
from tracker.register.obligations import (
    ObligationInput, create_obligation, delete_obligation, set_status, update_obligation,
)

TAG = "obligations"
# Service field names -> where the client sent them.
FIELD_PATHS = {
    "owner_id": "owner_id",
    "rule": "deadline/rule", "rule_date": "deadline/date", "rule_precision": "deadline/precision",
    "anchor_event_id": "deadline/anchor_event_id", "rule_offset": "deadline/offset",
    "rule_unit": "deadline/unit", "rule_calendar": "deadline/calendar", "rule_rrule": "deadline/rrule",
    "rule_roll": "deadline/roll", "rule_parts": "deadline/of",
}


@contextmanager
def mapped_errors():
    """Report service validation errors at the body paths the client used."""
    try:
        yield
    except ValidationFailed as exc:
        raise service_errors(exc.errors, FIELD_PATHS) from None


def live_obligations_query():
    """Non-deleted obligations with everything the representation needs, eagerly."""
    return (select(Obligation).where(Obligation.deleted_at.is_(None))
            .options(joinedload(Obligation.team), joinedload(Obligation.owner),
                     selectinload(Obligation.events)))


def _filtered(query: ObligationQuery):
    stmt = live_obligations_query()
    if query.team is not None:
        stmt = stmt.where(Obligation.team_id == select(Team.id).where(Team.key == query.team).scalar_subquery())
    for column, value in ((Obligation.team_id, query.team_id), (Obligation.owner_id, query.owner_id),
                          (Obligation.status, query.status), (Obligation.due_state, query.due_state)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.due_before is not None:
        stmt = stmt.where(Obligation.due_date <= query.due_before)
    if query.due_after is not None:
        stmt = stmt.where(Obligation.due_date >= query.due_after)
    if query.q:
        stmt = stmt.where(text_match(query.q, Obligation.title, Obligation.key))
    if query.owner is not None:
        stmt = stmt.where(owner_condition(query.owner, api_user()))
    if query.priority is not None:
        stmt = stmt.where(Obligation.priority == query.priority)
    if query.tag is not None:
        stmt = stmt.where(tag_condition(query.tag))
    return stmt.order_by(*undated_last())


def _after(stmt, cursor: str):
    # Keyset pagination on (undated last, due date, id): stable under inserts.
    undated, due, last_id = decode_cursor(cursor, (int, str, int))
    if undated:
        return stmt.where(Obligation.due_date.is_(None), Obligation.id > last_id)
    try:
        due_date = parse_partial_date(due).first
    except ValueError:
        raise ApiProblem(422, "the cursor is not one this API gave out") from None
    return stmt.where(or_(Obligation.due_date > due_date, Obligation.due_date.is_(None),
                          and_(Obligation.due_date == due_date, Obligation.id > last_id)))


@operation("GET", "/obligations", summary="List obligations", tag=TAG, query=ObligationQuery,
           response=ObligationPage, errors=(422,),
           description="Ordered by due date (undated last), then id. Follow `next` for the next page.")
def list_obligations(query: ObligationQuery):
    stmt = _filtered(query)
    if query.cursor:
        stmt = _after(stmt, query.cursor)
    rows = list(db.session.scalars(stmt.limit(query.limit + 1)))
    cursor = None
    if len(rows) > query.limit:
        rows = rows[:query.limit]
        last = rows[-1]
        cursor = encode_cursor([int(last.due_date is None),
                                last.due_date.isoformat() if last.due_date else "", last.id])
    page = ObligationPage(items=[obligation_out(ob) for ob in rows], next=next_link(cursor))
    headers = {"Link": f'<{page.next}>; rel="next"'} if page.next else None
    return respond(page, etag=False, headers=headers)


@operation("GET", "/obligations.csv", summary="Obligations as CSV", tag=TAG, query=CsvQuery,
           media_type="text/csv", errors=(422,),
           description="Every obligation matching the list's filters, one row each (spreadsheet-safe).")
def obligations_as_csv(query: CsvQuery):
    rows = db.session.scalars(_filtered(query))
    text = obligations_csv(rows, current_app.config["TRACKER_BASE_URL"].rstrip("/"))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="obligations.csv"'})


def load_obligation(obligation_id: int) -> Obligation:
    """A live obligation, freshly read (after a lock: what the last writer committed)."""
    ob = db.session.scalar(live_obligations_query().where(Obligation.id == obligation_id)
                           .execution_options(populate_existing=True))
    if ob is None:
        raise ApiProblem(404, f"no obligation {obligation_id}")
    return ob


def locked_obligation(obligation_id: int) -> Obligation:
    """Lock, read, and check If-Match: the start of every conditional write."""
    return locked_row(Obligation, obligation_id, "obligation", obligation_out, load=load_obligation)


def _input(body, current: Obligation | None = None) -> ObligationInput:
    """The service's input: the current values with the body's fields on top."""
    given = body.model_fields_set
    base = current
    data = ObligationInput(
        key=body.key if body.key is not None else base.key,
        title=body.title if body.title is not None else base.title,
        description=body.description if body.description is not None else (base.description if base else ""),
        team_id=body.team_id if body.team_id is not None else base.team_id,
        owner_id=_owner_id(body) if {"owner_id", "owner"} & given or base is None else base.owner_id,
        event_ids=body.event_ids if body.event_ids is not None else [e.id for e in base.events] if base else [],
        rule=base.rule if base else "fixed",
        priority=body.priority if body.priority is not None else (base.priority if base else "normal"),
        tags=body.tags if body.tags is not None else (list(base.tags or []) if base else []),
    )
    rule = body.deadline
    if rule is None:
        for name in ("rule", "rule_date", "rule_precision", "anchor_event_id", "rule_offset",
                     "rule_unit", "rule_calendar", "rule_rrule", "rule_roll", "rule_combination", "rule_parts"):
            setattr(data, name, getattr(base, name))
        return data
    data.rule = rule.rule
    data.rule_roll, data.rule_calendar = rule.roll, rule.calendar
    if isinstance(rule, (EarliestRule, LatestRule)):
        data.rule, data.rule_combination = "fixed", rule.rule
        data.rule_parts = [_part(part, f"deadline/of/{i}") for i, part in enumerate(rule.of)]
        check_parts(data)
        return data
    if isinstance(rule, FixedRule):
        try:
            partial = parse_partial_date(rule.date, rule.precision)
        except ValueError as exc:
            raise service_errors({"deadline/precision": str(exc)}) from None
        data.rule_date, data.rule_precision = partial.first, partial.precision
    elif isinstance(rule, RelativeRule):
        data.anchor_event_id, data.rule_offset = rule.anchor_event_id, rule.offset
        data.rule_unit, data.rule_calendar = rule.unit, rule.calendar
    else:
        data.rule_date, data.rule_rrule = rule.date, rule.rrule
    return data


def _owner_id(body) -> int | None:
    """The owner named by `owner` (an email) or `owner_id`; an unknown email is a field error."""
    if body.owner is None:
        return body.owner_id
    user = user_by_email(body.owner)
    if user is None:
        raise service_errors({"owner": f"no user with the email {body.owner!r}"})
    if body.owner_id is not None and body.owner_id != user.id:
        raise service_errors({"owner_id": "names another user than owner"})
    return user.id


def _part(part, at: str) -> dict:
    """A part of earliest/latest in its stored JSON form (anchor: the event id)."""
    if isinstance(part, FixedRule):
        try:
            partial = parse_partial_date(part.date, part.precision)
        except ValueError as exc:
            raise service_errors({f"{at}/precision": str(exc)}) from None
        data = {"rule": "fixed", "date": partial.iso(), "precision": partial.precision}
    else:
        if db.session.get(Event, part.anchor_event_id) is None:
            raise service_errors({f"{at}/anchor_event_id": f"unknown event {part.anchor_event_id}"})
        data = {"rule": "relative", "anchor": part.anchor_event_id, "offset": part.offset, "unit": part.unit}
    if part.calendar:
        data["calendar"] = part.calendar
    if part.roll != "none":
        data["roll"] = part.roll
    return data


def check_parts(data: ObligationInput) -> None:
    """The engine's checker over the parts; each problem at its body path (deadline/of/1/calendar)."""
    from tracker.register.chains import stored_parts_to_json
    _, problems = check_deadline(stored_parts_to_json(data.rule_combination, data.rule_parts, data.rule_roll,
                                                      data.rule_calendar))
    errors = {}
    for problem in problems:
        path, _, reason = problem.partition(": ")
        path = re.sub(r"\[(\d+)\]", r"/\1", path).replace(".", "/").replace("anchor", "anchor_event_id")
        errors[f"deadline/{path}"] = reason
    if errors:
        raise service_errors(errors)


@operation("POST", "/obligations", summary="Create an obligation", tag=TAG, role="editor",
           body=ObligationCreate, response=ObligationOut, status=201, errors=(409,))
def create_obligation_view(body: ObligationCreate):
    permissions.require_obligation_write(api_user(), None, body.team_id)
    with mapped_errors():
        ob = create_obligation(_input(body), Actor.of(api_user()))
    return created(obligation_out(load_obligation(ob.id)))


@operation("GET", "/obligations/<int:obligation_id>", summary="Read an obligation", tag=TAG,
           response=ObligationOut, etag=True)
def get_obligation(obligation_id: int):
    return respond(obligation_out(load_obligation(obligation_id)))


@operation("PATCH", "/obligations/<int:obligation_id>", summary="Edit an obligation", tag=TAG,
           role="editor", body=ObligationPatch, response=ObligationOut, etag=True, if_match=True,
           errors=(409,), description="A changed rule recomputes the due date (revision + 1, history).")
def update_obligation_view(obligation_id: int, body: ObligationPatch):
    ob = locked_obligation(obligation_id)
    permissions.require_obligation_write(api_user(), ob, body.team_id)
    with mapped_errors():
        update_obligation(ob, _input(body, ob), Actor.of(api_user()))
    return respond(obligation_out(load_obligation(obligation_id)))


@operation("POST", "/obligations/<int:obligation_id>/status", summary="Change an obligation's status",
           tag=TAG, role="editor", body=StatusChange, response=ObligationOut, etag=True, if_match=True,
           description="Waiving needs a note. Done on a recurring obligation moves it to the next occurrence.")
def change_status(obligation_id: int, body: StatusChange):
    ob = locked_obligation(obligation_id)
    permissions.require_obligation_write(api_user(), ob)
    with mapped_errors():
        set_status(ob, body.status, Actor.of(api_user()), note=body.note)
    return respond(obligation_out(load_obligation(obligation_id)))


@operation("DELETE", "/obligations/<int:obligation_id>", summary="Delete an obligation", tag=TAG,
           role="editor", status=204, if_match=True,
           description="Soft delete: history and audit stay; calendar feeds show it cancelled.")
def delete_obligation_view(obligation_id: int):
    ob = locked_obligation(obligation_id)
    permissions.require_obligation_write(api_user(), ob)
    delete_obligation(ob, Actor.of(api_user()))
    return no_content()


@operation("GET", "/obligations/<int:obligation_id>/history", summary="Deadline history of an obligation",
           tag=TAG, response=HistoryList,
           description="Every change of the due date or due state, newest first, with the reason.")
def obligation_history(obligation_id: int):
    load_obligation(obligation_id)
    rows = db.session.scalars(select(DeadlineHistory).where(DeadlineHistory.obligation_id == obligation_id)
                              .order_by(DeadlineHistory.id.desc()))
    return respond(HistoryList(items=[history_out(row) for row in rows]), etag=False)

