"""Storing one poll's observations and the proposals they make (inside the caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import Event, Proposal, Watch, WatchObservation
from tracker.register.events import EventDate, preview_event_change
from tracker.watches.decide import EventState, Planned, decision_key, plan_proposals
from tracker.watches.proposals import moves_json
from tracker.watches.providers import Observation, occurrence
from tracker.watches.wording import provider_label

# Proposals of these statuses are estimates: a newer report for the same event replaces them.
ESTIMATES = ("expected", "speculative")


@dataclass
class StoredPoll:
    observed: int = 0
    proposed: list[int] = field(default_factory=list)
    # New proposals that auto_apply may record (never a conflict).
    applicable: list[int] = field(default_factory=list)


def as_observation(row: WatchObservation) -> Observation:
    """The provider-side view of a stored observation (same fingerprint)."""
    return Observation(stage=row.stage, on=row.observed_on, text=row.text, url=row.url,
                       identifiers=dict(row.identifiers or {}))


def _event_states(watch: Watch) -> dict[int, EventState]:
    ids = list(set((watch.stages or {}).values()))
    if not ids:
        return {}
    events = db.session.scalars(select(Event).where(Event.id.in_(ids), Event.source_id == watch.source_id))
    return {e.id: EventState(e.id, e.status, e.on) for e in events}


def _supersede_older(watch: Watch, plan: Planned, proposal: Proposal) -> None:
    """A new estimate or occurrence replaces open estimates for the same event."""
    older = db.session.scalars(select(Proposal).where(
        Proposal.watch_id == watch.id, Proposal.event_id == plan.event_id, Proposal.status == "open",
        Proposal.id != proposal.id, Proposal.conflicts_with == "", Proposal.change_status.in_(ESTIMATES)))
    for row in older:
        row.status = "superseded"
        row.decided_at = proposal.created_at
        row.decided_by = f"superseded by proposal {proposal.id}"


def store_observations(watch: Watch, fetched: list[Observation], now: datetime) -> StoredPoll:
    """Insert what is new, propose what would change an event; writes nothing when nothing is new.

    The caller holds the watch (locked, leased) and commits.
    """
    rows = {row.fingerprint: row for row in db.session.scalars(
        select(WatchObservation).where(WatchObservation.watch_id == watch.id))}
    decided = set()
    for proposal in db.session.scalars(select(Proposal).where(Proposal.watch_id == watch.id)
                                       .options(joinedload(Proposal.observation))):
        decided.add(decision_key(as_observation(proposal.observation), proposal.event_id, proposal.change_status))
    planned = plan_proposals(fetched, [as_observation(r) for r in rows.values()], watch.stages or {},
                             _event_states(watch), decided, now.date(), provider_label(watch.provider))
    result = StoredPoll()
    for observation in fetched:
        fingerprint = observation.fingerprint()
        if fingerprint in rows:
            continue
        row = WatchObservation(watch_id=watch.id, fingerprint=fingerprint[:500], stage=observation.stage,
                               occurrence=occurrence(observation)[:80], observed_on=observation.on,
                               text=observation.text, url=observation.url[:2000],
                               identifiers=dict(observation.identifiers), fetched_at=now, first_seen=now)
        db.session.add(row)
        rows[fingerprint] = row
        result.observed += 1
    if not planned:
        return result
    db.session.flush()
    for plan in planned:
        event = db.session.get(Event, plan.event_id)
        moves = preview_event_change(event, EventDate(status=plan.status, on=plan.on))
        conflict_row = rows.get(plan.conflict_fingerprint) if plan.conflict_fingerprint else None
        proposal = Proposal(watch_id=watch.id, source_id=watch.source_id, event_id=plan.event_id,
                            observation_id=rows[plan.observation.fingerprint()].id, change_status=plan.status,
                            change_date=plan.on, status="open", conflicts_with=plan.conflicts_with,
                            conflict_observation_id=conflict_row.id if conflict_row is not None else None,
                            moves_preview=moves_json(moves), created_at=now, decided_by="")
        db.session.add(proposal)
        db.session.flush()
        if not plan.conflicts_with:
            _supersede_older(watch, plan, proposal)
            result.applicable.append(proposal.id)
        result.proposed.append(proposal.id)
    return result
