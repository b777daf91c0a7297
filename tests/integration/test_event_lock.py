"""Recording an event does not make edits of its obligations wait on the event's row lock.

PostgreSQL: the recording locks the event row for the whole step. An edit of an obligation
anchored on it checks its foreign key to the event (`FOR KEY SHARE`) as soon as the row was
already updated in the same transaction (the API's no-op precondition UPDATE comes first).
With `FOR UPDATE` on the event that check waited for the recording to commit; under load
the two met the other way round too (the recording waiting for the edited obligation) and
PostgreSQL broke the deadlock by failing one of them. The recording takes `FOR NO KEY
UPDATE` (it never changes the event's key), which a key-share check does not wait for;
two recordings still exclude each other.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event

from tests.conftest import is_postgresql
from tests.integration.api_helpers import http_request, small_register, token_for
from tracker.db import db
from tracker.register.events import lock_event

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="row locks: PostgreSQL only")


@pytest.fixture
def short_lock_timeout(app):
    def short(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")

    event.listen(db.engine, "begin", short)
    yield
    event.remove(db.engine, "begin", short)


def hold_event_lock(app, event_id: int):
    held, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context():
            try:
                lock_event(event_id)
                held.set()
                release.wait(20)
            finally:
                db.session.rollback()
                db.session.remove()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10), "the event lock was never taken"
    return release, thread


def test_an_edit_of_an_anchored_obligation_does_not_wait_for_the_event_being_recorded(
        app, live_server, short_lock_timeout):
    team, _, enacted, obligation = small_register()
    token = token_for("editor", teams=[team])
    db.session.commit()
    release, thread = hold_event_lock(app, enacted.id)
    try:
        began = time.monotonic()
        try:
            status, _, answer = http_request(f"{live_server}/api/v1/obligations/{obligation.id}", "PATCH",
                                             token, {"title": "Location verification (renamed)"})
        except ValueError:  # not JSON: the write failed (lock timeout)
            status, answer = None, "no JSON answer: the write failed"
        took = time.monotonic() - began
    finally:
        release.set()
        thread.join(10)
    assert status == 200, answer
    assert answer["title"] == "Location verification (renamed)"
    assert took < 2.0, f"the PATCH waited {took:.1f} s for the event's lock"


def test_two_recordings_of_one_event_still_exclude_each_other(app, short_lock_timeout):
    _, _, enacted, _ = small_register()
    db.session.commit()
    release, thread = hold_event_lock(app, enacted.id)
    try:
        with pytest.raises(Exception, match="lock timeout"):
            lock_event(enacted.id)
        db.session.rollback()
    finally:
        release.set()
        thread.join(10)
