"""Deciding proposals: accepting records the change through the event service; rejecting keeps it.

Accepting goes through `record_event`, the same locked step as the event page's
confirmation: revisions, history, feeds and change notices follow from it
exactly as when a person records the event by hand. The history reason names
the provider and what it reported.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import Event, Proposal
from tracker.register.events import EventDate, preview_event_change, preview_fingerprint, record_event
from tracker.register.recompute import DueChange
from tracker.txn import begin_write
from tracker.watches.provenance import keep_provenance
from tracker.watches.wording import reported

log = logging.getLogger(__name__)


def proposed_change(proposal: Proposal) -> EventDate:
    """The event date the proposal would record."""
    return EventDate(status=proposal.change_status, on=proposal.change_date)


def origin_of(proposal: Proposal) -> str:
    """'Congress.gov: Became Public Law No: 119-52 (2026-12-03)'."""
    observation = proposal.observation
    return reported(proposal.watch.provider, observation.text, observation.observed_on)


def moves_json(moves: list[DueChange]) -> list[dict]:
    """The moves of a dry run as stored with a proposal and shown by the API."""
    return [{"obligation_id": m.obligation_id, "key": m.key, "title": m.title,
             "old_date": m.old_date.isoformat() if m.old_date else None, "old_state": m.old_state,
             "new_date": m.new.date.isoformat() if m.new.date else None, "new_state": m.new.state,
             "summary": m.summary()} for m in moves]


def preview(proposal: Proposal) -> tuple[list[DueChange], str]:
    """What accepting would move now (a dry run, nothing written) and the fingerprint of that preview."""
    event = proposal.event
    moves = preview_event_change(event, proposed_change(proposal))
    return moves, preview_fingerprint(event, moves)


def _require_open(proposal_id: int) -> Proposal:
    proposal = db.session.scalar(select(Proposal).where(Proposal.id == proposal_id)
                                 .execution_options(populate_existing=True))
    if proposal is None:
        raise LookupError(proposal_id)
    if proposal.status != "open":
        raise Conflict(f"this proposal was already {proposal.status}", field="status")
    return proposal


def _decide(proposal: Proposal, status: str, actor: Actor, now: datetime) -> None:
    before = audit.snapshot(proposal, ("status",))
    # Conditional: of two deciders, one changes the row and the other is refused.
    done = db.session.execute(update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "open")
                              .values(status=status, decided_by_id=actor.user_id, decided_by=actor.label,
                                      decided_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict("this proposal was decided meanwhile", field="status")
    db.session.expire(proposal)
    audit.log(actor, "update", proposal, audit.diff(before, {"status": status}), at=now)


def accept_proposal(proposal_id: int, actor: Actor, *, preview_token: str | None = None,
                    now: datetime | None = None) -> tuple[Proposal, list[DueChange]]:
    """Record the proposed change of the event; LookupError when there is no such proposal.

    `preview_token` is the fingerprint of the preview the person saw (StalePreview
    when the deadlines changed since). Conflict when the proposal was decided already.
    """
    now = now or utcnow()
    proposal = _require_open(proposal_id)
    event_id, origin = proposal.event_id, origin_of(proposal)
    change = proposed_change(proposal)
    db.session.rollback()  # nothing held while record_event takes the event's lock

    def still_open(event: Event) -> None:
        _require_open(proposal_id)

    def decide(event: Event, moves: list[DueChange]) -> None:
        current = db.session.get(Proposal, proposal_id)
        _decide(current, "accepted", actor, now)
        current = db.session.get(Proposal, proposal_id)
        keep_provenance(event, current.watch.provider, current.observation, current.change_status,
                        current.change_date, current.id)

    recorded = record_event(event_id, change, actor, preview=preview_token, precondition=still_open, now=now,
                            reason=origin, also=decide)
    if recorded is None:
        raise LookupError(proposal_id)
    _, moves = recorded
    return db.session.get(Proposal, proposal_id), moves


def reject_proposal(proposal_id: int, actor: Actor, now: datetime | None = None) -> Proposal:
    """Keep the proposal as rejected: the same report is never proposed again."""
    now = now or utcnow()
    try:
        begin_write()
        proposal = _require_open(proposal_id)
        _decide(proposal, "rejected", actor, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return db.session.get(Proposal, proposal_id)


AUTO_APPLY = Actor(user_id=None, label="watch (auto_apply)")


def auto_apply(proposal_ids: list[int], now: datetime) -> list[int]:
    """Accept each proposal as the system (a watch set to auto_apply); ids of those recorded.

    A proposal that cannot be recorded now (the event changed meanwhile, a date
    out of range) stays open for a person.
    """
    applied = []
    for proposal_id in proposal_ids:
        try:
            accept_proposal(proposal_id, AUTO_APPLY, now=now)
        except (Conflict, LookupError, ValidationFailed, ValueError) as exc:
            log.warning("auto_apply of proposal %s left it open: %s", proposal_id, exc)
            continue
        applied.append(proposal_id)
    return applied
