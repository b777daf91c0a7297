"""Server time of the dashboard, lists, search, timeline and watches with 10,000 obligations.

Runs the Flask test client against a temporary SQLite database migrated with
the real migrations and filled by `seed_synthetic`. Prints the median, p90 and
SQL statement count per page (target: median under 150 ms).

    python benchmarks/bench_ui_pages.py [--obligations 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _support import StatementCounter, fresh_app

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import Team
from tracker.people.operations import create_user
from tracker.register.synthetic import seed_synthetic

PAGES = {
    "dashboard (all teams)": "/?scope=all",
    "dashboard (one team)": "/",
    "dashboard (assigned to me)": "/?scope=me",
    "list: active, due in 90 days, sorted by team": "/obligations?status=active&window=next_90&sort=team",
    "list: text search + due state": "/obligations?q=obligation+12&due_state=firm",
    "list: text search (sources and events too)": "/obligations?q=act",
    "list: one regulation (source)": "/obligations?source=1",
    "search (navigation)": "/search?q=obligation+12",
    "timeline (default range)": "/timeline",
    "watches and proposals": "/proposals",
    "obligation page": "/obligations/1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with fresh_app(WTF_CSRF_ENABLED=False, SECRET_KEY="bench") as app:
        seed_synthetic(args.obligations, rng=random.Random(7))
        first_team = db.session.scalar(db.select(Team).order_by(Team.id))
        create_user("bench@example.com", "Bench", "viewer", SYSTEM, password="bench-password",
                    teams=[first_team])
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": "bench-password"})
        print(f"{args.obligations} obligations, SQLite, Flask test client, {args.runs} runs per page")
        for label, url in PAGES.items():
            client.get(url)  # warm up caches (templates, statement cache)
            times = []
            for _ in range(args.runs):
                db.session.expire_all()
                with StatementCounter(db.engine) as counter:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            median = statistics.median(times)
            p90 = sorted(times)[int(len(times) * 0.9) - 1]
            print(f"  {label:48s} median {median:6.1f} ms  p90 {p90:6.1f} ms  "
                  f"statements {counter.count:2d}  ({median / 150:.2f} of the 150 ms budget)")


if __name__ == "__main__":
    main()
