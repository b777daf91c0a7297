"""Reminder mail next to a dripping channel receiver and a hanging regulator (SQLite, loopback only).

The three scheduler jobs run at once, in threads, as APScheduler runs them:
channel deliveries (one webhook whose receiver sends headers, then a byte
every 3 s for 5 minutes), regulator watches (one Congress.gov watch whose
provider accepts the request and never answers) and the reminder pass (one
reminder email to a local SMTP server). Prints how long after the pass
started the email arrived, next to the pass's own time (target: the delay at
most the pass's own time plus 5 s), and how long the delivery attempt and
the watch fetch were held (their deadlines: 15 s and 30 s).

Run: python benchmarks/bench_slow_receivers.py [--drip-seconds 300]
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import sys
import tempfile
import threading
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402


class Inbox:
    def __init__(self):
        self.arrivals: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append(time.monotonic())
        return "250 OK"


def misbehaving_server(behaviour) -> socketserver.ThreadingTCPServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            try:
                behaviour(self.request)
            except OSError:
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drip-seconds", type=float, default=300.0)
    args = parser.parse_args()

    def drip(sock: socket.socket) -> None:
        count = int(args.drip_seconds / 3)
        sock.sendall(b"HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\nContent-Length: "
                     + str(count).encode() + b"\r\n\r\n")
        for _ in range(count):
            time.sleep(3)
            sock.sendall(b"x")

    def hang(sock: socket.socket) -> None:
        time.sleep(args.drip_seconds)

    receiver, provider = misbehaving_server(drip), misbehaving_server(hang)
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "TESTING": True, "SECRET_KEY": "bench",
            "TRACKER_SCHEDULER": "off", "TRACKER_WEBHOOK_ALLOW_PRIVATE": "1",
            "TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": smtp_port,
            "TRACKER_CONGRESS_API_URL": f"http://127.0.0.1:{provider.server_address[1]}",
            "TRACKER_CONGRESS_API_KEY": "bench-key"})
        with app.app_context():
            upgrade()
            pass_at = seed(receiver.server_address[1])
        from tracker.jobs.deliveries import run_delivery_job
        from tracker.jobs.watches import run_watch_job
        from tracker.jobs.reminder_pass import run_pass

        held = {}

        def job(name, function):
            started = time.monotonic()
            function(app)
            held[name] = time.monotonic() - started

        threads = [threading.Thread(target=job, args=("delivery", run_delivery_job)),
                   threading.Thread(target=job, args=("watches", run_watch_job))]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # both slow exchanges are under way
        with app.app_context():
            started = time.monotonic()
            run_pass(pass_at)
            own = time.monotonic() - started
        delay = (inbox.arrivals[0] - started) if inbox.arrivals else float("nan")
        for thread in threads:
            thread.join()
        with app.app_context():
            from tracker.db import db
            from tracker.models import ChannelDelivery, Watch

            delivery = db.session.query(ChannelDelivery).order_by(ChannelDelivery.id).first()
            watch = db.session.query(Watch).one()
            outcome = (delivery.last_error, watch.last_error)
    smtp.stop()
    receiver.shutdown()
    provider.shutdown()
    print(f"reminder pass: its own time {own:.2f} s; the email arrived {delay:.2f} s after the pass started "
          f"(target: at most {own + 5:.2f} s) -> {'OK' if delay <= own + 5 else 'TOO SLOW'}")
    print(f"channel delivery job held {held['delivery']:.1f} s by a receiver dripping for "
          f"{args.drip_seconds:g} s: {outcome[0]}")
    print(f"watch job held {held['watches']:.1f} s by a provider that never answers: {outcome[1]}")


def seed(receiver_port: int) -> datetime:
    """A team, a member, one obligation whose 7-day reminder is due at the returned moment, a webhook channel
    with a due test delivery, and a due Congress.gov watch."""
    from tracker.audit import SYSTEM
    from tracker.channels import operations
    from tracker.db import db
    from tracker.models import Source, Watch
    from tracker.people import operations as people
    from tracker.register.obligations import ObligationInput, create_obligation

    team = people.create_team("bench", "Bench", "UTC", SYSTEM)
    people.update_team(team, SYSTEM, digest_weekday=None)
    people.create_user("buyer@example.com", "Buyer", "editor", SYSTEM, teams=[team])
    due = date.today() + timedelta(days=60)
    create_obligation(ObligationInput(key="bench-ob", title="Certify", team_id=team.id, rule="fixed",
                                      rule_date=due), SYSTEM)
    channel, _ = operations.create_channel(team, "webhook", f"http://127.0.0.1:{receiver_port}/drip", SYSTEM,
                                           name="Dripping hook")
    operations.send_test(channel, SYSTEM)
    source = Source(key="csa", title="Chip Security Act", kind="bill", jurisdiction="US")
    db.session.add(source)
    db.session.flush()
    db.session.add(Watch(source_id=source.id, provider="congress", item_kind="bill", item="119-hr-3447", stages={}))
    db.session.commit()
    return datetime.combine(due - timedelta(days=7), clock_time(10), tzinfo=timezone.utc)


if __name__ == "__main__":
    main()
