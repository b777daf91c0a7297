"""The many-users shape under load (issue 13, "Planning must never make writes wait").

PostgreSQL (a database of its own, created and dropped here), migrated and seeded with the
demo pack, a few thousand synthetic obligations over several teams, a bill whose 400
deadlines hang on one expected event, four members per team with API tokens, a feed per
team. Then, all at once:

- `gunicorn 'app:app'` as docs/deployment.md gives it (4 gthread workers x 4 threads,
  timeout 60, lock_timeout 5 s and statement_timeout 20 s on the web connections),
  TRACKER_SCHEDULER=off, mail to a local aiosmtpd sink (its own process);
- three `flask --app app send-reminders` loops whose `--now` moves one day per step, so
  every step has lead-time reminders, overdue notices, change notices and digests to plan;
  one of them is killed with `kill -9` in the middle of a pass;
- twelve client threads: team feeds (half of them conditional), API reads, API writes
  (PATCH title or deadline, status changes) with Bearer tokens;
- the bill's event recorded through the API once the load runs.

Prints p50/p95/p99/max per kind of request (and the same request on the quiet server, as a
ratio), the event recording time, pg_stat_activity's lock waits, and the outbox check:
every reminder owed at the end sent (or pending), each key sent at most once, the SMTP
sink's messages against the outbox rows marked sent, with the kill -9 crash window counted.

Run: python benchmarks/bench_load.py [--duration 60 | --quick]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _load_clients import Client, Load, free_port, kill_one, percentile, quiet_baseline, record_event  # noqa: E402
from _load_procs import Processes, ReminderLoop, Sampler, StepClock, run_pass  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
WEB_OPTIONS = "options=-c%20lock_timeout%3D5s%20-c%20statement_timeout%3D20s"
TARGETS = {"API write": 2.5, "feed fetch": 2.5}
EVENT_TARGET = 5.0
CRASH_WINDOW = (-2.0, 1.0)  # seconds around the kill in which a receipt counts as in flight


def wait_for_http(port: int, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            status, *_ = Client(port).call("GET", "/healthz")
            if status in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def environment(db_url: str, app_name: str, options: str, port: int, smtp_port: int, secret: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    query = f"?application_name={app_name}" + (f"&{options}" if options else "")
    env.update(TRACKER_DATABASE_URL=db_url + query, TRACKER_SCHEDULER="off", TRACKER_SECRET_KEY=secret,
               TRACKER_BASE_URL=f"http://127.0.0.1:{port}", TRACKER_SMTP_HOST="127.0.0.1",
               TRACKER_SMTP_PORT=str(smtp_port), TRACKER_MAIL_FROM="tracker@example.test")
    return env


def run(args, duration: float, name: str, processes: Processes, tmp: Path) -> int:
    import _load_data as data
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.db import db

    secret, db_url = secrets.token_hex(32), PG + name
    port, smtp_port = free_port(), free_port()
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"PostgreSQL database {name}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url + "?application_name=load-bench", "SECRET_KEY": secret,
                      "TRACKER_SCHEDULER": "off", "TRACKER_FEED_WARM_UP": False,
                      "TRACKER_BASE_URL": f"http://127.0.0.1:{port}"})
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        seeded = data.seed(args.obligations, args.teams, args.bill, random.Random(args.seed))
        db.session.remove()
        db.engine.dispose()
    print(f"Seeded in {time.perf_counter() - started:.1f} s: {seeded.counts['obligations']} obligations "
          f"({seeded.counts['due_at_start']} open and dated), {seeded.counts['teams']} teams, "
          f"{seeded.counts['users']} users; the event to record anchors {seeded.event_anchors} obligations")

    sink_file = tmp / "received.txt"
    sink = processes.start([sys.executable, str(ROOT / "benchmarks" / "_load_sink.py"), str(smtp_port), str(sink_file)],
                           dict(os.environ), stdout=subprocess.PIPE, text=True)
    if sink.stdout.readline().strip() != "ready":
        raise SystemExit("the SMTP sink did not start")
    gunicorn = processes.start(
        [str(Path(sys.executable).parent / "gunicorn"), "app:app", "--workers", "4", "--worker-class", "gthread",
         "--threads", "4", "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
         "--max-requests", "2000", "--max-requests-jitter", "200", "--bind", f"127.0.0.1:{port}",
         "--error-logfile", str(tmp / "gunicorn.log")],
        environment(db_url, "load-web", WEB_OPTIONS, port, smtp_port, secret),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_http(port, gunicorn)
    load = Load(seeded, port, args.think)
    quiet = quiet_baseline(load)

    sampler = Sampler(f"postgresql://postgres@127.0.0.1:5432/{name}?application_name=load-sampler")
    clock = StepClock(datetime.now(timezone.utc).replace(microsecond=0), args.loops, step_seconds=max(5.0, duration / 10))
    loops = [ReminderLoop(i, clock, processes, environment(db_url, f"load-sched-{i}", "", port, smtp_port, secret),
                          args.scheduler_nice) for i in range(args.loops)]
    clients = [threading.Thread(target=load.client_thread, args=(args.seed * 100 + i,), daemon=True)
               for i in range(args.clients)]
    event, killed = {}, {}
    begun = time.monotonic()
    sampler.start()
    for thread in loops + clients:
        thread.start()
    time.sleep(0.3 * duration)
    event_thread = threading.Thread(target=record_event, args=(load, event), daemon=True)
    event_thread.start()
    time.sleep(0.15 * duration)
    if loops:
        kill_one(loops[0], killed, give_up=begun + 0.85 * duration)
    time.sleep(max(0.0, begun + duration - time.monotonic()))
    load.stop.set()
    for thread in clients:
        thread.join(150)
    load_seconds = time.monotonic() - begun
    event_thread.join(150)
    clock.stop()
    for loop in loops:
        loop.join(900)
    sampler.stopped.set()
    sampler.join(10)
    if not loops:
        processes.stop(gunicorn)
        print(f"\nLoad: {time.monotonic() - begun:.0f} s, {args.clients} client threads, no reminder loops "
              f"(comparison run); load average {os.getloadavg()[0]:.1f} at the end")
        report_requests(load, quiet)
        print(f"Recording the event: {event.get('seconds', float('nan')):.2f} s, HTTP {event.get('status')}")
        for line in sampler.report():
            print(line)
        return 0
    drain_now = clock.latest + timedelta(minutes=11)
    drain_started = time.perf_counter()
    drained = run_pass(processes, environment(db_url, "load-drain", "", port, smtp_port, secret), drain_now)
    drain_seconds = time.perf_counter() - drain_started
    time.sleep(1.0)
    processes.stop(gunicorn)
    processes.stop(sink)
    log = (tmp / "gunicorn.log").read_text(errors="replace")
    print(f"gunicorn: {log.count('WORKER TIMEOUT')} worker timeouts, {log.count('Traceback')} tracebacks in its log")
    if "Traceback" in log:
        print("gunicorn's error log (tail):\n  " + "\n  ".join(log.splitlines()[-40:]))
    with app.app_context():
        items, messages = data.outbox_state()
        owed = data.owed_items(drain_now)
        unplanned = data.unplanned_rows(drain_now)
        statuses = data.status_counts()
        missing_note = data.missing_detail([key for key in owed if key not in items], drain_now)
        db.session.remove()
        db.engine.dispose()

    print(f"\nLoad: {load_seconds:.0f} s, {args.clients} client threads (mean pause {args.think} s), "
          f"gunicorn 4 gthread workers x 4 threads, {args.loops} send-reminders loops (nice {args.scheduler_nice}); load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    met = report_requests(load, quiet)
    print(f"\nRecording the event through the API (moved {event.get('moved')} deadlines): "
          f"{event.get('seconds', float('nan')):.2f} s, HTTP {event.get('status')} "
          f"(target <= {EVENT_TARGET} s: {'met' if event.get('seconds', 99) <= EVENT_TARGET else 'MISSED'})")
    met = met and event.get("seconds", 99) <= EVENT_TARGET and event.get("status") == 200
    report_loops(loops, clock, killed)
    print()
    for line in sampler.report():
        print(line)
    print(f"\nDrain pass at the last clock + 11 min (past every lease), {drain_seconds:.1f} s: {drained.splitlines()[-1]}")
    sound = report_outbox(items, messages, owed, unplanned, statuses, sink_file, killed)
    if missing_note:
        print(f"  missing items: {missing_note}")
    print(f"\nTargets {'met' if met else 'NOT met'}; outbox {'sound' if sound else 'NOT sound'}")
    return 0 if sound else 1


def report_requests(load: Load, quiet: dict) -> bool:
    met = True
    print(f"{'':12} {'count':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  {'quiet p50':>9} {'p50 ratio':>9}  codes")
    for kind in ("API write", "feed fetch", "API read"):
        values = load.times.get(kind) or [float("nan")]
        p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
        codes = " ".join(f"{code}:{n}" for code, n in sorted(load.codes[kind].items()))
        baseline = quiet.get(kind, float("nan"))
        line = (f"{kind:12} {len(values):6d} {p50:7.3f} {p95:7.3f} {p99:7.3f} {max(values):7.3f}  "
                f"{baseline:9.3f} {p50 / baseline:8.1f}x  {codes}")
        if kind in TARGETS:
            ok = p99 <= TARGETS[kind]
            met = met and ok
            line += f"  (p99 target <= {TARGETS[kind]} s: {p99 / TARGETS[kind]:.2f} of it, {'met' if ok else 'MISSED'})"
        print(line)
    bad = sum(n for codes in load.codes.values() for code, n in codes.items() if code >= 500)
    if bad or load.errors:
        met = False
        print(f"server errors: {bad}; client errors: {dict(load.errors)}")
    return met


def report_loops(loops: list[ReminderLoop], clock: StepClock, killed: dict) -> None:
    print(f"\nReminder loops: clock moved {clock.step} day(s) from {clock.start:%Y-%m-%d %H:%M} UTC")
    for loop in loops:
        counts = [p["counts"] for p in loop.passes if p["counts"]]
        planned, sent = sum(c[0] for c in counts), sum(c[1] for c in counts)
        longest = max((p["seconds"] for p in loop.passes), default=0.0)
        errors = [p["error"] for p in loop.passes if p["error"]]
        line = (f"  loop {loop.index}: {len(loop.passes)} passes, planned {planned}, sent {sent}, "
                f"longest pass {longest:.1f} s")
        if loop.killed:
            line += f"; killed with kill -9 {killed.get('after', 0):.1f} s into a pass (clock {killed.get('clock')})"
        if errors:
            line += f"; errors: {errors[:3]}"
        print(line)
    if killed.get("missed"):
        print("  (no pass of loop 0 was running long enough to be killed)")


def report_outbox(items, messages, owed, unplanned, statuses, sink_file: Path, killed: dict) -> bool:
    lines = [line.split(" ", 1) for line in sink_file.read_text().splitlines() if " " in line]
    received = Counter(ident for _, ident in lines)
    first = {}
    for at, ident in lines:
        first.setdefault(ident, float(at))
    sent = {ident for ident, (status, _) in messages.items() if status == "sent"}
    kill_at = killed.get("at")

    def in_window(ident):
        return kill_at is not None and CRASH_WINDOW[0] <= first[ident] - kill_at <= CRASH_WINDOW[1]

    twice = [ident for ident, n in received.items() if n > 1]
    unmarked = [ident for ident in received if ident in messages and ident not in sent]
    unknown = [ident for ident in received if ident not in messages]
    never_received = sent - received.keys()
    window = {ident for ident in twice + unmarked if in_window(ident)}
    owed_status = Counter(items.get(key, "MISSING") for key in owed)
    missing = owed_status.get("MISSING", 0)
    print(f"\nOutbox: {dict(statuses)}; {len(items)} item keys (one per obligation, revision, kind, lead time, "
          f"recipient), each in at most one message by its unique key")
    print(f"  owed at the end (newest reminder or overdue notice, change notices of the window): {len(owed)}; "
          f"by status: {dict(owed_status)}")
    print(f"  obligations still due for planning after the drain: {unplanned}")
    print(f"  SMTP sink: {sum(received.values())} messages, {len(received)} distinct Message-IDs; outbox rows sent: "
          f"{len(sent)}; sent but never received: {len(never_received)}; received but unknown: {len(unknown)}")
    print(f"  received twice: {len(twice)}; received but not marked sent: {len(unmarked)}; of these in the kill -9 "
          f"crash window (accepted by the sink {CRASH_WINDOW[0]:+.0f}..{CRASH_WINDOW[1]:+.0f} s around the kill, "
          f"before the sender could record it): {len(window)}")
    if missing:
        print(f"  owed but missing (first 8): {sorted(key for key in owed if key not in items)[:8]}")
    return not (missing or unplanned or never_received or unknown or set(twice + unmarked) - window)



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--quick", action="store_true", help="15 seconds of load")
    parser.add_argument("--obligations", type=int, default=3000)
    parser.add_argument("--teams", type=int, default=6)
    parser.add_argument("--bill", type=int, default=400, help="obligations anchored on the recorded event")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--think", type=float, default=0.2, help="mean pause between a client's requests (s)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--loops", type=int, default=3,
                        help="send-reminders loops (0: the same client load with no planning, for comparison)")
    parser.add_argument("--scheduler-nice", type=int, default=0,
                        help="run the send-reminders loops under `nice -n N` (docs/deployment.md)")
    args = parser.parse_args()
    duration = 15.0 if args.quick else args.duration
    processes = Processes()

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started with SIGINT ignored (a background job)
    name = f"tracker_load_{os.getpid()}"
    import psycopg
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f'create database "{name}"')
    try:
        with TemporaryDirectory(prefix="bench-load-") as tmp:
            return run(args, duration, name, processes, Path(tmp))
    except KeyboardInterrupt:
        print("interrupted: stopping the processes and dropping the database", file=sys.stderr)
        return 130
    finally:
        processes.stop_all()
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
