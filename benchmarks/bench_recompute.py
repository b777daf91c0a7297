"""Recording the occurrence of an event that anchors N obligations.

Target (issue 2): 10,000 anchored obligations recomputed, history included, in
under 2 s on SQLite; the statement count does not grow with N.
Run: .venv/bin/python benchmarks/bench_recompute.py
"""

from __future__ import annotations

import logging
import random
import time
from datetime import date

from _support import StatementCounter, fresh_app

logging.disable(logging.INFO)


def measure(count: int) -> tuple[float, int, int]:
    import sqlalchemy as sa

    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.register.events import EventDate, record_event_change
    from tracker.models import DeadlineHistory, Event, Source
    from tracker.register.synthetic import seed_synthetic

    with fresh_app():
        source = Source(key="bench-src", title="Bench source", kind="bill", jurisdiction="US")
        event = Event(key="bench-enacted", source=source, title="Bench act enacted", status="expected",
                      expected_on=date(2026, 9, 1), precision="month")
        db.session.add_all([source, event])
        db.session.commit()
        seed_synthetic(count, team_count=10, rng=random.Random(1), anchor_key="bench-enacted")
        db.session.expire_all()
        event = db.session.scalar(sa.select(Event).where(Event.key == "bench-enacted"))
        _ = event.source.jurisdiction
        with StatementCounter(db.engine) as counter:
            started = time.perf_counter()
            moves = record_event_change(event, EventDate("occurred", date(2026, 8, 6)), SYSTEM)
            elapsed = time.perf_counter() - started
        history = db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id)))
        assert history == len(moves) == count, (history, len(moves), count)
        return elapsed, counter.count, len(moves)


def main() -> None:
    print("Recording an anchor event's occurrence (SQLite, bulk recompute + history)")
    results = {}
    for count in (1_000, 10_000):
        elapsed, statements, moved = measure(count)
        results[count] = (elapsed, statements)
        print(f"  {count:>6} anchored obligations: {elapsed * 1000:8.1f} ms, {statements} SQL statements, "
              f"{moved} deadlines moved")
    small, large = results[1_000], results[10_000]
    print(f"  statements at 10,000 vs 1,000: {large[1]} vs {small[1]} (flat: {large[1] == small[1]})")
    print(f"  10,000 obligations: {large[0]:.2f} s (target < 2 s: {'met' if large[0] < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
