"""A user's write never waits for a planning pass, even one that is slow.

The pass is held between its claim and its store step, while it reads what
is owed (a wrapper around the real step waits on an Event); rendering comes
later still, in the grouping step, which locks no obligation at all; while a real HTTP client PATCHes an obligation of the batch
being planned. On PostgreSQL every transaction gets a short lock_timeout, so a
write stuck behind a planner's row lock fails instead of waiting; on SQLite
it would wait for the database's write lock.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, select

from tests.conftest import is_postgresql
from tests.factories import make_obligation, make_team, make_user
from tests.integration.api_helpers import http_request
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.mail import planning
from tracker.jobs.reminder_pass import run_pass
from tracker.models import Obligation, OutboxMessage
from tracker.models.register import PLAN_NOW
from tracker.people import operations as people

PASS_AT = datetime(2026, 6, 24, 9, 0, tzinfo=timezone.utc)  # the 7-day reminder of 1 July
# Seconds. A write that waited for the rendering would take until it is released (the pass is held
# up to 30 s, and only after the write answers), or fail on its lock timeout; 10 s leaves room for
# a machine busy with both test passes (2.6 s was seen) and still tells the two apart.
QUICK = 10.0


@pytest.fixture
def short_lock_timeout(app):
    """Every PostgreSQL transaction gives up on a row lock after a second."""
    if not is_postgresql():
        yield
        return

    def short(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")

    event.listen(db.engine, "begin", short)
    yield
    event.remove(db.engine, "begin", short)


@pytest.fixture
def held_pass(app, monkeypatch):
    """Start a planning pass in a thread and hold it after its claim; yields (start, release, result)."""
    rendering, release = threading.Event(), threading.Event()
    real = planning._items

    def slow_items(*args, **kwargs):
        rendering.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "_items", slow_items)
    result: dict = {}

    def plan() -> None:
        with app.app_context():
            try:
                result["planned"] = planning.plan_obligations(PASS_AT)
            except Exception as error:  # reported by the test below
                result["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=plan, daemon=True)

    def start():
        thread.start()
        assert rendering.wait(10), "the pass never started rendering"

    yield start, release, result
    release.set()
    thread.join(30)


def setup_obligation():
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    user = make_user(teams=[team])
    obligation = make_obligation(team=team, title="Annual filing", rule_date=date(2026, 7, 1))
    _, token = create_token(user, "client", SYSTEM)
    db.session.commit()
    return obligation, token


def patch_while_rendering(live_server, obligation, token, body, held_pass):
    start, release, result = held_pass
    start()
    began = time.monotonic()
    try:
        try:
            status, _, answer = http_request(f"{live_server}/api/v1/obligations/{obligation.id}", "PATCH",
                                             token, body)
        except ValueError:  # not JSON: the server failed (a lock timeout, "database is locked")
            status, answer = None, "no JSON answer: the write failed"
        took = time.monotonic() - began
    finally:
        release.set()
    return status, answer, took, result


def reminders():
    db.session.expire_all()
    return [(m.revision, m.lead_days, m.subject) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id))]


def test_a_patch_of_the_batch_being_rendered_is_not_blocked_and_its_new_date_wins(
        app, clock, live_server, short_lock_timeout, held_pass):
    clock.move_to(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))
    obligation, token = setup_obligation()
    status, answer, took, result = patch_while_rendering(
        live_server, obligation, token, {"deadline": {"rule": "fixed", "date": "2026-07-15"}}, held_pass)
    assert status == 200, answer
    assert took < QUICK, f"the PATCH waited {took:.1f} s for the planning pass"
    _join(held_pass)
    assert "error" not in result, result.get("error")
    # The pass rendered the 7-day reminder of the old date; the edit came in between, so
    # nothing of the old revision is stored and the obligation waits for the next pass.
    assert reminders() == []
    assert db.session.get(Obligation, obligation.id).next_reminder_at == PLAN_NOW
    run_pass(PASS_AT)
    [change] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "change"))
    assert "Wed 15 Jul 2026" in change.subject


def test_a_patch_that_does_not_touch_the_timing_keeps_the_planned_reminder(
        app, clock, live_server, short_lock_timeout, held_pass):
    clock.move_to(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))
    obligation, token = setup_obligation()
    status, answer, took, result = patch_while_rendering(
        live_server, obligation, token, {"description": "Filed by the finance team"}, held_pass)
    assert status == 200, answer
    assert took < QUICK, f"the PATCH waited {took:.1f} s for the planning pass"
    _join(held_pass)
    assert result.get("planned") == 1, result
    [(revision, lead, subject)] = reminders()
    assert (revision, lead) == (0, 7) and subject.startswith("Due in 7 days: Annual filing")
    db.session.expire_all()
    assert db.session.get(Obligation, obligation.id).next_reminder_at > PASS_AT


def _join(held_pass) -> None:
    _, release, result = held_pass
    release.set()
    deadline = time.monotonic() + 30
    while "planned" not in result and "error" not in result and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.skipif(not is_postgresql(), reason="row locks held by another transaction: PostgreSQL")
def test_a_row_locked_by_a_write_that_rolls_back_is_planned_at_the_next_pass_not_after_the_lease(
        app, clock, held_pass):
    clock.move_to(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))
    obligation, _ = setup_obligation()
    start, release, result = held_pass
    start()
    # A user's write (e.g. a PATCH refused with 412 after its row lock) holds the row while
    # the pass stores, then rolls back: the pass must not wait for it, nor leave the row claimed.
    with db.engine.connect() as other:
        other.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # the rendering pass holds no lock
        other.execute(select(Obligation.id).where(Obligation.id == obligation.id).with_for_update())
        release.set()
        time.sleep(1.0)  # the pass stores meanwhile (skipping the row) and then waits to unclaim it
        assert result == {}, result
        other.rollback()
    _join(held_pass)
    assert result.get("planned") == 0, result
    db.session.expire_all()
    assert db.session.get(Obligation, obligation.id).next_reminder_at == PLAN_NOW
    run_pass(PASS_AT)
    [(revision, lead, _)] = reminders()
    assert (revision, lead) == (0, 7)
