"""bench_load.py's data: seeding the many-users register and checking the outbox afterwards.

Runs in the benchmark process with an app of its own on the benchmark's database (the
services and models of the tracker, the same SECRET_KEY as the served app).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import inspect as sa_inspect, select, text, update

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "tracker" / "packs" / "data" / "demo.json"
MEMBERS_PER_TEAM = 4
KEY_PATTERN = re.compile(r"^(reminder|overdue|change):(\d+):(\d+):(-?\d+):(\d+)$")


@dataclass
class Seeded:
    """What the clients need: tokens, feed URLs, obligations to edit, the event to record."""

    editor_tokens: list[str]
    viewer_tokens: list[str]
    feed_paths: list[str]
    team_keys: list[str]
    obligations: list[tuple[int, str]]  # (id, rule)
    event_id: int
    event_anchors: int
    counts: dict = field(default_factory=dict)


def seed(obligations: int, teams: int, bill: int, rng: random.Random) -> Seeded:
    """The demo pack, `obligations` synthetic ones over `teams` teams, a bill of `bill`
    obligations anchored on one expected event, four members per team (two editors, two
    viewers) with API tokens, a feed token per team and owners on a third of the rows."""
    from tracker.people.api_tokens import create_token
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.feeds.tokens import ensure_token
    from tracker.models import Event, Obligation, Team, User
    from tracker.packs.importer import import_pack_text
    from tracker.people import operations as people
    from tracker.register.synthetic import seed_synthetic

    import_pack_text(DEMO.read_text(), SYSTEM)
    seed_synthetic(obligations, team_count=teams, event_count=40, rng=rng)
    expected = db.session.scalars(select(Event).where(Event.status == "expected", Event.key.like("syn-%"))
                                  .order_by(Event.id)).first()
    seed_synthetic(bill, team_count=1, event_count=1, rng=rng, anchor_key=expected.key)
    editor_tokens, viewer_tokens, feed_paths, team_keys = [], [], [], []
    for team in db.session.scalars(select(Team).order_by(Team.id)).all():
        team_keys.append(team.key)
        members = []
        for index in range(MEMBERS_PER_TEAM):
            role = "editor" if index < 2 else "viewer"
            user = people.create_user(f"load{team.id}.{index}@example.com", f"Load user {team.id}.{index}",
                                      role, SYSTEM, teams=[team], commit=False)
            members.append(user)
        db.session.commit()
        for user in members:
            _, secret = create_token(user, "load", SYSTEM)
            (editor_tokens if user.role == "editor" else viewer_tokens).append(secret)
        member_ids = [user.id for user in members]
        ids = list(db.session.scalars(select(Obligation.id).where(Obligation.team_id == team.id)))
        for ob_id in rng.sample(ids, len(ids) // 3):
            db.session.execute(update(Obligation).where(Obligation.id == ob_id)
                               .values(owner_id=rng.choice(member_ids)))
        db.session.commit()
        feed_paths.append(f"/feeds/{ensure_token(team, SYSTEM).token}.ics")
    rows = db.session.execute(select(Obligation.id, Obligation.rule).where(Obligation.deleted_at.is_(None))).all()
    anchors = db.session.scalar(text("select count(*) from obligations where anchor_event_id = :e"),
                                {"e": expected.id})
    counts = {"obligations": len(rows), "teams": len(team_keys),
              "users": db.session.scalar(select(text("count(*)")).select_from(User)),
              "due_at_start": db.session.scalar(text(
                  "select count(*) from obligations where status in ('open', 'in_progress') "
                  "and due_date is not null and deleted_at is null"))}
    return Seeded(editor_tokens, viewer_tokens, feed_paths, team_keys, [(r.id, r.rule) for r in rows],
                  expected.id, anchors, counts)


def _has_items() -> bool:
    from tracker.db import db
    return "outbox_items" in sa_inspect(db.engine).get_table_names()


def owed_items(now: datetime) -> set[tuple]:
    """(kind, obligation, revision, lead, recipient) every recipient is owed at `now` by the
    final state: the newest lead-time reminder or overdue notice (tracker.mail.timing's pure
    rule) and a change notice for each revision of the change window (docs/email.md)."""
    from tracker.db import db
    from tracker.mail.timing import Policy, due_now
    from tracker.models import Obligation, Team
    from tracker.models.register import ACTIVE_STATUSES

    window = timedelta(days=14)
    members: dict[int, set[int]] = {}
    for team_id, user_id in db.session.execute(text(
            "select m.team_id, m.user_id from team_members m join users u on u.id = m.user_id "
            "where u.active and u.email_reminders")):
        members.setdefault(team_id, set()).add(user_id)
    policies = {team.id: Policy.of(team) for team in db.session.scalars(select(Team))}
    history = {}
    for ob_id, revision, changed in db.session.execute(text(
            "select obligation_id, revision, changed_at from deadline_history where revision >= 1")):
        changed = changed if changed.tzinfo else changed.replace(tzinfo=timezone.utc)
        history.setdefault(ob_id, []).append((revision, changed))
    owed = set()
    for ob in db.session.scalars(select(Obligation).where(Obligation.deleted_at.is_(None))):
        people = set(members.get(ob.team_id, ())) | ({ob.owner_id} if ob.owner_id else set())
        due = due_now(ob, policies[ob.team_id], now)
        keys = [(due.kind, ob.id, ob.revision, due.lead_days)] if due else []
        if ob.status in ACTIVE_STATUSES:
            keys += [("change", ob.id, revision, 0) for revision, changed in history.get(ob.id, ())
                     if changed > now - window]
        owed.update(key + (person,) for key in keys for person in people)
    return owed


def outbox_state() -> tuple[dict, dict]:
    """({item key: message status}, {Message-ID: (status, kind)}) for every outbox row,
    whichever schema: one row per key (`dedupe_key`) or items grouped into messages."""
    from tracker.db import db

    messages = {mid: (status, kind) for mid, status, kind in db.session.execute(text(
        "select message_id, status, kind from outbox"))}
    items = {}
    if _has_items():
        query = ("select i.kind, i.obligation_id, i.revision, i.lead_days, i.recipient_id, o.status, i.status "
                 "from outbox_items i left join outbox o on o.id = i.message_id")
        for kind, ob, rev, lead, user, status, item_status in db.session.execute(text(query)):
            items[(kind, ob, rev, lead, user)] = "left_out" if item_status == "left_out" else (status or "unsent")
    else:
        for key, status in db.session.execute(text("select dedupe_key, status from outbox")):
            match = KEY_PATTERN.match(key)
            if match:
                kind, *numbers = match.groups()
                items[(kind, *map(int, numbers))] = status
    return items, messages


def unplanned_rows(now: datetime) -> int:
    """Obligations still due for planning at `now` (claimed by a killed pass and never replanned)."""
    from tracker.db import db
    return db.session.scalar(text("select count(*) from obligations where next_reminder_at <= :now "
                                  "and deleted_at is null"), {"now": now})


def status_counts() -> Counter:
    from tracker.db import db
    return Counter(dict(db.session.execute(text("select status, count(*) from outbox group by status")).all()))


def missing_detail(keys: list[tuple], now: datetime) -> str:
    """For owed items missing from the outbox: where their obligations' planning stands."""
    from tracker.db import db

    ids = sorted({key[1] for key in keys})
    if not ids:
        return ""
    later, never = db.session.execute(text(
        "select count(*) filter (where next_reminder_at > :now), count(*) filter (where next_reminder_at is null) "
        "from obligations where id = any(:ids)"), {"now": now, "ids": ids}).one()
    return (f"{len(ids)} obligations: {later} wait for a later send time, {never} for nothing "
            f"(their planning was settled without the missing item)")
