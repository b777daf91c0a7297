"""Real processes: the send-reminders command, a dispatcher killed mid-claim, parallel dispatchers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import make_obligation, make_team, make_user
from tests.mail_support import SmtpServer, free_port
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import OutboxItem, OutboxMessage, WorkNotice
from tracker.mail.planning import plan_obligations

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = bool(os.environ.get("TRACKER_TEST_DATABASE_URL"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def command_env(database_url: str, smtp_port: int | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATABASE_URL=database_url, TRACKER_SCHEDULER="off", TRACKER_SECRET_KEY="test-secret",
               TRACKER_BASE_URL="https://tracker.example.test", TRACKER_MAIL_FROM="tracker@example.test")
    if smtp_port is not None:
        env.update(TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=str(smtp_port))
    return env


def send_reminders(database_url: str, now: str, smtp_port: int | None = None, wait: bool = True):
    args = [sys.executable, "-m", "flask", "--app", "app", "send-reminders", "--now", now]
    process = subprocess.Popen(args, cwd=ROOT, env=command_env(database_url, smtp_port),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def passes_at_once(database_url: str, now: str, workers: int, delay: float = 0.0):
    """`workers` send-reminders processes started together against one loopback SMTP server
    (each message held `delay` seconds); returns (server, outputs), every process exited 0."""
    server = SmtpServer()
    server.recorder.delay = delay
    server.start()
    try:
        processes = [send_reminders(database_url, now, server.port, wait=False) for _ in range(workers)]
        outputs = [process.communicate(timeout=180) for process in processes]
    finally:
        server.stop()
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    return server, outputs


def register(clock, teams: int = 1, members: int = 1, obligations: int = 1, one_per_deadline: bool = False):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    for t in range(teams):
        team = make_team(timezone="UTC")
        people.update_team(team, SYSTEM, digest_weekday=None)
        for _ in range(members):
            user = make_user(teams=[team], password=None)
            user.email_one_per_deadline = one_per_deadline
        for _ in range(obligations):
            make_obligation(team=team, rule_date=date(2026, 7, 1))
    db.session.commit()


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def test_send_reminders_prints_counts_and_is_idempotent(app, clock, database_url):
    register(clock)
    server = SmtpServer()
    server.start()
    try:
        code, out, err = send_reminders(database_url, "2026-06-24T09:00:00Z", server.port)
        assert code == 0, err
        assert "planned 1, sent 1, retried 0, failed 0" in out
        code, out, _ = send_reminders(database_url, "2026-06-24T10:00:00Z", server.port)
        assert code == 0 and "planned 0, sent 0" in out
    finally:
        server.stop()
    assert len(server.messages) == 1


def test_send_reminders_exits_zero_when_sends_fail_and_refuses_a_bad_now(app, clock, database_url):
    register(clock)
    dead_port = free_port()  # nothing listens there
    code, out, err = send_reminders(database_url, "2026-06-24T09:00:00Z", dead_port)
    assert code == 0, err
    assert "retried 1" in out
    code, out, err = send_reminders(database_url, "yesterday-ish")
    assert code != 0 and "not an ISO-8601 date-time" in err


def test_send_reminders_fails_clearly_when_the_database_is_unusable(tmp_path):
    code, out, err = send_reminders(f"sqlite:///{tmp_path / 'empty.db'}", "2026-06-24T09:00:00Z")
    assert code != 0
    assert "could not run" in err and "Traceback" not in err


def test_dispatcher_killed_after_claiming_leaves_rows_sent_once_after_the_lease(app, clock, database_url):
    register(clock, members=3)
    from tracker.jobs.reminder_pass import run_pass
    run_pass(at("2026-06-24T09:00:00Z"))  # no SMTP host: planned and kept
    assert statuses() == Counter(pending=3)
    # A server that accepts TCP connections but never greets: the dispatcher
    # claims its rows, connects, and hangs there until we kill it.
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    try:
        process = send_reminders(database_url, "2026-06-24T09:05:00Z", black_hole.getsockname()[1], wait=False)
        deadline = time.monotonic() + 60
        while statuses().get("sending", 0) < 3:
            assert time.monotonic() < deadline, process.stderr.read() if process.poll() is not None else "no claim"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
    finally:
        black_hole.close()
    server = SmtpServer()
    server.start()
    try:
        code, out, err = send_reminders(database_url, "2026-06-24T09:10:00Z", server.port)
        assert code == 0 and "sent 0" in out, err  # the lease (10 minutes) still holds
        code, out, err = send_reminders(database_url, "2026-06-24T09:16:00Z", server.port)
        assert code == 0 and "sent 3" in out, err
        code, out, err = send_reminders(database_url, "2026-06-24T09:40:00Z", server.port)
        assert "sent 0" in out
    finally:
        server.stop()
    assert len(server.messages) == 3 and len(set(server.message_ids())) == 3
    assert statuses() == Counter(sent=3)


def test_parallel_dispatchers_send_every_message_exactly_once(app, clock, database_url):
    workers = 4 if ON_POSTGRESQL else 2
    # Everyone chose one email per deadline: 240 messages.
    register(clock, teams=6, members=5, obligations=8, one_per_deadline=True)
    # Planned up front, so the dispatchers compete only for claims; a slow relay
    # (20 ms a message) keeps every process busy long enough to overlap.
    plan_obligations(at("2026-06-24T09:00:00+00:00"))
    server, outputs = passes_at_once(database_url, "2026-06-24T09:00:00Z", workers, delay=0.02)
    counts = Counter(server.message_ids())
    assert len(counts) == 240 and set(counts.values()) == {1}
    assert statuses() == Counter(sent=240)
    sent_by = [int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(sent_by) == 240
    assert sum(1 for count in sent_by if count) >= 2, sent_by  # the claims really competed


def test_parallel_passes_group_every_item_into_exactly_one_sent_message(app, clock, database_url):
    """Several send-reminders processes plan, group and send the same day at the same time."""
    workers = 4 if ON_POSTGRESQL else 2
    register(clock, teams=6, members=5, obligations=8)  # 240 items, 30 recipients
    server, outputs = passes_at_once(database_url, "2026-06-24T09:00:00Z", workers)
    db.session.expire_all()
    items = db.session.scalars(select(OutboxItem)).all()
    assert len(items) == 240 and all(item.message_id is not None for item in items)
    # One message per recipient, each with that recipient's 8 deadlines, each sent once.
    assert statuses() == Counter(sent=30)
    per_message = Counter(item.message_id for item in items)
    assert set(per_message.values()) == {8}
    counts = Counter(server.message_ids())
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert len({message["To"] for message in server.messages}) == 30


def test_parallel_passes_tell_every_work_notice_once_joined_or_alone(app, clock, database_url):
    """Work notices: inside the owner's reminder email when one is due, else alone; never twice."""
    workers = 4 if ON_POSTGRESQL else 2
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    due_team, quiet_team = make_team(timezone="UTC"), make_team(timezone="UTC")
    for team in (due_team, quiet_team):
        people.update_team(team, SYSTEM, digest_weekday=None)
    busy = [make_user(teams=[due_team], password=None) for _ in range(6)]
    quiet = [make_user(teams=[quiet_team], password=None) for _ in range(6)]
    # Each is assigned an obligation (a work notice each): the busy ones' are due in 7 days at the pass.
    for n, user in enumerate(busy):
        make_obligation(team=due_team, title=f"Due {n:02d}", owner_id=user.id, rule_date=date(2026, 7, 1))
    for n, user in enumerate(quiet):
        make_obligation(team=quiet_team, title=f"Later {n:02d}", owner_id=user.id, rule_date=date(2026, 12, 1))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WorkNotice)) == 12
    server, outputs = passes_at_once(database_url, "2026-06-24T09:00:00Z", workers)
    mails = {}
    for message in server.messages:
        mails.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
    assert sorted(mails) == sorted(user.email for user in busy + quiet)
    # The reminders go once to each busy person. Their notice usually rides in that email; when
    # another process mailed the notices before this pass stored the reminders, it came alone just
    # before (docs/email.md). Either way each notice is told exactly once (below).
    for n, user in enumerate(busy):
        sent = mails[user.email]
        reminders = [m for m in sent if m["Subject"].startswith("6 deadlines: 6 due in 7 days")]
        assert len(reminders) == 1 and len(sent) <= 2, [m["Subject"] for m in sent]
        assert any(f"assigned you “Due {n:02d}”" in m.get_body(("plain",)).get_content() for m in sent)
    for n, user in enumerate(quiet):
        [message] = mails[user.email]  # nothing else due: the notice alone, once
        assert message["Subject"] == f"system assigned you “Later {n:02d}”"
    every_text = "".join(m.get_body(("plain",)).get_content() for m in server.messages)
    for title in [f"Due {n:02d}" for n in range(6)] + [f"Later {n:02d}" for n in range(6)]:
        assert every_text.count(f"assigned you “{title}”") == 1  # told once
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WorkNotice).where(WorkNotice.outbox_id.is_(None))) == 0
