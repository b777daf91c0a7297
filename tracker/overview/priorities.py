"""The priorities dashboard: summary tiles and one ranked "Needs action" list.

It puts deadlines, stale estimates, vendor requests and regulator proposals in one
list, so it reads the register, the vendors and the watches and stands above all
three (docs/architecture.md, the layer order). The register's own sections and
queries stay in tracker.register.dashboard and tracker.register.queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation, VendorRequest
from tracker.register import needs_action
from tracker.register.dashboard import recent_changes, scoped_obligations, stale_estimates
from tracker.register.queries import due_between
from tracker.vendors.queries import owed_overdue
from tracker.watches.queries import open_proposals
from tracker.watches.wording import change_words


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
    base = _in_scope(scoped_obligations(None), team_ids, owner_id)
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
    request_options = (joinedload(VendorRequest.vendor),
                       joinedload(VendorRequest.obligation).joinedload(Obligation.team))
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
