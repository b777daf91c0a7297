"""Stale-estimate notices: who must record what happened or move an estimate that passed.

A deadline waiting on a stale estimate (tracker.register.estimates) gets no
overdue notice. Instead, from 09:00 in the team's time zone, the owners of the
waiting deadlines and the team's editors get one notice per event per ISO
week, until someone records the event or moves its estimate: every event due
for one person at one pass in one grouped email (item keys
`stale_estimate:EVENT:WEEK:USER` in the vendor-mail item table make each
(event, week, person) go once), and each team's channels that take
`event.stale` get one delivery per event and week.

Planned from the database state at every pass, like the other planners: a
pass that did not run on Monday sends the week's notice on Tuesday, and after
an outage the pass that comes back sends the current week's.

A job, not a mail module: it drives the mail, the channels and the vendor-mail
item table, so it stands above all three (docs/architecture.md, the layer order).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.channels.planning import enqueue_for_team
from tracker.db import db
from tracker.deadlines import due_wording, partial_from
from tracker.mail.message import build_message, mime_bytes, one_line
from tracker.mail.planning import members_by_team, wants
from tracker.mail.render import KIND_LABELS, base_url, long_date, unsubscribe_token
from tracker.mail.timing import Policy, send_instant
from tracker.models import Event, Obligation, Team
from tracker.models.register import ACTIVE_STATUSES
from tracker.register.estimates import ESTIMATE_PASSED, lapsed_on
from tracker.register.queries import obligation_page_url
from tracker.txn import begin_write
from tracker.vendors.mail.queue import present_keys, queue

KIND = "stale_estimate"
CHANNEL_EVENT = "event.stale"


def item_key(event_id: int, week: str, user_id: int) -> str:
    return f"{KIND}:{event_id}:{week}:{user_id}"


def event_urls(event_id: int) -> tuple[str, str]:
    """(record what happened, move the estimate): both on the event page's form."""
    page = f"{base_url()}/events/{event_id}"
    return f"{page}#record", f"{page}#record"


def _week(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _waiting(team: Team, lapsed) -> dict[int, list[Obligation]]:
    """The team's live, active deadlines waiting on each lapsed root event."""
    rows = db.session.scalars(
        select(Obligation).where(Obligation.team_id == team.id, Obligation.deleted_at.is_(None),
                                 Obligation.status.in_(ACTIVE_STATUSES), lapsed.condition())
        .options(joinedload(Obligation.owner)).order_by(Obligation.due_date, Obligation.id))
    by_event: dict[int, list[Obligation]] = defaultdict(list)
    for obligation in rows:
        for root in sorted(lapsed.roots_read_by(obligation)):
            by_event[root].append(obligation)
    return by_event


def _block(event: Event, team: Team, waiting: list[Obligation]) -> dict:
    record_url, move_url = event_urls(event.id)
    return {"event_id": event.id, "event_title": event.title, "source_title": event.source.title,
            "expected": partial_from(event.expected_on, event.precision).label(), "team_name": team.name,
            "record_url": record_url, "move_url": move_url,
            "waiting": [{"title": ob.title, "due": due_wording(ob.due_date, ob.due_precision, long_date),
                         "url": obligation_page_url(ob.id)} for ob in waiting]}


def _message(user, blocks: list[dict], now: datetime) -> dict:
    count = len(blocks)
    subject = (f"Estimate passed: {blocks[0]['event_title']}" if count == 1
               else f"Estimate passed for {count} events")
    unsubscribe = f"{base_url()}/unsubscribe/{unsubscribe_token(user.id, KIND)}"
    context = {"heading": "An estimate has passed", "blocks": blocks, "unsubscribe_url": unsubscribe,
               "kind_label": KIND_LABELS[KIND],
               "intro": ("These events were expected by now and nobody has recorded them. The deadlines counted "
                         "from them are not overdue: they wait on the estimate. Record what happened (deadlines "
                         "then firm up, and any already past are overdue at once) or move the estimate.")}
    host = urlsplit(base_url()).hostname or "localhost"
    row = {
        "dedupe_key": "", "kind": KIND, "obligation_id": None, "team_id": None,
        "recipient_id": user.id, "revision": None, "lead_days": None,
        "recipient": user.email, "recipient_name": user.name or "", "subject": one_line(subject)[:500],
        "body_text": render_template("emails/stale.txt", **context),
        "body_html": render_template("emails/stale.html", **context),
        "ics": None, "message_id": f"<s.{uuid.uuid4().hex}@{host}>", "unsubscribe_url": unsubscribe,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "lease_expires_at": None,
        "claimed_by": None, "last_error": "", "created_at": now, "sent_at": None,
        "vendor_contact_id": None, "vendor_request_id": None,
    }
    row["mime"] = mime_bytes(build_message(SimpleNamespace(**row), current_app.config["TRACKER_MAIL_FROM"], now))
    return row


def plan_stale_notices(now: datetime) -> int:
    """Queue this week's stale-estimate notices and `event.stale` deliveries; returns emails added."""
    db.session.commit()
    members = members_by_team()
    per_user: dict[int, tuple] = {}
    channel_work = []
    by_day: dict = {}
    for team in db.session.scalars(select(Team).order_by(Team.id)):
        policy = Policy.of(team)
        today = now.astimezone(policy.tz).date()
        if send_instant(today, policy.tz) > now or not policy.remind_projected:
            continue  # (a team that wants no mail about projected deadlines gets none about their estimates)
        if today not in by_day:
            by_day[today] = lapsed_on(today)
        lapsed = by_day[today]
        if not lapsed.roots:
            continue
        waiting = _waiting(team, lapsed)
        if not waiting:
            continue
        week = _week(today)
        editors = [user for user in members.get(team.id, []) if user.can_edit()]
        for event_id, obligations in waiting.items():
            event = db.session.get(Event, event_id)
            block = _block(event, team, obligations)
            owners = [ob.owner for ob in obligations if ob.owner is not None and ob.owner.active]
            for user in {u.id: u for u in editors + owners}.values():
                if wants(user, "overdue"):
                    entry = per_user.setdefault(user.id, (user, []))
                    entry[1].append((item_key(event_id, week, user.id), block))
            channel_work.append((team.id, f"stale:{event_id}:{team.id}:{week}", [{
                "title": f"{event.title}: {ESTIMATE_PASSED}", "key": event.key, "url": block["record_url"],
                "expected": event.expected_on.isoformat(), "precision": event.precision, "team": team.name,
                "detail": f"expected {block['expected']}; {len(obligations)} deadline"
                          f"{'s' if len(obligations) != 1 else ''} waiting on it",
                "waiting": [ob.key for ob in obligations]}]))
    db.session.commit()
    if not per_user and not channel_work:
        return 0
    begin_write()
    added = 0
    for user, entries in per_user.values():
        present = present_keys([key for key, _ in entries])
        fresh = [(key, block) for key, block in entries if key not in present]
        if fresh:
            added += queue(_message(user, [block for _, block in fresh], now), [key for key, _ in fresh])
    for team_id, key, items in channel_work:
        enqueue_for_team(team_id, CHANNEL_EVENT, key, items, now=now)
    db.session.commit()
    return added
