"""A register where one event moves 40 deadlines of one team (grouped mail and channel tests)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from tests.factories import make_event, make_obligation, make_team, make_user
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.people import operations as people
from tracker.register.events import EventDate, record_event

SUBJECT = "Chip Security Act enacted: 40 deadlines moved"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def forty_deadlines(clock, members: int = 3, before_recording=None):
    """A team of `members` following a bill with 40 obligations anchored on its enactment, then enacted.

    `before_recording(team)` runs after the register's first pass, before the enactment is recorded.
    """
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="America/New_York", name="Export compliance")
    people.update_team(team, SYSTEM, digest_weekday=None)
    users = [make_user(teams=[team], email=f"member{n}@example.com", name=f"Member {n}") for n in range(members)]
    enactment = make_event(status="expected", on=date(2026, 10, 1), title="Chip Security Act enacted")
    obligations = [make_obligation(team=team, rule="relative", anchor=enactment, rule_offset=90 + n,
                                   title=f"Obligation {n:02d}") for n in range(40)]
    run_pass(at("2026-05-01T12:00:00+00:00"))  # nothing due yet: the register is planned
    if before_recording is not None:
        before_recording(team)
    clock.move_to(at("2026-05-02T14:00:00+00:00"))
    record_event(enactment.id, EventDate("occurred", date(2026, 5, 2), "day"), SYSTEM)
    db.session.expire_all()
    return team, users, enactment, obligations
