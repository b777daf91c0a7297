"""Telling the source's teams about new proposals: one email per recipient per batch, and channels.

The teams of a source are the teams of the live obligations anchored on its
events. Each member (active, with change notices on) gets one message listing
every proposal of the batch for any of their teams' sources; each team's
channels that take `proposal.created` get one delivery listing the team's.

Planned from stored state, like the reminder planners, never from what one
pass found: a proposal is stored with `notified_at` empty in the poll's own
transaction, and marked in the transaction that queues its messages. A pass
that died between the two, a proposal another process stored while this pass
ran (whatever either clock said), or a month without passes all leave
unmarked rows, and the next pass tells them, once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from tracker.channels.operations import enqueue
from tracker.db import db
from tracker.txn import begin_write, claim_ids
from tracker.mail.planning import members_by_team, wants
from tracker.mail.queue import insert_new, outbox_row
from tracker.mail.render import render_proposals
from tracker.models import Channel, Event, Obligation, Proposal
from tracker.watches.wording import change_words, reported

PROPOSAL_EVENT = "proposal.created"
# Proposals claimed (and told) per transaction.
BATCH = 200


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


def notify_untold(now: datetime) -> tuple[int, int]:
    """Tell the teams about every proposal not told yet, however old; (emails, deliveries) queued.

    Each batch is claimed (`notified_at` set) and its messages queued in one
    transaction, so a failure leaves the whole batch for the next pass and two
    processes never tell the same proposal.
    """
    emails = deliveries = 0
    while True:
        try:
            begin_write()
            ids = claim_ids(Proposal, Proposal.notified_at.is_(None), (Proposal.id,), {"notified_at": now}, BATCH)
            if not ids:
                db.session.rollback()
                return emails, deliveries
            queued = _queue_notices(ids, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        emails, deliveries = emails + queued[0], deliveries + queued[1]


def _queue_notices(proposal_ids: list[int], now: datetime) -> tuple[int, int]:
    """Queue the emails and channel deliveries for the claimed proposals still open.

    One decided meanwhile (auto_apply recorded it, a person rejected it, a newer
    report superseded it) is marked told without a message: a recording reaches
    the teams as a change notice of its own.
    """
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
        # A proposal is claimed once, so the first of a batch names the batch: one message per recipient.
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
    return emails, deliveries
