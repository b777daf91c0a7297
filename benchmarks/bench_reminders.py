"""Reminder pass and dispatch benchmarks (SQLite files in a temporary directory).

Prints, at 1,000 / 10,000 / 100,000 synthetic obligations across 50 teams:
- the first pass after seeding (every obligation planned once: a one-time cost
  after an import or the migration);
- a pass with nothing due (target: under 200 ms at 100,000), and its ratio to
  the 1,000 case (flat = grows with reminders due, not with obligations);
- passes with 100 and 1,000 obligations due (their reminders rendered and queued);
and the dispatch rate to an SMTP server in another process (target >= 200/s).

Run: python benchmarks/bench_reminders.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.db import db  # noqa: E402

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)
SINK = """
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
time.sleep(3600)
"""


def make_app(path: Path, **config):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True,
                      "TRACKER_SCHEDULER": "off", "SECRET_KEY": "bench", **config})
    with app.app_context():
        upgrade()
    return app


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def planning_pass(now):
    from tracker.mail.digest import plan_digests
    from tracker.mail.planning import plan_obligations

    return plan_obligations(now) + plan_digests(now)


def bench_planning(count: int, workdir: Path) -> dict:
    from tracker.audit import SYSTEM
    from tracker.models import Obligation, Team
    from tracker.models.register import PLAN_NOW
    from tracker.people.operations import create_user, set_membership
    from tracker.register.synthetic import seed_synthetic

    app = make_app(workdir / f"plan-{count}.db")
    with app.app_context():
        seeded, _ = timed(seed_synthetic, count, team_count=50, rng=random.Random(count))
        first, planned = timed(planning_pass, NOW)
        idle = [timed(planning_pass, NOW)[0] for _ in range(5)]
        # One recipient per team, then mark obligations as due to see the cost per reminder.
        # Digests are off here: their content grows with each team's register, not with what is due.
        db.session.execute(update(Team).values(digest_weekday=None))
        db.session.commit()
        for index, team in enumerate(db.session.scalars(select(Team)).all()):
            user = create_user(f"bench{index}@example.com", "", "viewer", SYSTEM, password=None)
            set_membership(team, user, True, SYSTEM)
        db.session.commit()
        due_times = {}
        for due in (100, 1000):
            ids = db.session.scalars(select(Obligation.id).where(
                Obligation.status.in_(("open", "in_progress")), Obligation.due_date.is_not(None))
                .order_by(func.random()).limit(due)).all()
            db.session.execute(update(Obligation).where(Obligation.id.in_(ids)).values(next_reminder_at=PLAN_NOW))
            db.session.commit()
            due_times[due] = timed(planning_pass, NOW)
        db.session.remove()
        db.engine.dispose()
    return {"seed_s": seeded / 1000, "first_ms": first, "first_planned": planned,
            "idle_ms": statistics.median(idle), "due": due_times}


def bench_dispatch(workdir: Path, messages: int) -> float:
    from tests.mail_support import free_port
    from tracker.jobs.reminder_pass import MAIL_CHECKS
    from tracker.mail.dispatch import dispatch
    from tracker.mail.smtp import SmtpSettings
    from tracker.models import OutboxMessage
    from tracker.mail.queue import insert_new

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout.readline().strip() == "ready"
        app = make_app(workdir / "dispatch.db", TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=port)
        with app.app_context():
            from types import SimpleNamespace

            from tracker.mail.message import build_message, mime_bytes
            from tracker.models import User

            user = User(email="bench@example.com", name="Bench")  # a live recipient: dispatch checks it
            db.session.add(user)
            db.session.commit()
            # About the size of a real reminder with its .ics, with every header dispatch checks for.
            template = SimpleNamespace(recipient="user@example.com", recipient_name="", subject="Due in 7 days: benchmark",
                                       body_text="A reminder line of ordinary length.\n" * 40,
                                       body_html="<p>A reminder line of ordinary length.</p>\n" * 60,
                                       ics="BEGIN:VCALENDAR\r\n" * 20, message_id="<bench@example.test>",
                                       unsubscribe_url="")
            mime = mime_bytes(build_message(template, "tracker@example.test", NOW))
            rows = [{"dedupe_key": f"bench:{i}", "kind": "reminder", "recipient": f"user{i}@example.com",
                     "recipient_id": user.id,
                     "recipient_name": "", "subject": "s", "body_text": "t", "body_html": "h", "ics": None,
                     "message_id": f"<bench.{i}@example.test>", "unsubscribe_url": "", "mime": mime,
                     "status": "pending", "attempts": 0, "next_attempt_at": NOW, "last_error": "",
                     "created_at": NOW} for i in range(messages)]
            insert_new(rows)
            db.session.commit()
            settings = SmtpSettings.from_config(app.config)
            elapsed, result = timed(dispatch, NOW, settings, checks=MAIL_CHECKS)
            sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.status == "sent"))
            assert result.sent == sent == messages, (result.sent, result.failed, result.errors[:1], sent)
            db.engine.dispose()
        return messages / (elapsed / 1000)
    finally:
        sink.kill()
        sink.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="stop at 10,000 obligations")
    args = parser.parse_args()
    sizes = (1000, 10000) if args.quick else (1000, 10000, 100000)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        results = {}
        for count in sizes:
            results[count] = bench_planning(count, workdir)
            r = results[count]
            print(f"{count:>7} obligations / 50 teams: seeded in {r['seed_s']:.1f} s; "
                  f"first pass {r['first_ms']:.0f} ms; pass with nothing due {r['idle_ms']:.1f} ms; "
                  + "; ".join(f"{due} due: {ms:.0f} ms ({queued} queued)" for due, (ms, queued) in r["due"].items()),
                  flush=True)
        base = results[sizes[0]]["idle_ms"]
        for count in sizes[1:]:
            print(f"nothing-due pass, {count} vs {sizes[0]} obligations: x{results[count]['idle_ms'] / base:.2f} "
                  f"(obligations x{count // sizes[0]})")
        largest = results[sizes[-1]]["idle_ms"]
        print(f"target: nothing-due pass at {sizes[-1]} obligations < 200 ms: "
              f"{'met' if largest < 200 else 'NOT met'} ({largest:.1f} ms)")
        rate = bench_dispatch(workdir, 1000)
        print(f"dispatch: {rate:.0f} messages/s to a local SMTP server (target >= 200): "
              f"{'met' if rate >= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
