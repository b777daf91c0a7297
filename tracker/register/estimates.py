"""Deadlines waiting on a stale estimate: one definition for pages, feeds, mail, channels and the API.

An `expected` event whose whole estimated window has passed (its last day is
before today) is a *lapsed estimate*: it did not happen when we thought, and
nobody recorded what happened or moved the estimate. A projected deadline that
reads such an event, directly, down a chain of derived events, or through a
part of an earliest/latest rule, is *waiting on a stale estimate*
(`stale_estimate: true`). Counted from an event that has not happened, it
cannot yet be late: it is never overdue and gets no overdue notice. Its owner
and the team's editors get one stale-estimate notice per event per week
instead (tracker.jobs.stale_notices).

Its projected date stays the one counted from the passed estimate (no revision,
no change notice while time passes): every page, feed and email shows it with
"estimate passed: record what happened or move the estimate". Recording the
event (or moving the estimate) recomputes it as usual: a date that is then in
the past is overdue at once.

"Today" is the team's local date, as for overdue. The lapsed events are worked
out from the whole event graph in one SELECT (tracker.register.chains).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from sqlalchemy import and_, false, or_, select

from tracker.db import db
from tracker.deadlines import partial_from
from tracker.models import Event, Obligation
from tracker.models.register import STALE_ESTIMATE

ESTIMATE_PASSED = "estimate passed: record what happened or move the estimate"
ESTIMATE_PASSED_TITLE = "Estimate passed"


def _lapsed_roots(rows, today: date) -> set[int]:
    return {row.id for row in rows
            if row.status == "expected" and row.derived_from_event_id is None and row.expected_on is not None
            and partial_from(row.expected_on, row.precision or "day").last < today}


@dataclass(frozen=True)
class Lapsed:
    """The estimates passed on one local date, and the deadlines waiting on them."""

    today: date
    roots: frozenset[int]          # expected, non-derived events whose window has passed
    event_ids: frozenset[int]      # those and every expected event derived from them
    combination_ids: frozenset[int]  # live earliest/latest obligations reading one of them
    root_of: dict = field(default_factory=dict, compare=False)  # event id -> the lapsed root it hangs on
    loaded: dict = field(default_factory=dict, compare=False)   # the root Event rows, read once when asked

    def root_events(self) -> dict[int, Event]:
        """The lapsed root events as rows."""
        return self.loaded

    def roots_read_by(self, obligation) -> set[int]:
        """The lapsed roots this obligation waits on (empty when it is not waiting)."""
        from tracker.register.chains import anchors_of

        if obligation.due_state != "projected":
            return set()
        return {self.root_of[event_id] for event_id in anchors_of(obligation) if event_id in self.root_of}

    def condition(self):
        """SQL: an obligation (or a joined row) waiting on one of these estimates."""
        if not self.event_ids:
            return false()
        direct = and_(Obligation.rule_combination.is_(None), Obligation.anchor_event_id.in_(sorted(self.event_ids)))
        reading = or_(direct, Obligation.id.in_(sorted(self.combination_ids))) if self.combination_ids else direct
        return and_(Obligation.due_state == "projected", reading)

    def covers(self, obligation) -> bool:
        """True when this obligation (an Obligation or a row with its rule columns) waits on one of them."""
        from tracker.register.chains import anchors_of

        return (obligation.due_state == "projected" and bool(self.event_ids)
                and bool(anchors_of(obligation) & self.event_ids))


def lapsed_on(today: date) -> Lapsed:
    """The estimates passed on `today` (a team's local date): three small SELECTs, once per web request.

    Within a request (a page, an API call) the answer is kept, so a list of a
    thousand deadlines asks once; a background pass (no request) always reads afresh.
    """
    from flask import g, has_request_context

    if not has_request_context():
        return _lapsed_on(today)
    cache = g.setdefault("lapsed_estimates", {})
    if today not in cache:
        cache[today] = _lapsed_on(today)
    return cache[today]


def _lapsed_on(today: date) -> Lapsed:
    # Whole rows (a register has tens of events): the roots' titles and dates come with them.
    rows = list(db.session.scalars(select(Event)))
    roots = _lapsed_roots(rows, today)
    from tracker.register.chains import anchors_of

    combos = db.session.execute(select(Obligation.id, Obligation.rule_combination, Obligation.rule_parts,
                                       Obligation.rule, Obligation.anchor_event_id).where(
        Obligation.deleted_at.is_(None), Obligation.rule_combination.is_not(None))).all()
    if not roots:
        return Lapsed(today, frozenset(), frozenset(), frozenset())
    children: dict[int, list[int]] = {}
    for row in rows:
        if row.derived_from_event_id is not None and row.status == "expected":
            children.setdefault(row.derived_from_event_id, []).append(row.id)
    root_of = {root: root for root in roots}
    todo = list(roots)
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            if child not in root_of:
                root_of[child] = root_of[parent]
                todo.append(child)
    events = set(root_of)
    combination_ids = {row.id for row in combos if anchors_of(row) & events}
    return Lapsed(today, frozenset(roots), frozenset(events), frozenset(combination_ids), root_of,
                  {row.id: row for row in rows if row.id in roots})


class LapsedByDay:
    """`lapsed_on` for each distinct local date, computed once (teams rarely span more than two)."""

    def __init__(self, todays: Mapping[int, date]):
        self.todays = dict(todays)
        self._by_day: dict[date, Lapsed] = {}

    def on(self, today: date) -> Lapsed:
        if today not in self._by_day:
            self._by_day[today] = lapsed_on(today)
        return self._by_day[today]

    def of_team(self, team_id: int) -> Lapsed | None:
        today = self.todays.get(team_id)
        return self.on(today) if today is not None else None

    def condition(self):
        """SQL: an obligation of these teams waiting on a stale estimate in its team's today."""
        groups: dict[date, list[int]] = {}
        for team_id, today in self.todays.items():
            groups.setdefault(today, []).append(team_id)
        parts = []
        for today, team_ids in groups.items():
            lapsed = self.on(today)
            if lapsed.event_ids:
                parts.append(and_(Obligation.team_id.in_(team_ids), lapsed.condition()))
        return or_(*parts) if parts else false()


def lapsed_root_events(obligation, today: date) -> list[Event]:
    """The lapsed expected events (roots) an obligation waits on, for the "record / move" links."""
    if getattr(obligation, "due_state", None) != "projected":
        return []
    lapsed = lapsed_on(today)
    roots = lapsed.roots_read_by(obligation)
    if not roots:
        return []
    events = lapsed.root_events()
    return [events[event_id] for event_id in sorted(roots) if event_id in events]


def waits_on_stale_estimate(obligation, today: date) -> bool:
    """True when this obligation's projected date counts from an estimate passed by `today`.

    Asks `lapsed_on` whatever the row, so a page costs the same statements whichever rows it shows.
    """
    lapsed = lapsed_on(today)
    return getattr(obligation, "due_state", None) == "projected" and bool(lapsed.roots_read_by(obligation))


def estimate_ends(rows) -> dict[int, date]:
    """For each projected row (with its rule columns), the last day of the estimate it counts from.

    The deadline waits on a stale estimate from the next day on, until the event
    is recorded or its estimate moved. One SELECT of the events; for feeds,
    which must know in advance on which day their text changes.
    """
    from tracker.register.chains import anchors_of

    projected = [row for row in rows if row.due_state == "projected"]
    if not projected:
        return {}
    events = {row.id: row for row in db.session.execute(select(
        Event.id, Event.status, Event.expected_on, Event.precision, Event.derived_from_event_id))}

    def root_end(event_id: int) -> date | None:
        seen = set()
        event = events.get(event_id)
        while event is not None and event.derived_from_event_id is not None and event.id not in seen:
            seen.add(event.id)
            event = events.get(event.derived_from_event_id)
        if event is None or event.status != "expected" or event.expected_on is None:
            return None
        return partial_from(event.expected_on, event.precision or "day").last

    ends = {}
    for row in projected:
        days = [day for day in (root_end(event_id) for event_id in anchors_of(row)) if day is not None]
        if days:
            ends[row.id] = min(days)
    return ends


# The tables ask the register (Obligation.waits_on_stale_estimate, is_overdue).
STALE_ESTIMATE.query = waits_on_stale_estimate
