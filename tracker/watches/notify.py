"""Telling the source's teams about new proposals: one email per recipient per poll pass, and channels.

The teams of a source are the teams of the live obligations anchored on its
events. Each member (active, with change notices on) gets one message listing
every new proposal of the pass for any of their teams' sources; each team's
channels that take `proposal.created` get one delivery listing the team's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.channels.operations import enqueue
from tracker.db import db
from tracker.mail.planning import insert_new, members_by_team, outbox_row, wants
from tracker.mail.render import render_proposals
from tracker.models import Channel, Event, Obligation, Proposal
from tracker.watches.wording import change_words, reported

PROPOSAL_EVENT = "proposal.created"


def _teams_by_source(source_ids: set[int]) -> dict[int, set[int]]:
    rows = db.session.execute(select(Event.source_id, Obligation.team_id).join(
        Obligation, Obligation.anchor_event_id == Event.id).where(
        Event.source_id.in_(source_ids), Obligation.deleted_at.is_(None)).distinct())
    teams: dict[int, set[int]] = defaultdict(set)
    for source_id, team_id in rows:
        teams[source_id].add(team_id)
    return teams


def proposal_item(proposal: Proposal) -> dict:
    """A proposal in words, as the email and the channels list it."""
    base = current_app.config["TRACKER_BASE_URL"].rstrip("/")
    observation = proposal.observation
    headline = f"record '{proposal.event.title}' as {change_words(proposal.change_status, proposal.change_date)}?"
    return {"id": proposal.id, "headline": headline[0].upper() + headline[1:], "source": proposal.source.title,
            "reported": reported(proposal.watch.provider, observation.text, observation.observed_on),
            "observed_url": observation.url if observation.url.startswith(("http://", "https://")) else "",
            "conflicts_with": proposal.conflicts_with, "moves": list(proposal.moves_preview or []),
            "url": f"{base}/proposals/{proposal.id}"}


def _channel_item(item: dict) -> dict:
    detail = item["reported"] + (f"; conflicts with {item['conflicts_with']}" if item["conflicts_with"] else "")
    return {"title": item["headline"], "url": item["url"], "detail": f"{len(item['moves'])} deadline(s) would "
            f"move · {detail}", "proposal_id": item["id"], "source": item["source"]}


def notify_new_proposals(proposal_ids: list[int], now: datetime) -> tuple[int, int]:
    """Queue the emails and channel deliveries for `proposal_ids`; (emails, deliveries) queued."""
    if not proposal_ids:
        return 0, 0
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids), Proposal.status == "open")
                                   .order_by(Proposal.id)).all()
    if not proposals:
        return 0, 0
    teams = _teams_by_source({p.source_id for p in proposals})
    items = {p.id: proposal_item(p) for p in proposals}
    by_team: dict[int, list[int]] = defaultdict(list)
    for proposal in proposals:
        for team_id in teams.get(proposal.source_id, ()):
            by_team[team_id].append(proposal.id)
    members = members_by_team()
    by_user: dict[int, tuple] = {}
    for team_id, ids in by_team.items():
        for user in members.get(team_id, []):
            if wants(user, "proposal"):
                user_ids = by_user.setdefault(user.id, (user, set()))[1]
                user_ids.update(ids)
    rows = []
    for user, ids in by_user.values():
        listed = [items[pid] for pid in sorted(ids)]
        # The first proposal of a pass is this pass's own: one message per recipient per pass.
        key = f"proposal:{min(ids)}:{user.id}"
        rows.append(outbox_row(key, "proposal", render_proposals(user, listed, now), user, now))
    emails = insert_new(rows)
    deliveries = 0
    if by_team:
        channels = db.session.scalars(select(Channel).where(Channel.team_id.in_(list(by_team)),
                                                            Channel.status == "active"))
        for channel in channels:
            ids = by_team[channel.team_id]
            if enqueue(channel, PROPOSAL_EVENT, f"proposal:{min(ids)}:{channel.team_id}",
                       [_channel_item(items[pid]) for pid in ids], now=now, commit=False) is not None:
                deliveries += 1
    db.session.commit()
    return emails, deliveries
