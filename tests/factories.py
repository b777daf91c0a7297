"""Factories that build register objects through the real services."""

from __future__ import annotations

import itertools
from datetime import date

from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Event, Obligation, Source, Team, User
from tracker.register.obligations import ObligationInput, create_obligation

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def make_team(key: str | None = None, timezone: str = "America/Los_Angeles", name: str | None = None) -> Team:
    n = _next()
    return people.create_team(key or f"team-{n}", name or f"Team {n}", timezone, SYSTEM)


def make_user(email: str | None = None, role: str = "editor", password: str | None = "password-123",
              teams: list[Team] | None = None, name: str = "") -> User:
    return people.create_user(email or f"user{_next()}@example.com", name, role, SYSTEM,
                              password=password, teams=teams)


def make_source(key: str | None = None, jurisdiction: str = "US", title: str | None = None) -> Source:
    n = _next()
    source = Source(key=key or f"source-{n}", title=title or f"Source {n}", kind="bill",
                    jurisdiction=jurisdiction)
    db.session.add(source)
    db.session.commit()
    return source


def make_event(source: Source | None = None, status: str = "expected", on: date | None = date(2026, 9, 1),
               precision: str = "day", key: str | None = None, title: str | None = None) -> Event:
    n = _next()
    event = Event(key=key or f"event-{n}", source=source or make_source(), title=title or f"Event {n}",
                  status=status, precision=precision,
                  occurred_on=on if status == "occurred" else None,
                  expected_on=on if status in ("expected", "withdrawn") else None)
    db.session.add(event)
    db.session.commit()
    return event


def make_obligation(team: Team | None = None, rule: str = "fixed", key: str | None = None,
                    title: str | None = None, **fields) -> Obligation:
    n = _next()
    team = team or make_team()
    if rule == "fixed":
        fields.setdefault("rule_date", date(2027, 1, 15))
    if rule == "recurring":
        fields.setdefault("rule_date", date(2027, 1, 31))
        fields.setdefault("rule_rrule", "FREQ=MONTHLY")
    if "anchor" in fields:
        fields["anchor_event_id"] = fields.pop("anchor").id
    data = ObligationInput(key=key or f"obligation-{n}", title=title or f"Obligation {n}",
                           team_id=team.id, rule=rule, **fields)
    return create_obligation(data, SYSTEM)


def login(client, user: User, password: str = "password-123"):
    """Sign `user` in through the real sign-in form; returns the response."""
    return client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)
