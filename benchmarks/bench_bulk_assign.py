"""Assigning N obligations to one owner in one bulk action (the obligations list's "all N matching").

Target (issue 25): 1,000 obligations assigned in under 2 s on SQLite, one audit
row each, with a number of SQL statements that does not grow with N.
Run: .venv/bin/python benchmarks/bench_bulk_assign.py [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import logging
import random
import time

from _support import StatementCounter, fresh_app

logging.disable(logging.INFO)


def measure(count: int, url: str | None = None) -> tuple[float, int, int]:
    import sqlalchemy as sa

    from tracker.audit import SYSTEM, Actor
    from tracker.db import db
    from tracker.models import AuditEntry, Obligation, Team, WorkNotice
    from tracker.people.operations import create_user
    from tracker.register.synthetic import seed_synthetic
    from tracker.work.operations import WorkChange, bulk_change, row_version

    with fresh_app(url):
        seed_synthetic(count, team_count=10, rng=random.Random(1))
        teams = list(db.session.scalars(sa.select(Team)))
        boss = create_user("boss@example.com", "Boss", "editor", SYSTEM, teams=teams)
        owner = create_user("dana@example.com", "Dana", "editor", SYSTEM, teams=teams)
        # What the list showed: every row with its version.
        shown = {ob.id: row_version(ob) for ob in db.session.scalars(sa.select(Obligation))}
        audit_before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
        db.session.expire_all()
        boss = db.session.get(type(boss), boss.id)
        with StatementCounter(db.engine) as counter:
            started = time.perf_counter()
            changed = bulk_change(shown, WorkChange(owner_id=owner.id), boss, Actor.of(boss))
            elapsed = time.perf_counter() - started
        audit_rows = db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) - audit_before
        assigned = db.session.scalar(sa.select(sa.func.count(Obligation.id)).where(Obligation.owner_id == owner.id))
        notices = db.session.scalar(sa.select(sa.func.count(WorkNotice.id)))
        assert changed == assigned == audit_rows == notices == count, (changed, assigned, audit_rows, notices)
        if url:  # the next round migrates the database again from empty
            db.session.remove()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        return elapsed, counter.count, audit_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a database URL instead of a temporary SQLite file")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.url and args.url.startswith("postgresql") else "SQLite"
    print(f"Bulk assignment of N obligations to one owner ({backend}; an audit row and a notice each)")
    results = {}
    for count in (1_000, 5_000):
        elapsed, statements, audit_rows = measure(count, args.url)
        results[count] = (elapsed, statements)
        print(f"  {count:>6} obligations: {elapsed * 1000:8.1f} ms, {statements} SQL statements, "
              f"{audit_rows} audit rows")
    small, large = results[1_000], results[5_000]
    print(f"  statements at 5,000 vs 1,000: {large[1]} vs {small[1]} (flat: {large[1] == small[1]})")
    print(f"  1,000 obligations: {small[0]:.2f} s (target < 2 s: {'met' if small[0] < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
