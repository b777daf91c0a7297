"""Reading a report's obligations from the register, as they stand or as they stood at a cutoff.

Which obligations belong to the scope, and their title, team, owner, status
and linked events, come from the rows undone by their audit entries; due dates
and due states from the deadline history (tracker.reports.history). Rows
created at or after the cutoff are left out, and so are rows deleted before it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import DeadlineHistory, Event, Obligation, Team, VendorRequest, obligation_events
from tracker.register.explanation import deadline_explanation
from tracker.reports.evidence import evidence_for
from tracker.reports.history import Change, as_date, as_int, fields_as_of
from tracker.reports.model import HistoryRow, ObligationRow, Report, StatusChange, priority_of
from tracker.reports.queries import audit_changes, chunks, ids_with_changed_field, user_labels
from tracker.reports.scopes import ReportRequest
from tracker.reports.vendor_part import vendor_part

TRACKED = ("title", "team_id", "owner_id", "status", "status_note", "events")


def _candidates(request: ReportRequest) -> list[Obligation]:
    """Obligations that may be in the scope at the cutoff (the reconstruction decides)."""
    scope, cutoff = request.scope, request.cutoff
    query = (select(Obligation)
             .where(Obligation.created_at < cutoff,
                    or_(Obligation.deleted_at.is_(None), Obligation.deleted_at >= cutoff))
             .options(joinedload(Obligation.anchor_event).joinedload(Event.source)))
    # Rows that left the scope since the cutoff are found through the audit log, which
    # is searched (a scan of its obligation updates) only for a past day.
    if scope.kind == "team":
        moved = [Obligation.id.in_(ids_with_changed_field("obligation", "team_id"))] if request.historical else []
        query = query.where(or_(Obligation.team_id == scope.id, *moved))
    elif scope.kind == "source":
        linked = (select(obligation_events.c.obligation_id)
                  .join(Event, Event.id == obligation_events.c.event_id).where(Event.source_id == scope.id))
        relinked = [Obligation.id.in_(ids_with_changed_field("obligation", "events"))] if request.historical else []
        query = query.where(or_(Obligation.id.in_(linked), *relinked))
    else:
        query = query.where(Obligation.id.in_(
            select(VendorRequest.obligation_id).where(VendorRequest.vendor_id == scope.id,
                                                      VendorRequest.created_at < cutoff)))
    return list(db.session.scalars(query.order_by(Obligation.id)).unique())


def _event_keys(ids: list[int]) -> dict[int, list[str]]:
    keys: dict[int, list[str]] = defaultdict(list)
    for part in chunks(ids):
        for ob_id, key in db.session.execute(
                select(obligation_events.c.obligation_id, Event.key)
                .join(Event, Event.id == obligation_events.c.event_id)
                .where(obligation_events.c.obligation_id.in_(part))):
            keys[ob_id].append(key)
    return {ob_id: sorted(values) for ob_id, values in keys.items()}


def _histories(ids: list[int]) -> dict[int, list[DeadlineHistory]]:
    found: dict[int, list[DeadlineHistory]] = defaultdict(list)
    for part in chunks(ids):
        for row in db.session.scalars(select(DeadlineHistory).where(DeadlineHistory.obligation_id.in_(part))
                                      .order_by(DeadlineHistory.changed_at, DeadlineHistory.id)):
            found[row.obligation_id].append(row)
    return found


def _source_event_keys(source_id: int) -> set[str]:
    return set(db.session.scalars(select(Event.key).where(Event.source_id == source_id)))


def _why(obligation: Obligation, moves: list[DeadlineHistory], before: list[DeadlineHistory],
         historical: bool) -> str:
    """Why the due date is what it is: the engine's words today; the last recorded reason in the past."""
    if not historical or not moves:
        try:
            return deadline_explanation(obligation)
        except (ValueError, ValidationFailed):  # a rule the engine cannot word: fall back to the record
            return before[-1].reason if before else ""
    return before[-1].reason if before else "as first computed when the obligation was added"


def _row(obligation: Obligation, state: dict, moves: list[DeadlineHistory], audit: list,
         request: ReportRequest, teams: dict[int, str], users: dict[int, str]) -> ObligationRow:
    cutoff = request.cutoff
    due = fields_as_of({"due_date": obligation.due_date, "due_state": obligation.due_state},
                       [Change(m.changed_at, {"due_date": [m.old_due_date, m.new_due_date],
                                              "due_state": [m.old_due_state, m.new_due_state]}) for m in moves],
                       cutoff)
    due_date, due_state = as_date(due["due_date"]), due["due_state"] or obligation.due_state
    same = (due_date, due_state) == (obligation.due_date, obligation.due_state)
    before = [m for m in moves if m.changed_at < cutoff]
    title = state["title"] or obligation.title
    owner_id = as_int(state["owner_id"])
    return ObligationRow(
        id=obligation.id, key=obligation.key, title=title,
        team=teams.get(as_int(state["team_id"]) or obligation.team_id, ""),
        owner=users.get(owner_id, "") if owner_id else "",
        priority=priority_of(obligation), due_date=due_date, due_state=due_state,
        due_precision=obligation.due_precision if same else "day", status=state["status"] or obligation.status,
        why=_why(obligation, moves, before, request.historical),
        history=[HistoryRow(obligation.key, title, m.changed_at, m.old_due_date, m.old_due_state, m.new_due_date,
                            m.new_due_state, m.reason) for m in before],
        status_changes=[StatusChange(obligation.key, title, change.at, actor,
                                     change.fields["status"][0], change.fields["status"][1],
                                     (change.fields.get("status_note") or [None, ""])[1] or "")
                        for change, actor in audit if change.at < cutoff and "status" in change.fields],
    )


def _order(row: ObligationRow) -> tuple:
    return (row.due_date is None, row.due_date or date.max, row.title.lower(), row.id)


def build_report(request: ReportRequest, generated_by: str, organization: str, generated_at: datetime) -> Report:
    """The report of `request`'s scope, as of its cutoff."""
    obligations = _candidates(request)
    ids = [ob.id for ob in obligations]
    audit = audit_changes("obligation", ids)
    histories = _histories(ids)
    events = _event_keys(ids)
    states = {ob.id: fields_as_of({"title": ob.title, "team_id": ob.team_id, "owner_id": ob.owner_id,
                                   "status": ob.status, "status_note": ob.status_note,
                                   "events": events.get(ob.id, [])},
                                  [change for change, _ in audit.get(ob.id, [])], request.cutoff)
              for ob in obligations}
    scope = request.scope
    if scope.kind == "team":
        obligations = [ob for ob in obligations if as_int(states[ob.id]["team_id"]) == scope.id]
    elif scope.kind == "source":
        keys = _source_event_keys(scope.id)
        obligations = [ob for ob in obligations if keys & set(states[ob.id]["events"] or [])]
    teams = {team_id: name for team_id, name in db.session.execute(select(Team.id, Team.name))}
    users = user_labels(as_int(state["owner_id"]) for state in states.values())
    rows = sorted((_row(ob, states[ob.id], histories.get(ob.id, []), audit.get(ob.id, []), request, teams, users)
                   for ob in obligations), key=_order)
    vendor_id = scope.id if scope.kind == "vendor" else None
    by_id = {row.id: row for row in rows}
    for item in evidence_for(rows, request.cutoff):
        if vendor_id is None or item.vendor_id == vendor_id:
            by_id[item.obligation_id].evidence.append(item)
    vendors, requests = vendor_part([row for row in rows], request.cutoff, vendor_id)
    return Report(organization=organization, scope=scope, as_of=request.as_of, historical=request.historical,
                  generated_at=generated_at, generated_by=generated_by, obligations=rows,
                  vendors=vendors, requests=requests)
