"""A bulk change costs the same number of SQL statements for 3 rows as for 30 (issue 25: "a flat
number of SQL statements"): nothing in it, the permission check included, reads once a row."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from tests.factories import make_obligation, make_team, make_user
from tracker.audit import Actor
from tracker.db import db
from tracker.work.operations import WorkChange, bulk_change, row_version


def _statements_to_assign(count: int, teams, boss, owner) -> int:
    obligations = [make_obligation(team=teams[n % len(teams)], rule_date=date(2027, 3, 1)) for n in range(count)]
    db.session.commit()
    shown = {ob.id: row_version(ob) for ob in obligations}
    seen = []

    def count_it(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        assert bulk_change(shown, WorkChange(owner_id=owner.id), boss, Actor.of(boss)) == count
    finally:
        event.remove(db.engine, "before_cursor_execute", count_it)
    return len(seen)


def test_a_bulk_assignment_takes_as_many_statements_for_30_rows_as_for_3(app, clock):
    clock.move_to("2026-12-05T12:00:00Z")
    teams = [make_team() for _ in range(3)]
    boss = make_user(role="editor", teams=teams)  # an editor of each team, not an admin: roles are read
    owner = make_user(teams=teams)
    db.session.commit()
    few = _statements_to_assign(3, teams, boss, owner)
    many = _statements_to_assign(30, teams, boss, owner)
    assert many == few, (few, many)
