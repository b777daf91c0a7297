"""A team report of 2,000 obligations with 10,000 deadline history rows.

Targets (issue 26): the PDF in under 30 s, the XLSX in under 5 s, peak memory
printed (under 400 MB). Each format is made in a process of its own, so each
peak is that format's alone. A large PDF is laid out by worker processes
(tracker.reports.pdf_layout): the peak printed is that of the whole process
tree, the largest sum of the resident sets of the process and its workers
(WeasyPrint's Pango and cairo memory included; libraries shared between the
processes are counted once a process, so it is an upper bound), sampled every
20 ms from outside. The register is built (migrations, 2,000 obligations) in a
process of its own and each report made by a fresh process reading it, as a
server would: until 2026-12-07 the measured process had built the register
itself, which added about 80 MB to its peak. Times include reading the register.
CPU time (the process's and its workers') is printed beside the wall time: on a
shared machine the wall time mostly measures the other processes.
Run: .venv/bin/python benchmarks/bench_reports.py
"""

from __future__ import annotations

import logging
import multiprocessing
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

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


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the PDF's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _tree_rss_mb(pid: int) -> float:
    """The resident sets of `pid` and of its descendants, summed, in MB (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            status = (proc / "status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in (proc / "task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):  # ended meanwhile, or a zombie without memory
            continue
    return total / 1024


class TreePeak(threading.Thread):
    """Samples a process tree's memory every 20 ms until stopped; `peak` is the largest sum seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _tree_rss_mb(self.pid))


def _build(url: str, queue) -> None:
    """Migrate and fill the database at `url` (in a process of its own: not measured)."""
    with fresh_app(url) as app:
        with app.test_request_context():
            queue.put(_seed())


def _run(fmt: str, url: str, key: str, queue) -> None:
    """Make the report in a fresh process reading the register, as a server would."""
    from tracker import create_app
    from tracker.audit import CLI
    from tracker.reports.files import make_report

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "TRACKER_SCHEDULER": "off"})
    with app.app_context(), app.test_request_context():
        started, cpu = time.perf_counter(), _cpu()
        made = make_report("team", key, fmt, None, None, CLI.label)
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
        own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put((elapsed, cpu, own_peak, len(made.report.obligations),
                   sum(len(o.history) for o in made.report.obligations), len(made.content)))


def _in_process(context, target, *args):
    """Run `target(*args, queue)` in a spawned process; its answer, and the peak memory of its tree."""
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    sampler = TreePeak(process.pid)
    sampler.start()
    answer = queue.get()
    sampler.done.set()
    sampler.join()
    process.join()
    return answer, sampler.peak


def main() -> None:
    print(f"Team report: {OBLIGATIONS:,} obligations, {OBLIGATIONS * HISTORY_PER_OBLIGATION:,} history rows (SQLite)")
    context = multiprocessing.get_context("spawn")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        key, _ = _in_process(context, _build, url)
        for fmt, target in (("xlsx", 5), ("pdf", 30)):
            (elapsed, cpu, own_peak, obligations, history, size), peak = _in_process(context, _run, fmt, url, key)
            met = elapsed < target and peak < 400
            ok &= met
            print(f"  {fmt}: {elapsed:6.2f} s (target < {target} s; CPU {cpu:.2f} s), peak memory {peak:4.0f} MB "
                  f"(target < 400 MB; the process alone {own_peak:.0f} MB), "
                  f"{obligations} obligations, {history} history rows, {size / 1e6:.1f} MB file: "
                  f"{'met' if met else 'NOT met'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
