"""Synthetic registers for benchmarks: many obligations, written in bulk."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import insert, select

from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import Anchor, DeadlineRule, compute_due
from tracker.models import Event, Obligation, Source, Team, obligation_events
from tracker.register.queries import event_date_values

TIMEZONES = ("America/Los_Angeles", "America/New_York", "Europe/Berlin", "Asia/Tokyo",
             "Australia/Sydney", "UTC", "Asia/Kolkata")
BATCH = 5000


def _events(prefix: str, source_ids: list[int], count: int, rng: random.Random, now) -> list[dict]:
    rows = []
    for index in range(count):
        status = rng.choice(("occurred", "occurred", "expected", "expected", "speculative"))
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 730))
        rows.append({
            "key": f"{prefix}-ev-{index}", "source_id": rng.choice(source_ids),
            "title": f"Synthetic event {index}", "description": "", "status": status,
            **event_date_values(status, day),
            "precision": "day", "created_at": now, "updated_at": now,
        })
    return rows


def seed_synthetic(count: int, *, team_count: int = 10, event_count: int = 50,
                   rng: random.Random | None = None, anchor_key: str | None = None) -> str:
    """Add `count` obligations spread over new teams and events; returns a summary.

    With `anchor_key`, every relative obligation is anchored on that one event
    (the recompute benchmark's worst case).
    """
    rng = rng or random.Random()
    now = utcnow()
    prefix = f"syn-{secrets.token_hex(3)}"
    db.session.execute(insert(Team), [
        {"key": f"{prefix}-team-{i}", "name": f"Synthetic team {prefix} {i}",
         "timezone": TIMEZONES[i % len(TIMEZONES)], "created_at": now, "updated_at": now}
        for i in range(team_count)])
    team_ids = list(db.session.scalars(select(Team.id).where(Team.key.like(f"{prefix}-team-%"))))
    db.session.execute(insert(Source), [
        {"key": f"{prefix}-src-{i}", "title": f"Synthetic source {i}", "kind": "bill",
         "jurisdiction": rng.choice(("US", "US-CA", "DE")), "created_at": now, "updated_at": now,
         "citation": "", "url": "", "summary": ""}
        for i in range(5)])
    sources = dict(db.session.execute(
        select(Source.id, Source.jurisdiction).where(Source.key.like(f"{prefix}-src-%"))).all())
    db.session.execute(insert(Event), _events(prefix, list(sources), event_count, rng, now))
    events = list(db.session.scalars(select(Event).where(Event.key.like(f"{prefix}-ev-%"))))
    if anchor_key:
        events = [db.session.scalar(select(Event).where(Event.key == anchor_key))]
    anchors = [(e.id, Anchor(e.status, e.on if e.status in ("occurred", "expected") else None,
                             e.precision, sources.get(e.source_id, "US"))) for e in events]
    for start in range(0, count, BATCH):
        rows, links = [], []
        for index in range(start, min(count, start + BATCH)):
            rows.append(_obligation(prefix, index, team_ids, anchors, rng, now, anchor_key is not None))
        db.session.execute(insert(Obligation), rows)
        ids = db.session.execute(select(Obligation.id, Obligation.anchor_event_id).where(
            Obligation.key.in_([row["key"] for row in rows]))).all()
        links = [{"obligation_id": oid, "event_id": eid} for oid, eid in ids if eid]
        if links:
            db.session.execute(insert(obligation_events), links)
    db.session.commit()
    return f"Added {count} obligations, {team_count} teams, {event_count} events (prefix {prefix})"


def _obligation(prefix, index, team_ids, anchors, rng, now, all_relative: bool) -> dict:
    kind = "relative" if all_relative else rng.choice(("fixed", "relative", "relative", "recurring"))
    rule = DeadlineRule(kind="fixed")
    anchor_id, anchor = None, None
    if kind == "fixed":
        rule = DeadlineRule(kind="fixed", date=date(2026, 1, 1) + timedelta(days=rng.randrange(0, 900)))
    elif kind == "recurring":
        rule = DeadlineRule(kind="recurring", date=date(2026, 1, 1) + timedelta(days=rng.randrange(0, 400)),
                            rrule=rng.choice(("FREQ=YEARLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=MONTHLY")))
    else:
        anchor_id, anchor = rng.choice(anchors)
        rule = DeadlineRule(kind="relative", offset=rng.choice((30, 90, 180, -30)),
                            unit=rng.choice(("days", "days", "business_days", "months")))
        if rule.unit == "months":
            rule = DeadlineRule(kind="relative", offset=rng.choice((1, 3, 6, 12)), unit="months")
    due = compute_due(rule, anchor)
    return {
        "key": f"{prefix}-ob-{index}", "title": f"Synthetic obligation {index}", "description": "",
        "team_id": rng.choice(team_ids), "owner_id": None, "rule": rule.kind, "rule_date": rule.date,
        "rule_precision": rule.precision, "anchor_event_id": anchor_id, "rule_offset": rule.offset,
        "rule_unit": rule.unit, "rule_calendar": None, "rule_rrule": rule.rrule,
        "completed_through": None, "due_date": due.date, "due_state": due.state,
        "due_precision": due.precision, "revision": 0, "due_changed_at": now,
        "status": rng.choice(("open", "open", "open", "in_progress", "done")), "status_note": "",
        "status_changed_at": now, "created_at": now, "updated_at": now, "deleted_at": None,
    }
