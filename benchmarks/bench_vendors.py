"""Vendors at scale: 500 vendors x 20 vendor-scoped obligations (10,000 requests).

Prints the server time and SQL statement count of the vendor matrix page for
100 and for 500 vendors (the count must not grow: target under 300 ms at 500),
and the time and statements of recording an event that moves 5,000 requests
(10 obligations x 500 vendors; target under 3 s).

    python benchmarks/bench_vendors.py [--vendors 500] [--runs 7] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from _support import StatementCounter, fresh_app

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Event, Source, Vendor, VendorRequest
from tracker.people.operations import create_team, create_user
from tracker.register.events import EventDate, record_event_change
from tracker.register.obligations import ObligationInput, create_obligation
from tracker.vendors.requests import normalized_scope, set_scope

OBLIGATIONS = 20
ANCHORED = 10  # of them counted from the event that the benchmark records


def _fill(vendors: int) -> Event:
    team = create_team("bench", "Bench", "America/Los_Angeles", SYSTEM)
    create_user("bench@example.com", "Bench", "viewer", SYSTEM, password="bench-password", teams=[team])
    source = Source(key="csa", title="Chip Security Act", kind="bill", jurisdiction="US")
    event = Event(key="csa-enacted", source=source, title="Chip Security Act enacted", status="expected",
                  expected_on=date(2026, 9, 1), precision="month")
    db.session.add_all([source, event])
    db.session.add_all([Vendor(key=f"vendor-{n:04d}", name=f"Vendor {n:04d}", categories=["gpu_hardware"],
                               markets=["US", "US-CA"], status="active", team_id=team.id) for n in range(vendors)])
    db.session.commit()
    for n in range(OBLIGATIONS):
        if n < ANCHORED:
            data = ObligationInput(key=f"ob-{n}", title=f"Anchored obligation {n}", team_id=team.id, rule="relative",
                                   anchor_event_id=event.id, rule_offset=30 * (n + 1))
        else:
            data = ObligationInput(key=f"ob-{n}", title=f"Fixed obligation {n}", team_id=team.id, rule="fixed",
                                   rule_date=date(2026, 6 + n % 6, 1))
        obligation = create_obligation(data, SYSTEM)
        set_scope(obligation, normalized_scope(categories=["gpu_hardware"]), SYSTEM)
    # Some variety in the cells: every seventh request answered.
    db.session.execute(db.update(VendorRequest).where(VendorRequest.id % 7 == 0).values(status="accepted"))
    db.session.commit()
    return event


def _matrix(app, vendors: int, runs: int, url: str | None) -> tuple[float, int]:
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": "bench-password"})
    client.get("/vendors/matrix")  # warm up
    times = []
    for _ in range(runs):
        db.session.expire_all()
        with StatementCounter(db.engine) as counter:
            start = time.perf_counter()
            response = client.get("/vendors/matrix")
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times), counter.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", default=None, help="a database URL instead of a temporary SQLite file")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.url and args.url.startswith("postgresql") else "SQLite"
    print(f"{backend}, Flask test client, {OBLIGATIONS} vendor-scoped obligations, {args.runs} runs per page")
    for vendors in (100, args.vendors):
        with fresh_app(args.url, WTF_CSRF_ENABLED=False, SECRET_KEY="bench") as app:
            start = time.perf_counter()
            event = _fill(vendors)
            requests = db.session.scalar(db.select(db.func.count(VendorRequest.id)))
            print(f"  {vendors} vendors: {requests} requests set up in {time.perf_counter() - start:.1f} s")
            median, statements = _matrix(app, vendors, args.runs, args.url)
            print(f"    matrix page        median {median:6.1f} ms  statements {statements:2d}  "
                  f"({median / 300:.2f} of the 300 ms budget)")
            db.session.expire_all()
            event = db.session.get(Event, event.id)
            with StatementCounter(db.engine) as counter:
                start = time.perf_counter()
                moves = record_event_change(event, EventDate("occurred", date(2026, 8, 6)), SYSTEM)
                elapsed = time.perf_counter() - start
            moved = db.session.scalar(db.select(db.func.count(VendorRequest.id)).where(VendorRequest.revision == 1))
            print(f"    record the event   {elapsed * 1000:7.1f} ms  statements {counter.count:2d}  "
                  f"({len(moves)} obligations, {moved} requests moved; {elapsed / 3:.2f} of the 3 s budget)")
            if args.url:  # the next round migrates the database again from empty
                db.session.remove()
                with db.engine.begin() as conn:
                    conn.execute(db.text("DROP SCHEMA public CASCADE"))
                    conn.execute(db.text("CREATE SCHEMA public"))


if __name__ == "__main__":
    main()
