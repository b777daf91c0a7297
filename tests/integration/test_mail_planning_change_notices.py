"""No change notice is lost, whatever the clock of the planning pass.

A pass fixes its `now` when it starts. An obligation changed while the pass
runs has a history row later than that `now`; the pass (or the next one, with
the same clock) must still queue its change notice instead of settling the
obligation's planning without it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from tests.factories import make_obligation, make_team, make_user
from tests.integration.test_mail_planning_locks import (  # noqa: F401 (fixtures)
    PASS_AT, QUICK, _join, held_pass, patch_while_rendering, setup_obligation, short_lock_timeout)
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.models import Obligation, OutboxItem, OutboxMessage
from tracker.people import operations as people
from tracker.register.obligations import ObligationInput, update_obligation

AFTER_THE_PASS_STARTED = datetime(2026, 6, 24, 10, 0, tzinfo=timezone.utc)


def change_notices():
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "change")))


def test_a_change_made_while_a_pass_runs_gets_its_notice_from_the_next_pass_with_the_same_clock(
        app, clock, live_server, short_lock_timeout, held_pass):
    clock.move_to(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))
    obligation, token = setup_obligation()
    start, release, result = held_pass
    start()  # the pass (now = PASS_AT) has claimed the obligation and is held before storing
    clock.move_to(AFTER_THE_PASS_STARTED)  # the edit is recorded later than the pass's clock
    status, answer, took, result = patch_while_rendering(
        live_server, obligation, token, {"deadline": {"rule": "fixed", "date": "2026-07-15"}},
        (lambda: None, release, result))
    assert status == 200, answer
    assert took < QUICK
    _join(held_pass)
    assert "error" not in result, result.get("error")
    # A scheduler whose clock is still at PASS_AT (the same `--now`, or simply the
    # pass after a long one) plans the obligation again: the notice must be queued.
    run_pass(PASS_AT)
    [change] = change_notices()
    assert "Wed 15 Jul 2026" in change.subject
    [item] = db.session.scalars(select(OutboxItem).where(OutboxItem.kind == "change"))
    assert item.obligation_id == obligation.id and item.revision == 1
    run_pass(PASS_AT)  # and only once
    assert len(change_notices()) == 1


def test_a_pass_with_an_earlier_clock_still_queues_a_change_already_recorded(app, clock):
    clock.move_to(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team])
    obligation = make_obligation(team=team, title="Annual filing", rule_date=date(2026, 7, 1))
    db.session.commit()
    run_pass(datetime(2026, 6, 24, 8, 0, tzinfo=timezone.utc))  # plans revision 0; next send time later
    clock.move_to(AFTER_THE_PASS_STARTED)
    current = db.session.get(Obligation, obligation.id)
    update_obligation(current, ObligationInput(key=current.key, title=current.title, team_id=team.id,
                                               rule="fixed", rule_date=date(2026, 7, 20)), SYSTEM)
    run_pass(PASS_AT)  # its clock is behind the change's time
    [change] = change_notices()
    assert "Mon 20 Jul 2026" in change.subject
