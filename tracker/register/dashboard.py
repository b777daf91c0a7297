"""What the dashboard shows: the work that needs attention, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation
from tracker.models.register import ACTIVE_STATUSES
from tracker.register.dependents import Dependents, dependents_of
from tracker.register.queries import due_between, overdue_condition, stale_estimate_condition, undated_last

SECTION_LIMIT = 20


@dataclass
class Section:
    """A list of obligations with the total that matched (rows may be capped)."""

    key: str
    title: str
    hint: str
    rows: list = field(default_factory=list)
    total: int = 0
    list_args: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    sections: list[Section]
    stale_events: list[tuple[Event, Dependents]]
    recent_changes: list[DeadlineHistory]


def _scoped(team_ids: list[int] | None):
    query = select(Obligation).where(Obligation.deleted_at.is_(None),
                                     Obligation.status.in_(ACTIVE_STATUSES))
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return query


def _fill(section: Section, query, limit: int, dated: bool) -> Section:
    # Dated sections order by the indexed due date alone so SQLite can walk the
    # index and stop after `limit` rows instead of sorting every match.
    order = (Obligation.due_date, Obligation.id) if dated else undated_last()
    section.rows = list(db.session.scalars(
        query.options(joinedload(Obligation.team), joinedload(Obligation.owner),
                      joinedload(Obligation.anchor_event))
        .order_by(*order).limit(limit)))
    return section


def build_dashboard(team_ids: list[int] | None, todays: dict[int, date], utc_today: date,
                    limit: int = SECTION_LIMIT, owner_filter=None, owner: str = "") -> Dashboard:
    """The dashboard's sections for the given teams (None: every team).

    `owner_filter` (a condition, tracker.work.queries.owner_condition) narrows
    the sections to one owner; `owner` is its word, carried into the list links.
    """
    base = _scoped(team_ids)
    if owner_filter is not None:
        base = base.where(owner_filter)
    conditions = {
        "stale": stale_estimate_condition(todays),
        "overdue": overdue_condition(todays),
        "next_30": due_between(todays, 0, 30),
        "next_90": due_between(todays, 31, 90),
        "projected": Obligation.due_state.in_(("projected", "undated")),
    }
    sections = [
        Section("stale", "Estimate passed",
                "Projected from an event expected by now and not recorded: not overdue. Estimate passed: "
                "record what happened or move the estimate.", list_args={"window": "stale", "status": "active"}),
        Section("overdue", "Overdue", "Due before today in the team's time zone and not done "
                "(a deadline waiting on a passed estimate is not overdue).",
                list_args={"window": "overdue"}),
        Section("next_30", "Due in the next 30 days", "Open or in progress, due from today to 30 days ahead.",
                list_args={"window": "next_30", "status": "active"}),
        Section("next_90", "Due in 31 to 90 days", "Open or in progress, due 31 to 90 days ahead.",
                list_args={"window": "next_90", "status": "active"}),
        Section("projected", "Waiting on an event",
                "Projected or undated deadlines: they firm up when the anchor event is recorded.",
                list_args={"due_state": "projected", "status": "active"}),
    ]
    # One pass over the scoped rows counts every section (instead of one count each).
    totals = db.session.execute(base.with_only_columns(
        *(func.coalesce(func.sum(case((conditions[s.key], 1), else_=0)), 0) for s in sections))).one()
    for section, total in zip(sections, totals):
        section.total = int(total)
        if owner:
            section.list_args["owner"] = owner
        _fill(section, base.where(conditions[section.key]), limit, dated=section.key not in ("projected", "stale"))
    return Dashboard(sections, stale_estimates(utc_today), recent_changes(team_ids))


def stale_estimates(today: date, limit: int = SECTION_LIMIT) -> list[tuple[Event, Dependents]]:
    """Expected events whose whole estimated window has passed, with what depends on each
    (tracker.register.dependents: the same count as the event page and the preview)."""
    events = db.session.scalars(
        select(Event).options(joinedload(Event.source))
        # A derived event is stale only through its root, which is listed itself.
        .where(Event.status == "expected", Event.expected_on < today, Event.derived_from_event_id.is_(None))
        .order_by(Event.expected_on, Event.id).limit(limit * 4)).all()
    stale = [event for event in events if event.partial_date and event.partial_date.last < today][:limit]
    found = dependents_of([event.id for event in stale])
    return [(event, found[event.id]) for event in stale]


def recent_changes(team_ids: list[int] | None, limit: int = 15) -> list[DeadlineHistory]:
    """The newest deadline history records, with their obligations and teams loaded."""
    query = (select(DeadlineHistory).join(Obligation, DeadlineHistory.obligation_id == Obligation.id)
             .where(Obligation.deleted_at.is_(None))
             .options(joinedload(DeadlineHistory.obligation).joinedload(Obligation.team))
             .order_by(DeadlineHistory.changed_at.desc(), DeadlineHistory.id.desc()).limit(limit))
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return list(db.session.scalars(query))


# ---- The priorities dashboard: summary tiles and one ranked "Needs action" list ----

@dataclass
class Tile:
    key: str
    label: str
    count: int
    endpoint: str
    args: dict = field(default_factory=dict)
    tone: str = ""  # overdue | soon | estimate | info: colour, always with the words


@dataclass
class Priorities:
    tiles: list[Tile]
    items: list  # needs_action.ActionItem, ranked
    total: int
    recent_changes: list[DeadlineHistory]


# owner_id for "nobody's": obligations without an owner.
UNASSIGNED = 0


def _in_scope(query, team_ids: list[int] | None, owner_id: int | None):
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    if owner_id == UNASSIGNED:
        query = query.where(Obligation.owner_id.is_(None))
    elif owner_id is not None:
        query = query.where(Obligation.owner_id == owner_id)
    return query


def build_priorities(team_ids: list[int] | None, owner_id: int | None, todays: dict[int, date],
                     utc_today: date, can_edit: bool, limit: int | None = None) -> Priorities:
    """Tiles and the ranked list for a scope: `owner_id` (one person's, or UNASSIGNED: nobody's),
    `team_ids` (my teams), neither (all)."""
    from tracker.models import VendorRequest
    from tracker.register import needs_action
    from tracker.vendors.queries import owed_overdue
    from tracker.watches.queries import open_proposals
    from tracker.watches.wording import change_words

    base = _in_scope(_scoped(None), team_ids, owner_id)
    conditions = {"overdue": due_between(todays, None, -1), "next_30": due_between(todays, 0, 30),
                  "projected": Obligation.due_state.in_(("projected", "undated"))}
    counts = dict(zip(conditions, db.session.execute(base.with_only_columns(
        *(func.coalesce(func.sum(case((c, 1), else_=0)), 0) for c in conditions.values()))).one()))
    # Dated rows up to 30 days ahead, by the due-date index; overdue ones come first.
    rows = list(db.session.scalars(
        base.where(due_between(todays, None, 30))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner),
                 joinedload(Obligation.anchor_event).joinedload(Event.derived_from))
        .order_by(Obligation.due_date, Obligation.id).limit(60)))
    anchored = set(db.session.scalars(base.with_only_columns(Obligation.anchor_event_id).distinct()
                                      .where(Obligation.anchor_event_id.is_not(None))))
    everything = team_ids is None and owner_id is None
    stale = [(event, n) for event, n in stale_estimates(utc_today) if everything or event.id in anchored]
    stale_ids = {event.id for event, _ in stale}
    past_estimate: dict[int, list[int]] = {}
    for ob in rows:
        today = todays.get(ob.team_id)
        root = needs_action.stale_root(ob.anchor_event, stale_ids) if ob.due_state == "projected" else None
        if today and ob.due_date < today and root is not None:
            past_estimate.setdefault(root, []).append(ob.id)

    requests = _in_scope(select(VendorRequest).join(Obligation, Obligation.id == VendorRequest.obligation_id)
                         .where(Obligation.deleted_at.is_(None)), team_ids, owner_id)
    request_options = (joinedload(VendorRequest.vendor), joinedload(VendorRequest.obligation).joinedload(Obligation.team))
    review = requests.where(VendorRequest.status == "submitted")
    late = requests.where(owed_overdue(todays))
    review_count = db.session.scalar(review.with_only_columns(func.count(VendorRequest.id))) or 0
    late_count = db.session.scalar(late.with_only_columns(func.count(VendorRequest.id))) or 0
    reviews = list(db.session.scalars(review.options(*request_options).order_by(VendorRequest.id).limit(20)))
    lates = list(db.session.scalars(late.options(*request_options).order_by(VendorRequest.due_date).limit(20)))
    proposals = [p for p in open_proposals(20) if everything or p.event_id in anchored]

    items = (needs_action.obligation_items(rows, todays, can_edit, stale_ids)
             + needs_action.stale_items(stale, past_estimate, can_edit)
             + needs_action.request_items(reviews, lates, todays, can_edit)
             + needs_action.proposal_items(proposals, change_words))
    ranked, total = needs_action.rank(items, limit or needs_action.LIST_LIMIT)
    tiles = [
        Tile("overdue", "Overdue", counts["overdue"], "obligations.index", {"window": "overdue"}, "overdue"),
        Tile("next_30", "Due in 30 days", counts["next_30"], "obligations.index",
             {"window": "next_30", "status": "active"}, "soon"),
        Tile("projected", "Waiting on an event", counts["projected"], "obligations.index",
             {"due_state": "projected", "status": "active"}, "estimate"),
        Tile("stale", "Estimates out of date", len(stale), "events.index", {}, "estimate"),
        Tile("vendor_overdue", "Vendor requests overdue", late_count, "vendor_matrix.matrix", {"state": "overdue"},
             "overdue"),
        Tile("review", "Vendor answers to review", review_count, "vendor_matrix.matrix", {"state": "submitted"},
             "info"),
        Tile("proposals", "Proposals to decide", len(proposals), "watches.index", {}, "info"),
    ]
    changes = [h for h in recent_changes(team_ids, limit=10)
               if owner_id is None or h.obligation.owner_id == owner_id]
    return Priorities(tiles, ranked, total, changes)
