"""Server time of the dashboard and a filtered obligation list with 10,000 obligations.

Runs the Flask test client against a temporary SQLite database migrated with
the real migrations and filled by `seed_synthetic`. Prints the median, p90 and
SQL statement count per page (target: median under 150 ms).

    python benchmarks/bench_ui_pages.py [--obligations 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.audit import SYSTEM  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.people import create_user  # noqa: E402
from tracker.synthetic import seed_synthetic  # noqa: E402

PAGES = {
    "dashboard (all teams)": "/?scope=all",
    "dashboard (one team)": "/",
    "list: active, due in 90 days, sorted by team": "/obligations?status=active&window=next_90&sort=team",
    "list: text search + due state": "/obligations?q=obligation+12&due_state=firm",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench", "TRACKER_SCHEDULER": "off"})
        with app.app_context():
            upgrade()
            seed_synthetic(args.obligations, rng=random.Random(7))
            from tracker.models import Team

            first_team = db.session.scalar(db.select(Team).order_by(Team.id))
            create_user("bench@example.com", "Bench", "viewer", SYSTEM, password="bench-password",
                        teams=[first_team])
            client = app.test_client()
            client.post("/login", data={"email": "bench@example.com", "password": "bench-password"})
            statements: list[str] = []
            event.listen(db.engine, "before_cursor_execute",
                         lambda conn, cursor, statement, *rest: statements.append(statement))
            print(f"{args.obligations} obligations, SQLite, Flask test client, {args.runs} runs per page")
            for label, url in PAGES.items():
                client.get(url)  # warm up caches (templates, statement cache)
                times = []
                for _ in range(args.runs):
                    statements.clear()
                    db.session.expire_all()
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                median = statistics.median(times)
                p90 = sorted(times)[int(len(times) * 0.9) - 1]
                print(f"  {label:48s} median {median:6.1f} ms  p90 {p90:6.1f} ms  "
                      f"statements {len(statements):2d}  ({median / 150:.2f} of the 150 ms budget)")


if __name__ == "__main__":
    main()
