"""Telling people about work: a new owner by email (grouped per pass) and the team's channels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from tracker.audit import Actor
from tracker.channels.planning import enqueue_for_team, obligation_item
from tracker.db import db
from tracker.models import Obligation, User, WorkNotice
from tracker.register.obligations import follow_new_owners
from tracker.register.queries import obligation_page_url


def tell_new_owner(obligations: list[Obligation], owner: User, actor: Actor, now: datetime) -> None:
    """Queue the new owner's notice (not when they assigned themselves) and `obligation.assigned`.

    Runs in the caller's transaction: the notices and channel deliveries exist
    exactly when the assignment does.
    """
    if owner.id != actor.user_id:
        rows = [{"recipient_id": owner.id, "kind": "assigned", "obligation_id": ob.id, "vendor_request_id": None,
                 "text": f"{actor.label} assigned you “{ob.title}”", "url": obligation_page_url(ob.id),
                 "created_at": now, "outbox_id": None} for ob in obligations]
        db.session.execute(insert(WorkNotice), rows)
    by_team: dict[int, list[Obligation]] = {}
    for ob in obligations:
        by_team.setdefault(ob.team_id, []).append(ob)
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    for team_id, team_obligations in by_team.items():
        items = [obligation_item(ob, owner=owner.email, detail=f"assigned to {owner.name or owner.email}")
                 for ob in team_obligations]
        key = f"assigned:{team_obligations[0].id}:{len(items)}:{owner.id}:{stamp}"
        enqueue_for_team(team_id, "obligation.assigned", key, items, now=now)


def install() -> None:
    """Have the register's obligation use cases tell new owners (tracker.register.obligations.follow_new_owners)."""
    follow_new_owners(tell_new_owner)
