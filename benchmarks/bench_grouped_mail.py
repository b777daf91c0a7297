"""Grouped mail benchmark (SQLite files in a temporary directory).

Prints:
- one event moving 2,000 deadlines of a team of 20 (40,000 items): the time
  to plan them (target: under 10 s on SQLite), the number of messages
  (target: 20, one per member) and the time to send those to a local SMTP
  server (aiosmtpd in another process);
- a deadline-heavy day (2,000 deadlines due in 7 days, 20 members): items
  planned per second;
- statements per planning pass for the same event with 5 and with 20
  recipients (target: flat).

Run: python benchmarks/bench_grouped_mail.py [--deadlines N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._support import StatementCounter  # noqa: E402
from benchmarks.bench_reminders import SINK, make_app  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tracker.db import db  # noqa: E402

START = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
RECORDED = datetime(2026, 5, 2, 14, 0, tzinfo=timezone.utc)
PASS = datetime(2026, 5, 2, 15, 0, tzinfo=timezone.utc)


def pack(members: int, deadlines: int, *, fixed_due: date | None = None) -> str:
    """A team of `members` and `deadlines` obligations anchored on one expected enactment (or due on one day)."""
    obligations = []
    for n in range(deadlines):
        if fixed_due is None:
            rule = {"rule": "relative", "anchor": "enacted", "offset": 90 + n % 300, "unit": "days"}
        else:
            rule = {"rule": "fixed", "date": fixed_due.isoformat()}
        obligations.append({"key": f"ob-{n}", "title": f"Obligation {n}", "team": "t", "events": ["enacted"],
                            "deadline": rule})
    return json.dumps({
        "pack": "bench",
        "teams": [{"key": "t", "name": "Export compliance", "timezone": "America/New_York",
                   "members": [{"email": f"m{i}@example.com", "name": f"Member {i}", "role": "editor"}
                               for i in range(members)]}],
        "sources": [{"key": "csa", "title": "Chip Security Act", "kind": "bill", "jurisdiction": "US"}],
        "events": [{"key": "enacted", "source": "csa", "title": "Chip Security Act enacted",
                    "status": "expected", "date": "2026-10-01"}],
        "obligations": obligations})


def prepare(app, members: int, deadlines: int, **kwargs) -> None:
    import time_machine

    from tracker.audit import SYSTEM
    from tracker.jobs.reminder_pass import run_pass
    from tracker.models import Team
    from tracker.packs.importer import import_pack_text
    from tracker.people import operations as people

    with app.app_context(), time_machine.travel(START, tick=False):
        import_pack_text(pack(members, deadlines, **kwargs), SYSTEM)
        people.update_team(db.session.scalar(select(Team)), SYSTEM, digest_weekday=None)
        run_pass(START)  # the register planned once: nothing due


def record(app) -> None:
    import time_machine

    from tracker.audit import SYSTEM
    from tracker.models import Event
    from tracker.register.events import EventDate, record_event

    with app.app_context(), time_machine.travel(RECORDED, tick=False):
        event = db.session.scalar(select(Event).where(Event.key == "enacted"))
        record_event(event.id, EventDate("occurred", RECORDED.date(), "day"), SYSTEM)


def plan(app, now: datetime) -> tuple[float, int, int, int]:
    """(seconds, messages, items, statements) of one planning pass."""
    from tracker.mail.planning import plan_obligations
    from tracker.models import OutboxItem

    with app.app_context():
        with StatementCounter(db.engine) as counter:
            started = time.perf_counter()
            messages = plan_obligations(now)
            elapsed = time.perf_counter() - started
        items = db.session.scalar(select(func.count()).select_from(OutboxItem))
        return elapsed, messages, items, counter.count


def send(app, port: int) -> tuple[float, int]:
    from tracker.jobs.reminder_pass import MAIL_CHECKS
    from tracker.mail.dispatch import dispatch
    from tracker.mail.smtp import SmtpSettings

    app.config.update(TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=port)
    with app.app_context():
        started = time.perf_counter()
        result = dispatch(PASS, SmtpSettings.from_config(app.config), checks=MAIL_CHECKS)
        return time.perf_counter() - started, result.sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadlines", type=int, default=2000)
    parser.add_argument("--members", type=int, default=20)
    args = parser.parse_args()
    from tests.mail_support import free_port

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = make_app(workdir / "event.db")
        prepare(app, args.members, args.deadlines)
        record(app)
        seconds, messages, items, statements = plan(app, PASS)
        print(f"one event moving {args.deadlines:,} deadlines of a team of {args.members}: "
              f"{items:,} items, {messages} messages planned in {seconds:.2f} s "
              f"({items / seconds:,.0f} items/s, {statements} statements)")
        port = free_port()
        sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
        try:
            assert sink.stdout.readline().strip() == "ready"
            took, sent = send(app, port)
            print(f"  sent {sent} messages ({args.deadlines:,} deadlines and a {args.deadlines:,}-event .ics each) "
                  f"to a local SMTP server in {took:.2f} s")
        finally:
            sink.kill()
            sink.wait()

        day = make_app(workdir / "day.db")
        due = (PASS + timedelta(days=7)).astimezone(timezone(timedelta(hours=-4))).date()
        prepare(day, args.members, args.deadlines, fixed_due=due)
        seconds, messages, items, _ = plan(day, datetime.combine(
            PASS.date(), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=13, minutes=5))
        print(f"deadline-heavy day: {args.deadlines:,} deadlines due in 7 days, {args.members} members: "
              f"{items:,} items in {messages} messages, {items / seconds:,.0f} items/s planned")

        counts = {}
        for members in (5, 20):
            small = make_app(workdir / f"statements{members}.db")
            prepare(small, members, 200)
            record(small)
            counts[members] = plan(small, PASS)[3]
        print(f"statements per planning pass, 200 deadlines moved: {counts[5]} with 5 recipients, "
              f"{counts[20]} with 20 (ratio {counts[20] / counts[5]:.2f})")


if __name__ == "__main__":
    main()
