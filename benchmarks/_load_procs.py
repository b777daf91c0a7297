"""bench_load.py's processes: starting and stopping them, the reminder loops' shared clock,
and the pg_stat_activity sampler.

Every process is started in a session of its own and stopped by its id (its own process
group) when the benchmark ends, also on Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASS_LINE = re.compile(r"planned (\d+), sent (\d+), retried (\d+), failed (\d+)")


class Processes:
    """The processes this benchmark started; `stop_all` ends them (TERM, then KILL)."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []
        self.lock = threading.Lock()
        self.closed = False

    def start(self, args: list[str], env: dict, **kwargs) -> subprocess.Popen:
        with self.lock:  # held while starting, so stop_all never misses a process
            if self.closed:
                raise RuntimeError("the benchmark is stopping")
            process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
            self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen, grace: float = 10.0) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(5)

    def stop_all(self) -> None:
        with self.lock:
            self.closed = True
            started = list(self.started)
        for process in reversed(started):
            self.stop(process)


class StepClock:
    """The reminder loops' clock (`--now`): day D0 + step, plus the real seconds since the
    step opened. A step closes once it has lasted `step_seconds` and every live loop has
    finished a pass in it; the next day opens only when no pass is running, so two passes
    running at the same time are never more than their own run time apart (a pass whose clock
    were hours ahead would see the others' ten-minute leases as expired, which no real
    deployment does). Up to `max_steps` days (the change-notice window is 14)."""

    def __init__(self, start: datetime, loops: int, step_seconds: float, max_steps: int = 10):
        self.start, self.step_seconds, self.max_steps = start, step_seconds, max_steps
        self.cond = threading.Condition()
        self.step, self.opened, self.running, self.closed, self.stopping = 0, time.monotonic(), 0, False, False
        self.live, self.done = set(range(loops)), set()
        self.latest = start

    def _now(self) -> datetime:
        return self.start + timedelta(days=self.step, seconds=time.monotonic() - self.opened)

    def _settle(self) -> None:
        if (not self.closed and self.step < self.max_steps and self.live <= self.done
                and time.monotonic() - self.opened >= self.step_seconds):
            self.closed = True
        if self.closed and self.running == 0:
            self.step, self.opened, self.closed, self.done = self.step + 1, time.monotonic(), False, set()
            self.cond.notify_all()

    def begin(self) -> datetime | None:
        with self.cond:
            while not self.stopping:
                self._settle()
                if not self.closed:
                    self.running += 1
                    return self._now()
                self.cond.wait(0.5)
            return None

    def end(self, loop: int, killed: bool = False) -> None:
        with self.cond:
            self.running -= 1
            self.latest = max(self.latest, self._now())
            (self.live.discard if killed else self.done.add)(loop)
            self._settle()
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()


class ReminderLoop(threading.Thread):
    """`flask --app app send-reminders --now <clock>` again and again (a second between passes)."""

    def __init__(self, index: int, clock: StepClock, processes: Processes, env: dict, nice: int = 0):
        super().__init__(daemon=True, name=f"loop-{index}")
        self.index, self.clock, self.processes, self.env = index, clock, processes, env
        self.prefix = ["nice", "-n", str(nice)] if nice else []
        self.current_now: datetime | None = None
        self.current: subprocess.Popen | None = None
        self.current_since = 0.0
        self.passes: list[dict] = []
        self.killed = False

    def run(self) -> None:
        while True:
            now = self.clock.begin()
            if now is None:
                return
            started = time.monotonic()
            self.current_now = now
            try:
                process = self.processes.start(
                    [*self.prefix, sys.executable, "-m", "flask", "--app", "app", "send-reminders", "--now",
                     now.isoformat()], self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except RuntimeError:  # the benchmark is stopping (Ctrl-C)
                return
            self.current, self.current_since = process, started
            out, err = process.communicate()
            self.current = None
            killed = process.returncode == -signal.SIGKILL
            match = PASS_LINE.search(out)
            self.passes.append({"now": now, "seconds": time.monotonic() - started, "code": process.returncode,
                                "counts": tuple(map(int, match.groups())) if match else None,
                                "error": "" if match or killed else (err.strip().splitlines() or ["?"])[-1]})
            self.clock.end(self.index, killed=killed)
            if killed:
                self.killed = True
                return
            time.sleep(1.0)


def run_pass(processes: Processes, env: dict, now: datetime) -> str:
    """One pass in the foreground (the drain at the end); returns its output."""
    process = processes.start([sys.executable, "-m", "flask", "--app", "app", "send-reminders",
                               "--now", now.isoformat()], env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=900)
    return (out + err).strip()


SAMPLE = """
select pid, application_name, state, wait_event_type, wait_event,
       extract(epoch from now() - query_start), extract(epoch from now() - state_change),
       pg_blocking_pids(pid), left(regexp_replace(query, '\\s+', ' ', 'g'), 90)
from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
"""


class Sampler(threading.Thread):
    """pg_stat_activity every `every` seconds: lock waits (who waited, on what, behind whom)
    and the longest idle-in-transaction spell per process kind."""

    def __init__(self, dsn: str, every: float = 0.25):
        super().__init__(daemon=True, name="sampler")
        self.dsn, self.every = dsn, every
        self.stopped = threading.Event()
        self.samples = 0
        self.waits: Counter = Counter()
        self.longest_wait: dict = defaultdict(float)
        self.blocker_queries: dict = {}
        self.idle_in_transaction: dict = defaultdict(float)
        self.web_states: Counter = Counter()

    def run(self) -> None:
        try:
            self._sample()
        except Exception:  # noqa: BLE001 (the database went away: the benchmark is stopping)
            if not self.stopped.is_set():
                print("pg_stat_activity sampler stopped early", file=sys.stderr)

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while not self.stopped.wait(self.every):
                rows = connection.execute(SAMPLE).fetchall()
                self.samples += 1
                names = {row[0]: row[1] or "?" for row in rows}
                details = {row[0]: row for row in rows}
                for pid, app, state, wait_type, wait_event, waited, in_state, blockers, query in rows:
                    if app == "load-web" and state != "idle":
                        self.web_states["waiting on a lock" if wait_type == "Lock" else state] += 1
                    if state == "idle in transaction":
                        self.idle_in_transaction[app] = max(self.idle_in_transaction[app], float(in_state or 0))
                    if wait_type == "Lock":
                        behind = ",".join(sorted({names.get(b, "other") for b in blockers})) or "?"
                        key = (app, wait_event, behind)
                        self.waits[key] += 1
                        self.longest_wait[key] = max(self.longest_wait[key], float(waited or 0))
                        for b in blockers:
                            if b in details:
                                blocker = details[b]
                                self.blocker_queries[key] = f"{blocker[2]}: {blocker[8]}"

    def report(self) -> list[str]:
        lines = [f"pg_stat_activity: {self.samples} samples every {self.every} s"]
        lines.append("  web connections seen busy (per sample and connection): "
                     + ", ".join(f"{state} {n}" for state, n in self.web_states.most_common()))
        if not self.waits:
            lines.append("  no lock waits seen")
        for key, count in self.waits.most_common(12):
            app, event, behind = key
            lines.append(f"  {app} waited on {event} behind {behind}: {count} samples, longest "
                         f"{self.longest_wait[key]:.1f} s (blocker {self.blocker_queries.get(key, '?')})")
        for app, seconds in sorted(self.idle_in_transaction.items(), key=lambda item: -item[1]):
            lines.append(f"  longest idle in transaction, {app}: {seconds:.2f} s")
        return lines
