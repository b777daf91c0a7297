"""A team report of 2,000 obligations with 10,000 deadline history rows.

Targets (issue 26): the PDF in under 30 s, the XLSX in under 5 s, peak memory
printed (under 400 MB). Each format is made in a process of its own, so each
peak (the largest resident set, WeasyPrint's Pango and cairo memory included)
is that format's alone. Times include reading the register.
CPU time is printed beside the wall time: on a shared machine the wall time
mostly measures the other processes.
Run: .venv/bin/python benchmarks/bench_reports.py
"""

from __future__ import annotations

import logging
import multiprocessing
import random
import resource
import sys
import time
from datetime import date, datetime, timedelta, timezone

from _support import fresh_app

logging.disable(logging.INFO)
OBLIGATIONS, HISTORY_PER_OBLIGATION = 2_000, 5


def _seed() -> str:
    from sqlalchemy import insert, select

    from tracker.db import db
    from tracker.models import AuditEntry, DeadlineHistory, Obligation, Team
    from tracker.register.synthetic import seed_synthetic

    seed_synthetic(OBLIGATIONS, team_count=1, rng=random.Random(26))
    team = db.session.scalar(select(Team))
    rng = random.Random(7)
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    history, audit = [], []
    for ob_id, due, state in db.session.execute(select(Obligation.id, Obligation.due_date, Obligation.due_state)):
        days = [due or date(2027, 1, 1)]
        for _ in range(HISTORY_PER_OBLIGATION):
            days.insert(0, days[0] - timedelta(days=rng.randrange(5, 40)))
        for step in range(HISTORY_PER_OBLIGATION):
            history.append({"obligation_id": ob_id, "revision": step + 1,
                            "changed_at": start + timedelta(days=20 * step, minutes=ob_id),
                            "old_due_date": days[step], "old_due_state": "projected",
                            "new_due_date": days[step + 1], "new_due_state": "projected" if step < 4 else state,
                            "reason": f"anchor event recorded as expected on {days[step + 1]}: projected "
                                      f"{days[step]} -> projected {days[step + 1]}"})
        audit.append({"at": start - timedelta(days=1), "actor": "system", "action": "create", "entity": "obligation",
                      "entity_id": ob_id, "entity_key": "", "changes": {"status": [None, "open"]}})
        audit.append({"at": start + timedelta(days=50), "actor": "ana@example.com", "action": "update",
                      "entity": "obligation", "entity_id": ob_id, "entity_key": "",
                      "changes": {"status": ["open", "in_progress"]}})
    db.session.execute(insert(DeadlineHistory), history)
    db.session.execute(insert(AuditEntry), audit)
    db.session.commit()
    return team.key


def _run(fmt: str, queue) -> None:
    from tracker.audit import CLI
    from tracker.reports.files import make_report

    with fresh_app() as app:
        with app.test_request_context():
            key = _seed()
            started, cpu = time.perf_counter(), time.process_time()
            made = make_report("team", key, fmt, None, None, CLI.label)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            queue.put((elapsed, cpu, peak_mb, len(made.report.obligations),
                       sum(len(o.history) for o in made.report.obligations), len(made.content)))


def main() -> None:
    print(f"Team report: {OBLIGATIONS:,} obligations, {OBLIGATIONS * HISTORY_PER_OBLIGATION:,} history rows (SQLite)")
    context = multiprocessing.get_context("spawn")
    ok = True
    for fmt, target in (("xlsx", 5), ("pdf", 30)):
        queue = context.Queue()
        process = context.Process(target=_run, args=(fmt, queue))
        process.start()
        elapsed, cpu, peak, obligations, history, size = queue.get()
        process.join()
        met = elapsed < target and peak < 400
        ok &= met
        print(f"  {fmt}: {elapsed:6.2f} s (target < {target} s; CPU {cpu:.2f} s), peak memory {peak:6.0f} MB (target < 400 MB), "
              f"{obligations} obligations, {history} history rows, {size / 1e6:.1f} MB file: "
              f"{'met' if met else 'NOT met'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
