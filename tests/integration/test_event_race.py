"""Two people confirm the same event preview at the same moment, over real HTTP.

Exactly one confirmation is recorded; the other is refused as stale (the web
page shows the new preview, the API answers 412). The deadlines move once and
each obligation gets one history row.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date

import requests
from sqlalchemy import event, func, select

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.integration.api_helpers import http_request
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation

FINGERPRINT = re.compile(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"')


def _register():
    team = make_team(name="Procurement")
    enacted = make_event(source=make_source(title="Chip Security Act"), status="expected", on=date(2026, 9, 1),
                         precision="month", title="Chip Security Act enacted")
    obligations = [make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=offset,
                                   title=f"Counted {offset} days from enactment") for offset in (30, 180)]
    return enacted, obligations


def _hold_the_lock():
    """Slow each confirmation down where it takes the event's lock and where it reads the
    anchored deadlines, so both are in flight together: unless the moves are computed and
    compared under the lock, both would pass the check and the deadlines would move twice."""

    def linger(conn, cursor, statement, parameters, context, executemany):
        locking = statement.startswith("BEGIN IMMEDIATE") or (
            statement.startswith("SELECT events.") and statement.rstrip().endswith(("FOR UPDATE", "FOR NO KEY UPDATE")))
        reading_moves = statement.startswith("SELECT obligations.id") and "anchor_event_id" in statement
        if locking or reading_moves:
            time.sleep(0.3)

    event.listen(db.engine, "after_cursor_execute", linger)
    return lambda: event.remove(db.engine, "after_cursor_execute", linger)


def _race(work: dict) -> dict:
    results: dict = {}
    start = threading.Barrier(len(work))

    def run(name, call):
        start.wait()
        results[name] = call()

    threads = [threading.Thread(target=run, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _moved_once(enacted, obligations):
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).status == "occurred"
    for obligation in obligations:
        stored = db.session.get(Obligation, obligation.id)
        assert (stored.due_state, stored.revision) == ("firm", 1)
        assert db.session.scalar(select(func.count(DeadlineHistory.id)).where(
            DeadlineHistory.obligation_id == obligation.id)) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.entity == "event", AuditEntry.entity_id == enacted.id, AuditEntry.action == "update")) == 1


def test_two_web_confirmations_of_one_preview_record_it_once(app, live_server):
    enacted, obligations = _register()
    browsers = {}
    for name in ("a", "b"):
        user = make_user(role="editor", teams=[obligations[0].team])
        browser = requests.Session()
        signed_in = browser.post(f"{live_server}/login", data={"email": user.email, "password": "password-123"},
                                 allow_redirects=False)
        assert signed_in.status_code == 302
        browsers[name] = browser
    change = {"status": "occurred", "date": "2026-08-06"}
    previews = {name: browser.post(f"{live_server}/events/{enacted.id}/preview", data=change, timeout=30)
                for name, browser in browsers.items()}
    fingerprints = {name: FINGERPRINT.search(page.text).group(1) for name, page in previews.items()}
    assert fingerprints["a"] == fingerprints["b"]

    stop = _hold_the_lock()
    try:
        results = _race({name: (lambda b=browser, f=fingerprints[name]: b.post(
            f"{live_server}/events/{enacted.id}/record", data={**change, "fingerprint": f},
            allow_redirects=False, timeout=30)) for name, browser in browsers.items()})
    finally:
        stop()

    assert sorted(r.status_code for r in results.values()) == [302, 409]
    refused = next(r for r in results.values() if r.status_code == 409)
    assert "The deadlines changed since the preview" in refused.text
    assert "No deadline moves with this change." in refused.text  # the new preview: already recorded
    _moved_once(enacted, obligations)


def test_two_api_recordings_with_one_etag_record_it_once(app, live_server):
    enacted, obligations = _register()
    team = obligations[0].team  # roles per team: the deadlines moved are this team's
    tokens = {name: create_token(make_user(role="editor", password=None, teams=[team]), name, SYSTEM)[1]
              for name in ("a", "b")}
    url = f"{live_server}/api/v1/events/{enacted.id}"
    status, headers, _ = http_request(url, "GET", tokens["a"])
    assert status == 200

    stop = _hold_the_lock()
    try:
        results = _race({name: (lambda t=token: http_request(f"{url}/occurred", "POST", t, {"date": "2026-08-06"},
                                                             if_match=headers["ETag"]))
                         for name, token in tokens.items()})
    finally:
        stop()

    assert sorted(r[0] for r in results.values()) == [200, 412]
    winner = next(r for r in results.values() if r[0] == 200)
    assert len(winner[2]["changes"]) == 2
    _moved_once(enacted, obligations)
