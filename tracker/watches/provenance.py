"""Where an event's recorded date came from: kept when a watch's report is recorded."""

from __future__ import annotations

from sqlalchemy import delete

from tracker.db import db
from tracker.models import Event, EventProvenance, WatchObservation


def keep_provenance(event: Event, provider: str, observation: WatchObservation, status: str, on,
                    proposal_id: int | None) -> None:
    """Note (replacing any earlier note) that the event's date is what `observation` reported."""
    db.session.execute(delete(EventProvenance).where(EventProvenance.event_id == event.id))
    db.session.add(EventProvenance(
        event_id=event.id, provider=provider, text=observation.text, url=observation.url,
        identifiers=dict(observation.identifiers or {}), fetched_at=observation.fetched_at,
        recorded_status=status, recorded_on=on, proposal_id=proposal_id))


def provenance_of(event: Event) -> EventProvenance | None:
    """The watch report the event's current date came from, or None (recorded by hand since)."""
    found = db.session.get(EventProvenance, event.id)
    if found is None or found.recorded_status != event.status:
        return None
    if event.status in ("occurred", "expected") and found.recorded_on != event.on:
        return None
    return found
