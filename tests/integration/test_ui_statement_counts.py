"""Pages issue the same number of SQL statements for 10 or 1,000 obligations (no N+1)."""

from __future__ import annotations

import random

from sqlalchemy import event, select

from tests.factories import login, make_user
from tracker.db import db
from tracker.models import Event, Obligation, Source, Team
from tracker.register.synthetic import seed_synthetic


def _statements(client, url: str) -> int:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return len(seen)


def _pages() -> list[str]:
    ob = db.session.scalar(select(Obligation.id).where(Obligation.rule == "relative").order_by(Obligation.id))
    ev = db.session.scalar(select(Event.id).order_by(Event.id))
    src = db.session.scalar(select(Source.id).order_by(Source.id))
    team = db.session.scalar(select(Team.id).order_by(Team.id))
    return ["/", "/?scope=all", "/obligations", "/obligations?status=active&window=next_90&sort=team",
            "/obligations?q=obligation&due_state=firm", f"/obligations/{ob}", f"/events/{ev}", f"/sources/{src}",
            f"/teams/{team}", "/timeline?months=36&start=2026-01", "/sources", "/events", "/teams", "/users"]


def test_statement_count_per_page_does_not_grow_with_rows(client, clock):
    # Enough rows that every listed page has some (an empty page skips its per-page lookups).
    seed_synthetic(60, team_count=3, event_count=5, rng=random.Random(1))
    admin = make_user(role="admin")
    login(client, admin)
    pages = _pages()
    small = {url: _statements(client, url) for url in pages}
    seed_synthetic(940, team_count=3, event_count=5, rng=random.Random(2))
    db.session.expire_all()
    large = {url: _statements(client, url) for url in pages}
    print("statements per page:", small)
    assert large == small
    # The dashboard (the most) also works out the passed estimates and what depends on each
    # (tracker.register.estimates, tracker.register.dependents): a fixed number of statements.
    assert max(small.values()) <= 24, small
