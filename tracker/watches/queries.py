"""What the pages, the API and /healthz ask about watches and proposals (one place each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import Proposal, Source, Watch, WatchObservation

FAILING_FOR = timedelta(days=1)


def proposals_query(status: str | None = "open"):
    """Proposals, newest first, with what they are shown with loaded."""
    query = select(Proposal).options(joinedload(Proposal.event), joinedload(Proposal.source),
                                     joinedload(Proposal.observation), joinedload(Proposal.watch))
    if status is not None:
        query = query.where(Proposal.status == status)
    return query


def open_proposals(limit: int | None = None) -> list[Proposal]:
    query = proposals_query("open").order_by(Proposal.id.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def open_proposal_count() -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.status == "open")) or 0


def watches_of(source: Source) -> list[Watch]:
    return list(db.session.scalars(select(Watch).where(Watch.source_id == source.id).order_by(Watch.id)))


def failing_watches(now: datetime) -> list[Watch]:
    """Watches whose polls have failed for more than a day."""
    return list(db.session.scalars(select(Watch).options(joinedload(Watch.source)).where(
        Watch.status == "failing", Watch.failing_since <= now - FAILING_FOR).order_by(Watch.failing_since)))


@dataclass(frozen=True)
class UnmappedStage:
    """A stage a watch observed that no event of the source stands for."""

    stage: str
    on: date | None
    text: str
    url: str


def unmapped_stages(watch: Watch) -> list[UnmappedStage]:
    """The latest observation of each observed stage the watch does not map."""
    mapped = set((watch.stages or {}).keys())
    latest: dict[str, WatchObservation] = {}
    rows = db.session.scalars(select(WatchObservation).where(WatchObservation.watch_id == watch.id)
                              .order_by(WatchObservation.observed_on, WatchObservation.id))
    for row in rows:
        if row.stage not in mapped:
            latest[row.stage] = row
    return [UnmappedStage(r.stage, r.observed_on, r.text, r.url) for r in latest.values()]


def source_proposals(source: Source) -> list[Proposal]:
    """The source's open proposals."""
    return list(db.session.scalars(proposals_query("open").where(Proposal.source_id == source.id)
                                   .order_by(Proposal.id)).unique())


# The API key each provider needs to run at all (the others need none).
PROVIDER_KEYS = {"congress": ("TRACKER_CONGRESS_API_KEY", "Congress.gov"),
                 "openstates": ("TRACKER_OPENSTATES_API_KEY", "Open States")}


def watch_overview(config) -> list[dict]:
    """Every watch with its source, its open proposals and what stops it running (a missing key)."""
    watches = list(db.session.scalars(select(Watch).options(joinedload(Watch.source))
                                      .order_by(Watch.source_id, Watch.id)))
    open_counts = dict(db.session.execute(
        select(Proposal.watch_id, func.count(Proposal.id)).where(Proposal.status == "open")
        .group_by(Proposal.watch_id)).all())
    rows = []
    for watch in watches:
        needed = PROVIDER_KEYS.get(watch.provider)
        missing = needed[0] if needed and not (config.get(needed[0]) or "").strip() else ""
        rows.append({"watch": watch, "open_proposals": open_counts.get(watch.id, 0), "missing_key": missing})
    return rows
