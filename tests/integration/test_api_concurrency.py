"""Two real clients PATCH the same obligation with the same If-Match, at the same time."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event, select

from tests.factories import make_obligation, make_user
from tests.integration.api_helpers import http_request
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, Obligation


def test_two_clients_with_the_same_etag_one_wins_the_other_gets_412(app, live_server):
    obligation = make_obligation(title="Original title")
    _, token_a = create_token(make_user(role="editor", teams=[obligation.team]), "client a", SYSTEM)
    _, token_b = create_token(make_user(role="editor", teams=[obligation.team]), "client b", SYSTEM)
    url = f"{live_server}/api/v1/obligations/{obligation.id}"
    status, headers, _ = http_request(url, "GET", token_a)
    assert status == 200
    etag = headers["ETag"]

    # Hold each writer a moment after it takes the row lock, so both requests are
    # in flight together: without the lock both would pass the If-Match check.
    def linger(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE obligations SET updated_at=obligations.updated_at"):
            time.sleep(0.3)

    event.listen(db.engine, "after_cursor_execute", linger)
    results: dict[str, tuple] = {}
    start = threading.Barrier(2)

    def client(name: str, token: str) -> None:
        start.wait()
        results[name] = http_request(url, "PATCH", token, {"title": f"Title from {name}"}, if_match=etag)

    threads = [threading.Thread(target=client, args=(name, token))
               for name, token in (("a", token_a), ("b", token_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    event.remove(db.engine, "after_cursor_execute", linger)

    statuses = sorted(result[0] for result in results.values())
    assert statuses == [200, 412]
    winner = next(name for name, result in results.items() if result[0] == 200)
    loser = next(name for name, result in results.items() if result[0] == 412)
    assert results[loser][2]["status"] == 412
    assert results[loser][1]["Content-Type"] == "application/problem+json"
    # Nothing lost: the winner's write is stored, once, and the loser can retry with the new ETag.
    db.session.expire_all()
    assert db.session.get(Obligation, obligation.id).title == f"Title from {winner}"
    updates = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "obligation", AuditEntry.entity_id == obligation.id, AuditEntry.action == "update")).all()
    assert len(updates) == 1
    retry = http_request(url, "PATCH", token_a if loser == "a" else token_b, {"title": f"Title from {loser}"},
                     if_match=results[loser][1]["ETag"])
    assert retry[0] == 200
    assert retry[2]["title"] == f"Title from {loser}"
